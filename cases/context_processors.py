"""The triage queue's saved views in the navigation bar."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from cases.views.saved_views import SavedViewsMenu
from escalation.roles import Role, has_role


def saved_views(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not has_role(user, Role.MANAGER):
        return {"saved_views_nav": None}
    return {"saved_views_nav": SavedViewsMenu(request)}
