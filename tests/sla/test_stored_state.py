"""The SLA marks stored on the case tell its SLA state exactly as its clocks do: the queue's
filter (range conditions on the case) and the dashboard's expression (over the clocks) agree,
now and later without a write, and a breach on record stays one."""

from __future__ import annotations

import io
import random
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import connection

from cases.models import Case, Severity, Status
from cases.models.case import URGENCY_ALLOWANCE, CaseSlaState, sla_state_condition
from cases.services import case_acknowledge, case_change_severity, case_raise, case_set_status
from demo.reference_data import seed_reference_data
from demo.seeding import seed_cases
from sla.models import CaseClock, ClockKind
from sla.selectors import case_sla_state
from sla.services import MARK_FIELDS, case_sla_marks, cases_sla_marks_refresh
from tests.factories import CaseFactory
from tests.sla.factories import SlaPolicyFactory

pytestmark = pytest.mark.django_db

NOON = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
H = timedelta(hours=1)
M = timedelta(minutes=1)


def at(moment: datetime) -> time_machine.travel:
    return time_machine.travel(moment, tick=False)


def by_marks(now: datetime) -> dict[int, str]:
    states: dict[int, str] = {}
    for state in CaseSlaState.values:
        for pk in Case.objects.filter(sla_state_condition(state, now=now)).values_list(
            "pk", flat=True
        ):
            assert pk not in states, f"case {pk} is both {states[pk]} and {state}"
            states[pk] = state
    return states


def by_clocks(now: datetime) -> dict[int, str]:
    return dict(Case.objects.annotate(s=case_sla_state(now=now)).values_list("pk", "s"))


def random_clocks(rng: random.Random, case: Case) -> None:
    """0 to 3 clocks, each running, paused or stopped, with or without a breach on record (a
    deadline that had passed when recorded, so never after NOON), warning before or after
    its deadline, deadlines within a few hours either side of NOON."""
    for kind in rng.sample(ClockKind.values, rng.randint(0, 3)):
        due = NOON + rng.randint(-300, 300) * M
        stopped = rng.random() < 0.3
        paused = not stopped and rng.random() < 0.3
        breached = min(due, NOON) - rng.randint(0, 120) * M if rng.random() < 0.3 else None
        CaseClock.objects.create(
            case=case,
            kind=kind,
            target_seconds=3600,
            started_at=NOON - 10 * H,
            due_at=due,
            warn_at=due - rng.randint(-30, 120) * M,
            paused_at=NOON - H if paused else None,
            stopped_at=NOON - H if stopped else None,
            met=(breached is None and rng.random() < 0.8) if stopped else None,
            breached_at=breached,
        )


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the comparison runs on PostgreSQL")
def test_the_stored_marks_give_the_clocks_state_for_random_clocks_now_and_later() -> None:
    rng = random.Random(13)
    cases = [
        CaseFactory(status=rng.choice(Status.values), severity=rng.choice(Severity.values))
        for _ in range(150)
    ]
    for case in cases:
        random_clocks(rng, case)
    cases_sla_marks_refresh(case_ids=[c.pk for c in cases])
    # Time passes without a write (from when the clocks were stored: breaches on record are
    # in the past then): warnings and deadlines come, the states follow.
    for later in (0 * H, 30 * M, 2 * H, 6 * H):
        now = NOON + later
        assert by_marks(now) == by_clocks(now), f"at NOON{later}"
    assert set(by_marks(NOON).values()) == set(CaseSlaState.values)  # every state was tried


def test_the_marks_are_the_earliest_breach_deadline_and_warning_plus_the_allowance() -> None:
    case = CaseFactory(severity=Severity.S3)
    ticking = CaseClock(due_at=NOON + 2 * H, warn_at=NOON + H)
    paused = CaseClock(due_at=NOON + H, warn_at=NOON, paused_at=NOON - H)
    stopped_late = CaseClock(
        due_at=NOON - H, warn_at=NOON - 2 * H, stopped_at=NOON, breached_at=NOON - H
    )
    marks = case_sla_marks(clocks=[ticking, paused, stopped_late], severity=case.severity)
    assert marks.values() == (
        NOON + 2 * H,
        NOON - H,
        NOON + H,
        False,
        NOON - H + URGENCY_ALLOWANCE[Severity.S3],
    )
    only_paused = case_sla_marks(clocks=[paused], severity=Severity.S1)
    assert (only_paused.sla_breach_at, only_paused.sla_paused) == (None, True)
    assert case_sla_marks(clocks=[], severity=Severity.S1).values() == (
        None,
        None,
        None,
        False,
        None,
    )


