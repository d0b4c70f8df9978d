"""The API's case and role checks as DRF permission classes, over the predicates of
cases/permissions.py.

The per-case ones are object permissions: a view checks them once it has loaded the case for
the caller (``check_object_permissions``), so a case the caller may not see stays a 404 whatever
their role, and only a case they see can answer 403.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request
from rest_framework.views import APIView

from cases.permissions import can_contribute, can_raise, can_triage, can_work


class RaisesCases(BasePermission):
    """Posting to the list raises a case: operators and managers; reading it is for all."""

    message = gettext_lazy("Only operators and managers raise cases.")

    def has_permission(self, request: Request, view: APIView) -> bool:
        return request.method != "POST" or can_raise(request.user)


class TriagesCase(BasePermission):
    """Changing a case beyond working it (severity, link, merge, reopen, close): managers.
    Reading it is for everyone who sees it."""

    message = gettext_lazy("Only escalation managers change cases.")

    def has_object_permission(self, request: Request, view: APIView, obj: Any) -> bool:
        return request.method in SAFE_METHODS or can_triage(request.user)


class ContributesToCase(BasePermission):
    """Notes and customer updates: managers, and the operators who see the case."""

    message = gettext_lazy("Executives read cases; they do not add notes.")

    def has_object_permission(self, request: Request, view: APIView, obj: Any) -> bool:
        return can_contribute(request.user, obj)


class WorksCase(BasePermission):
    """Working the case (acknowledge, assign, status, resolve, edit details): its owner, the
    operators of its team, and managers (``can_work``). Reading it is for everyone who sees it."""

    message = gettext_lazy("Only the case's owner, its team and escalation managers work on it.")

    def has_object_permission(self, request: Request, view: APIView, obj: Any) -> bool:
        # Reading is for everyone who sees the case, as with TriagesCase (the case's details
        # endpoint reads and edits).
        return request.method in SAFE_METHODS or can_work(request.user, obj)
