from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from escalation.navigation import nav_bar_for, nav_for
from escalation.roles import user_roles


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": [], "nav_bar": [], "user_roles": frozenset()}
    return {
        "nav_items": nav_for(user),
        "nav_bar": nav_bar_for(user),
        "user_roles": {role.name.lower() for role in user_roles(user)},
    }
