"""Who may do what to a case: pure predicates shared by the pages, the API and the services.

The only query they make is the user's roles and team ids, each cached on the user object for
the request, so checking a list of cases costs nothing per case.
"""

from __future__ import annotations

from cases.models import Case
from escalation.roles import AnyUser, Role, has_role


def user_team_ids(user: AnyUser) -> frozenset[int]:
    """The ids of the teams the user belongs to (cached on the user for the request)."""
    if not user.is_authenticated:
        return frozenset()
    cached: frozenset[int] | None = getattr(user, "_escalation_team_ids", None)
    if cached is None:
        cached = frozenset(user.teams.values_list("id", flat=True))
        user._escalation_team_ids = cached  # type: ignore[attr-defined]  # a per-request cache
    return cached


def can_view_case(user: AnyUser, case: Case) -> bool:
    """Managers and executives see every case; operators the cases they raised and those of
    their teams; anyone else none."""
    if has_role(user, Role.MANAGER, Role.EXECUTIVE):
        return True
    if has_role(user, Role.OPERATOR):
        return case.raised_by_id == user.pk or (
            case.team_id is not None and case.team_id in user_team_ids(user)
        )
    return False


def can_contribute(user: AnyUser, case: Case) -> bool:
    """Add internal notes, customer updates and attachments: managers, and operators who can
    see the case. Executives read only."""
    if has_role(user, Role.MANAGER):
        return True
    return has_role(user, Role.OPERATOR) and can_view_case(user, case)


def can_triage(user: AnyUser) -> bool:
    """Acknowledge, assign, change severity or status, link, resolve, reopen, close, edit
    details and bulk-update: managers only."""
    return has_role(user, Role.MANAGER)


def can_raise(user: AnyUser) -> bool:
    return has_role(user, Role.OPERATOR, Role.MANAGER)


def can_watch(user: AnyUser, case: Case) -> bool:
    """Those who may contribute to a case may follow it. Executives read and change nothing,
    watcher lists included (the pages offer them no watch button either)."""
    return can_contribute(user, case)


def can_be_owner(user: AnyUser) -> bool:
    """Only operators and managers can hold a case."""
    return bool(getattr(user, "is_active", False)) and has_role(user, Role.OPERATOR, Role.MANAGER)