def state_of(case: Case, now: datetime) -> str:
    return by_marks(now)[case.pk]


def test_the_clock_sync_keeps_the_marks_through_warning_breach_pause_and_new_target(
    alice, bob, customer, policy
) -> None:
    # The default policy: S3 on 24x7, respond in 1 h, resolve in 8 h, warn at 75 %.
    SlaPolicyFactory(severity=Severity.S4, response_minutes=240, resolution_minutes=2400)
    with at(NOON):
        case = case_raise(
            raised_by=alice,
            customer=customer,
            title="Checkout fails",
            description="Orders stop at the payment step.",
            severity=Severity.S3,
        )
    case.refresh_from_db()
    assert (case.sla_breach_at, case.sla_warn_at) == (NOON + H, NOON + 45 * M)
    assert case.urgency_at == NOON + H + URGENCY_ALLOWANCE[Severity.S3]
    # No write between: the state follows the clock on its own.
    assert [state_of(case, NOON + d) for d in (0 * M, 50 * M, 61 * M)] == [
        CaseSlaState.ON_TRACK,
        CaseSlaState.AT_RISK,
        CaseSlaState.BREACHED,
    ]
    # The engine records the breach; then a looser target moves the deadline past now.
    CaseClock.objects.filter(case=case, kind=ClockKind.RESPONSE).update(
        breached_at=NOON + H, breach_handled_at=NOON + H
    )
    with at(NOON + 90 * M):
        case_change_severity(case=case, by=bob, severity=Severity.S4, reason="Workaround given")
    case.refresh_from_db()
    assert case.next_due_at == NOON + 4 * H
    assert case.sla_breach_at == NOON + H  # the breach on record, not the new deadline
    assert state_of(case, NOON + 90 * M) == CaseSlaState.BREACHED
    assert by_marks(NOON + 90 * M) == by_clocks(NOON + 90 * M)
    assert [getattr(case, f) for f in MARK_FIELDS] == list(
        case_sla_marks(clocks=CaseClock.objects.filter(case=case), severity=case.severity).values()
    )


def test_waiting_on_the_customer_pauses_the_case_and_resuming_runs_it_again(
    alice, bob, customer, policy
) -> None:
    with at(NOON):
        case = case_raise(
            raised_by=alice,
            customer=customer,
            title="Export stuck",
            description="The nightly export has not finished.",
            severity=Severity.S3,
        )
    with at(NOON + 10 * M):
        case_acknowledge(case=case, by=bob)
    with at(NOON + 20 * M):
        case_set_status(case=case, by=bob, status=Status.WAITING, reason="Asked for logs")
    case.refresh_from_db()
    assert case.sla_paused is True
    assert state_of(case, NOON + 20 * H) == CaseSlaState.PAUSED  # paused: no deadline comes
    with at(NOON + 2 * H):
        case_set_status(case=case, by=bob, status=Status.IN_PROGRESS, reason="Logs came")
    case.refresh_from_db()
    assert case.sla_paused is False
    assert state_of(case, NOON + 2 * H) == CaseSlaState.ON_TRACK
    assert by_marks(NOON + 2 * H) == by_clocks(NOON + 2 * H)


def test_seeded_demo_cases_carry_the_marks_their_clocks_give(settings) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    seed_reference_data()
    now = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
    with at(now):
        seed_cases(total=300, stdout=io.StringIO(), now=now)
    assert cases_sla_marks_refresh(case_ids=Case.objects.values_list("pk", flat=True)) == 0
    for later in (0 * H, 3 * H, 48 * H):
        assert by_marks(now + later) == by_clocks(now + later)
