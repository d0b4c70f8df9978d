"""The notification bell in the navigation bar."""

from __future__ import annotations

from functools import cached_property
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.http import HttpRequest

from escalation.roles import Role, has_role
from sla.selectors import notification_unread_state


class NotificationBell:
    """The unread count, counted only if a template shows it (one indexed query), and the mark
    the live bell polls ``sla:bell`` with."""

    def __init__(self, user: User) -> None:
        self.user = user

    @cached_property
    def _state(self) -> tuple[int, int]:
        return notification_unread_state(user=self.user)

    @property
    def unread(self) -> int:
        return self._state[0]

    @property
    def every(self) -> int:
        return settings.LIVE_POLL_SECONDS

    @property
    def mark(self) -> str:
        count, newest = self._state
        return f"{count}.{newest}"

    @property
    def badge(self) -> str:
        return "99+" if self.unread > 99 else str(self.unread)


def notifications(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not has_role(user, Role.OPERATOR, Role.MANAGER, Role.EXECUTIVE):
        return {"notification_bell": None}
    return {"notification_bell": NotificationBell(user)}
