"""The manager's dashboard: their teams' open cases by SLA state, and what needs them."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from cases.models import Severity, Status
from reviews.models import ActionStatus
from reviews.selectors import dashboard_for
from reviews.selectors.dashboard import dashboard_customers
from sla.models import CaseClock, ClockKind
from tests.factories import CaseFactory, TeamFactory, UserFactory
from tests.reviews.factories import CorrectiveActionFactory, ReviewFactory

pytestmark = pytest.mark.django_db


def clock(case, *, due_in: timedelta, warn_in: timedelta, paused=False, stopped=False):  # type: ignore[no-untyped-def]
    now = timezone.now()
    return CaseClock.objects.create(
        case=case,
        kind=ClockKind.RESOLUTION,
        target_seconds=3600,
        started_at=now - timedelta(hours=1),
        due_at=now + due_in,
        warn_at=now + warn_in,
        paused_at=now if paused else None,
        stopped_at=now if stopped else None,
    )


def open_case(team, **kwargs):  # type: ignore[no-untyped-def]
    kwargs.setdefault("status", Status.IN_PROGRESS)
    return CaseFactory(team=team, **kwargs)


def test_open_cases_of_the_managers_teams_by_sla_state(bob) -> None:
    platform = TeamFactory(name="Platform", lead=bob)
    elsewhere = TeamFactory(name="Elsewhere")
    hour = timedelta(hours=1)
    clock(open_case(platform), due_in=-hour, warn_in=-2 * hour)  # breached
    clock(open_case(platform), due_in=hour / 2, warn_in=-hour / 4)  # at risk
    clock(open_case(platform), due_in=5 * hour, warn_in=4 * hour)  # on track
    clock(open_case(platform), due_in=-hour, warn_in=-hour, paused=True)  # paused
    open_case(platform)  # no clock
    clock(open_case(platform, status=Status.RESOLVED), due_in=-hour, warn_in=-hour)  # not open
    clock(open_case(elsewhere), due_in=-hour, warn_in=-hour)  # not bob's team
    board = dashboard_for(manager=bob)
    [team] = board.teams
    assert team.name == "Platform"
    assert team.counts == {"breached": 1, "at_risk": 1, "on_track": 1, "paused": 1, "none": 1}
    assert board.at_risk_count == 2
    assert [states[0].state for _, states in board.at_risk] == ["breached", "at_risk"]


def test_a_manager_oversees_the_teams_that_escalate_to_theirs(bob) -> None:
    management = TeamFactory(name="Management", lead=bob)
    engineering = TeamFactory(name="Engineering", escalates_to=management)
    TeamFactory(name="Desk", escalates_to=engineering)
    TeamFactory(name="Elsewhere")
    board = dashboard_for(manager=bob)
    assert board.scope == "Desk, Engineering, Management"


def test_a_manager_without_teams_oversees_every_team(bob) -> None:
    open_case(TeamFactory(name="A"))
    open_case(TeamFactory(name="B"))
    open_case(None)
    board = dashboard_for(manager=bob)
    assert board.scope == "all teams"
    assert [t.name for t in board.teams] == ["A", "B", "No team"]


def test_unassigned_cases_oldest_first(bob) -> None:
    team = TeamFactory(name="Platform")
    team.members.add(bob)
    newer = open_case(team, raised_at=timezone.now() - timedelta(hours=1))
    older = open_case(team, raised_at=timezone.now() - timedelta(hours=5))
    open_case(team, owner=UserFactory())
    board = dashboard_for(manager=bob)
    assert board.unassigned == [older, newer] and board.unassigned_count == 2


def test_pending_reviews_and_actions_due_within_a_week_with_overdue_counts(bob, alice) -> None:
    today = timezone.localdate()
    overdue = ReviewFactory(due_on=today - timedelta(days=1))
    due = ReviewFactory(due_on=today + timedelta(days=3))
    done = ReviewFactory(due_on=today - timedelta(days=9), completed_at=timezone.now())
    late = CorrectiveActionFactory(review=done, owner=alice, due_on=today - timedelta(days=2))
    soon = CorrectiveActionFactory(review=done, owner=alice, due_on=today + timedelta(days=6))
    CorrectiveActionFactory(review=done, owner=alice, due_on=today + timedelta(days=30))
    CorrectiveActionFactory(review=done, owner=alice, due_on=today, status=ActionStatus.DONE)
    board = dashboard_for(manager=bob)
    assert board.reviews == [overdue, due]
    assert (board.reviews_pending, board.reviews_overdue) == (2, 1)
    assert board.actions == [late, soon]
    assert (board.actions_due, board.actions_overdue) == (2, 1)


def test_customers_at_risk_are_on_the_dashboard(bob) -> None:
    case = open_case(None, severity=Severity.S1)
    at_risk = dashboard_customers()
    assert [c.name for c in at_risk.customers] == [case.customer.name]
    assert at_risk.count == 1


def test_the_dashboard_costs_the_same_queries_for_many_rows(
    bob, alice, django_assert_max_num_queries
) -> None:
    team = TeamFactory(name="Platform", lead=bob)

    def add(n: int) -> None:
        for _ in range(n):
            case = open_case(team, severity=Severity.S1)
            clock(case, due_in=-timedelta(hours=1), warn_in=-timedelta(hours=2))
            CorrectiveActionFactory(owner=alice, due_on=timezone.localdate())

    add(2)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        dashboard_for(manager=bob)
    add(20)
    with django_assert_max_num_queries(len(few)):
        board = dashboard_for(manager=bob)
    assert len(board.at_risk) == 10 and len(board.actions) == 10
