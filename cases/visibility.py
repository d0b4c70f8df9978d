"""Who may open which case: the one rule every page, list and endpoint filters by. A module of
its own (models and roles only), so the apps above ``cases`` can use it without importing the
queue's selectors and filters."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import Q, QuerySet

from cases.models import Case, Team
from escalation.roles import AnyUser, Role, has_role, users_with_role


def case_visible_to(*, viewer: AnyUser) -> QuerySet[Case]:
    """Managers and executives: every case. Operators: the cases they raised, hold, and those of
    their teams (an owner who has left the case's team still opens the case she holds). Anyone
    else: none."""
    cases = Case.objects.all()
    if isinstance(viewer, AnonymousUser):
        return cases.none()
    if has_role(viewer, Role.MANAGER, Role.EXECUTIVE):
        return cases
    if has_role(viewer, Role.OPERATOR):
        teams = Team.objects.filter(members=viewer).values("pk")
        return cases.filter(Q(raised_by=viewer) | Q(owner=viewer) | Q(team__in=teams))
    return cases.none()


def users_who_may_open(*, case: Case) -> QuerySet[User]:
    """The active users who may open ``case``: the rule of ``case_visible_to`` seen from the
    case (managers and executives; the operators who raised it, hold it, or are in its team)."""
    everything = users_with_role(Role.MANAGER, Role.EXECUTIVE)
    theirs = Q(pk=case.raised_by_id)
    if case.owner_id is not None:
        theirs |= Q(pk=case.owner_id)
    if case.team_id is not None:
        theirs |= Q(teams=case.team_id)
    operators = users_with_role(Role.OPERATOR).filter(theirs)
    return User.objects.filter(
        Q(pk__in=everything.values("pk")) | Q(pk__in=operators.values("pk"))
    ).order_by("first_name", "last_name", "username")
