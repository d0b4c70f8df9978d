"""Who may do what to a case: pure predicates shared by the pages, the API and the services.

The only query they make is the user's roles and team ids, each cached on the user object for
the request, so checking a list of cases costs nothing per case.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from django.contrib.auth.models import User
from django.utils.translation import gettext as _

from cases.models import Case, Team
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


def user_team_ids_load(users: Iterable[User]) -> None:
    """Cache the team ids of each of ``users``, as ``user_team_ids`` does, with one query for
    all of them: for code that checks many people at once (the people a note mentions)."""
    pending = [u for u in users if getattr(u, "_escalation_team_ids", None) is None]
    if not pending:
        return
    ids: defaultdict[int, set[int]] = defaultdict(set)
    memberships = Team.members.through.objects.filter(user_id__in=[u.pk for u in pending])
    for user_id, team_id in memberships.values_list("user_id", "team_id"):
        ids[user_id].add(team_id)
    for user in pending:
        user._escalation_team_ids = frozenset(ids[user.pk])  # type: ignore[attr-defined]


def can_view_case(user: AnyUser, case: Case) -> bool:
    """Managers and executives see every case; operators the cases they raised, hold, and those
    of their teams (as ``cases.visibility.case_visible_to``); anyone else none."""
    if has_role(user, Role.MANAGER, Role.EXECUTIVE):
        return True
    if has_role(user, Role.OPERATOR):
        return (
            case.raised_by_id == user.pk
            or case.owner_id == user.pk
            or (case.team_id is not None and case.team_id in user_team_ids(user))
        )
    return False


def can_contribute(user: AnyUser, case: Case) -> bool:
    """Add internal notes, customer updates and attachments: managers, and operators who can
    see the case. Executives read only."""
    if has_role(user, Role.MANAGER):
        return True
    return has_role(user, Role.OPERATOR) and can_view_case(user, case)


def can_triage(user: AnyUser) -> bool:
    """What stays with the escalation managers: change severity, link and unlink, merge,
    reopen, close, correct the root cause, bulk-update, and any action of ``can_work`` on
    any case."""
    return has_role(user, Role.MANAGER)


def can_work(user: AnyUser, case: Case) -> bool:
    """Work the case: acknowledge it, move it between in progress and waiting on customer,
    resolve it (summary and root cause) and hand it back or on (``hand_on_refusal``).

    The engineer who owns the case, and the operators of the case's team (whoever of the team
    picks it up), may; managers may on any case; executives read only; an inactive account
    never."""
    if not getattr(user, "is_active", False):
        return False
    if has_role(user, Role.MANAGER):
        return True
    if has_role(user, Role.EXECUTIVE) or not has_role(user, Role.OPERATOR):
        return False
    return case.owner_id == user.pk or (
        case.team_id is not None and case.team_id in user_team_ids(user)
    )


def hand_on_refusal(
    user: AnyUser, case: Case, *, owner: User | None, team: Team | None, level: str | None
) -> str | None:
    """Why ``user``, who works ``case``, may not hand it to ``owner`` / ``team`` (None: she may).

    Managers hand any case to anyone. An engineer hands the case to a team-mate, or on to
    another team's queue (the next level, or back to the one before), where that team picks
    who takes it up: she names no person of another team but herself (when she belongs to it
    too), and the level follows the team.
    The service's own checks still apply (an owner must be able to hold cases and belong to
    the case's team)."""
    if has_role(user, Role.MANAGER):
        return None
    if owner is not None and owner.pk != user.pk and team is not None and team.pk != case.team_id:
        return _(
            "Hand the case to %(team)s without naming a person: that team picks who takes it up."
        ) % {"team": team.name}
    if level is not None and (team is None or level != team.level):
        return _("The level follows the team: hand the case to a team of that level.")
    return None


def can_raise(user: AnyUser) -> bool:
    return has_role(user, Role.OPERATOR, Role.MANAGER)


def can_watch(user: AnyUser, case: Case) -> bool:
    """Those who may contribute to a case may follow it. Executives read and change nothing,
    watcher lists included (the pages offer them no watch button either)."""
    return can_contribute(user, case)


def can_be_owner(user: AnyUser) -> bool:
    """Only operators and managers can hold a case."""
    return bool(getattr(user, "is_active", False)) and has_role(user, Role.OPERATOR, Role.MANAGER)
