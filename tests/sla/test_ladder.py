"""Acknowledge or climb: a case the engine reassigned must be acted on within the policy's
acknowledge window, or it climbs (the next level, the team lead, the manager on duty), each
rung once, until somebody acts on it.

The ladder of tests/sla/conftest.py; the policy acknowledges in 15 minutes and does not
re-escalate, so only the ladder moves the case after its breach at 13:00.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine

from cases.models import Case, CaseEvent, EventKind, Level, Team
from cases.services import case_acknowledge, case_add_note
from sla.models import CaseClock, ClockKind, EscalationRecord, Notification, SlaPolicy
from sla.rules import acknowledge_deadline
from sla.soon import owed_moments, soon_moments
from tests.sla.factories import office_calendar
from tests.sla.test_escalation import NOON, H, M, case, sweep

pytestmark = pytest.mark.django_db

__all__ = ["case"]  # the fixture, shared with the escalation tests


@pytest.fixture(autouse=True)
def _acknowledge_in_fifteen_minutes(policy: SlaPolicy, engineering: Team) -> None:
    SlaPolicy.objects.filter(pk=policy.pk).update(acknowledge_minutes=15, reescalate_minutes=None)
    # Engineering's lead works in the team, so she can hold its cases.
    assert engineering.lead is not None
    engineering.members.add(engineering.lead)


def response_clock(case: Case) -> CaseClock:
    return CaseClock.objects.get(case=case, kind=ClockKind.RESPONSE)


def owner(case: Case) -> tuple[str, str, str]:
    case.refresh_from_db()
    return (
        case.owner.username if case.owner else "",
        case.team.name if case.team else "",
        case.level,
    )


def test_an_unacknowledged_escalation_climbs_twice_and_stops_when_acknowledged(case) -> None:
    assert sweep(H + M) == ["breach"]
    assert owner(case) == ("dave", "Second line", Level.L2)
    assert sweep(H + 15 * M) == []  # the window runs until 13:16
    assert sweep(H + 16 * M) == ["climb-1-1"]
    assert owner(case) == ("ed", "Engineering", Level.L3)
    assert sweep(H + 32 * M) == ["climb-1-2"]
    assert owner(case) == ("elsa", "Engineering", Level.L3)
    with time_machine.travel(NOON + H + 40 * M, tick=False):
        case_acknowledge(case=case, by=case.owner)
    assert sweep(H + 48 * M) == []
    assert sweep(2 * H) == []
    assert owner(case) == ("elsa", "Engineering", Level.L3)
    steps = list(EscalationRecord.objects.filter(case=case).values_list("step", "rule"))
    assert steps == [
        ("breach", "breach_to_next_level"),
        ("climb-1-1", "climb_to_next_level"),
        ("climb-1-2", "climb_to_team_lead"),
    ]
    climbs = CaseEvent.objects.filter(
        case=case, kind=EventKind.ESCALATED, data__step__startswith="climb"
    )
    assert [e.reason for e in climbs] == [
        "Not acknowledged in time: climbed. Rule: Not acknowledged: reassign to the next level.",
        "Not acknowledged in time: climbed. Rule: Not acknowledged: reassign to the team lead.",
    ]
    # Each new owner hears it from the assignment; the one passed over hears it from the ladder.
    assert Notification.objects.filter(
        case=case, recipient__username="ed", subject__contains="not acknowledged in time"
    ).exists()


def test_any_action_by_a_person_stops_the_ladder(case) -> None:
    """A note by anyone who works the case counts as taking it: the case is being looked at."""
    assert sweep(H + M) == ["breach"]
    with time_machine.travel(NOON + H + 10 * M, tick=False):
        case_add_note(case=case, by=case.owner, body="Looking at the payment logs.")
    assert sweep(H + 16 * M) == []
    assert response_clock(case).climb_at is None
    assert owner(case)[0] == "dave"


def test_the_ladder_ends_with_the_manager_on_duty(case, bob, management) -> None:
    assert sweep(H + M) == ["breach"]
    assert sweep(H + 16 * M) == ["climb-1-1"]
    assert sweep(H + 32 * M) == ["climb-1-2"]
    assert sweep(H + 48 * M) == ["climb-1-3"]
    assert owner(case) == ("bob", "Management", Level.MANAGEMENT)
    clock = response_clock(case)
    assert clock.climb_at is None and clock.climb_count == 3
    assert sweep(3 * H) == []


def test_a_rung_that_cannot_take_the_case_is_passed(case, engineering) -> None:
    """A team without a lead: from the next level straight to the manager on duty."""
    Team.objects.filter(pk=engineering.pk).update(lead=None)
    assert sweep(H + M) == ["breach"]
    assert sweep(H + 16 * M) == ["climb-1-1"]
    assert sweep(H + 32 * M) == ["climb-1-3"]
    assert owner(case)[0] == "bob"


def test_without_an_acknowledge_window_there_is_no_ladder(case) -> None:
    SlaPolicy.objects.update(acknowledge_minutes=None)
    assert sweep(H + M) == ["breach"]
    assert response_clock(case).climb_at is None
    assert sweep(2 * H) == []
    assert owner(case)[0] == "dave"


def test_each_climb_is_taken_once_even_if_its_moment_is_reset(case) -> None:
    assert sweep(H + M) == ["breach"]
    assert sweep(H + 16 * M) == ["climb-1-1"]
    clock = response_clock(case)
    CaseClock.objects.filter(pk=clock.pk).update(climb_count=0, climb_at=NOON + H + 16 * M)
    assert sweep(H + 17 * M) == []  # climb-1-1 is on record
    assert EscalationRecord.objects.filter(case=case, step__startswith="climb").count() == 1


def test_the_look_ahead_sees_a_coming_climb(case) -> None:
    assert sweep(H + M) == ["breach"]
    clock = response_clock(case)
    assert clock.climb_at == NOON + H + 16 * M
    assert clock.climb_at in owed_moments(clock)
    found = soon_moments(now=NOON + H + 15 * M, until=NOON + H + 17 * M)
    assert (clock.pk, clock.climb_at) in found


def test_the_acknowledge_window_is_business_time(policy: SlaPolicy) -> None:
    """On office hours, 15 minutes asked at 16:50 Amsterdam end at 09:05 the next morning."""
    SlaPolicy.objects.filter(pk=policy.pk).update(calendar=office_calendar())
    policy.refresh_from_db()
    ten_to_five = datetime(2026, 3, 3, 15, 50, tzinfo=UTC)  # 16:50 in Amsterdam
    assert acknowledge_deadline(policy=policy, now=ten_to_five) == datetime(
        2026, 3, 4, 8, 5, tzinfo=UTC
    )
    SlaPolicy.objects.filter(pk=policy.pk).update(acknowledge_minutes=None)
    policy.refresh_from_db()
    assert acknowledge_deadline(policy=policy, now=ten_to_five) is None
