"""A breach never un-happens: each row of the README's table "What a change does to a breach".

The ladder and policy of tests/sla/conftest.py: Standard S3 on 24x7, respond in 1 h (warn at
45 min), resolve in 8 h, update every 2 h, re-escalate after 1 h still breached. The case is
raised at noon and owned by alice; its first response falls due at 13:00.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest
import time_machine
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.state import ProjectState

from cases.models import Case, CaseEvent, EventKind, Severity, Status, Tier
from cases.services import (
    case_acknowledge,
    case_add_note,
    case_assign,
    case_change_severity,
    case_raise,
    case_reopen,
    case_resolve,
    case_set_status,
)
from cases.timeline import event_record
from reports.definitions import ReportFilters
from reports.selectors.figures import period_counts, period_figures
from reports.weeks import IsoWeek, period_for
from reviews.selectors.dashboard import dashboard_for
from sla.facts import breach_fact, facts_save
from sla.models import (
    CaseClock,
    ClockKind,
    EscalationRecord,
    SlaBreach,
    SlaPolicy,
    WorkingHours,
)
from sla.selectors import ClockStateName, clock_state
from sla.services import case_clocks_resync
from tests.cases.factories import root_cause
from tests.sla.factories import BusinessCalendarFactory, SlaPolicyFactory
from tests.sla.test_escalation import sweep

pytestmark = pytest.mark.django_db

NOON = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
M = timedelta(minutes=1)
H = timedelta(hours=1)


def at(offset: timedelta) -> time_machine.travel:
    return time_machine.travel(NOON + offset, tick=False)


@pytest.fixture
def case(ladder, alice, bob, customer, policy) -> Case:  # type: ignore[no-untyped-def]
    with at(timedelta(0)):
        raised = case_raise(
            raised_by=alice,
            customer=customer,
            title="Checkout fails",
            description="Orders stop at the payment step.",
            severity=Severity.S3,
            team=ladder,
        )
        return case_assign(case=raised, by=bob, owner=alice, reason="Yours")


@pytest.fixture
def looser(policy) -> SlaPolicy:  # type: ignore[no-untyped-def]
    """Standard S4: respond in 4 h, resolve in 40 h."""
    return SlaPolicyFactory(severity=Severity.S4, response_minutes=240, resolution_minutes=2400)


def response(case: Case) -> CaseClock:
    return CaseClock.objects.select_related("policy").get(case=case, kind=ClockKind.RESPONSE)


def fresh(case: Case) -> Case:
    return Case.objects.get(pk=case.pk)


def breaches(case: Case) -> list[tuple[str, int, datetime, str]]:
    return list(
        SlaBreach.objects.filter(case=case)
        .order_by("clock_kind", "cycle")
        .values_list("clock_kind", "cycle", "breached_at", "policy_name")
    )


def counted_breaches(moment: datetime) -> int:
    """The live week's breach count, as the weekly report and its trend show it."""
    period = period_for(IsoWeek.containing(moment), now=moment)
    cheap = period_counts(periods=[period], filters=ReportFilters())[0]["breaches"]
    full = period_figures(periods=[period], filters=ReportFilters(), with_ages=False)
    week = full.series["all"][None][0]
    assert week["breaches"] == cheap
    return cheap


def dashboard_breached(bob, moment: datetime) -> int:  # type: ignore[no-untyped-def]
    board = dashboard_for(manager=bob, now=moment)
    return sum(team.counts.get("breached", 0) for team in board.teams)


def assert_breach_stands(case: Case, bob, moment: datetime) -> None:  # type: ignore[no-untyped-def]
    """The response breach at 13:00 counts everywhere at ``moment``."""
    clock = response(case)
    assert clock.breached_at == NOON + H
    assert breaches(case)[0][:3] == (ClockKind.RESPONSE, 1, NOON + H)
    assert clock_state(clock, now=moment).state == ClockStateName.BREACHED
    assert counted_breaches(moment) == 1
    if fresh(case).is_open:
        assert dashboard_breached(bob, moment) == 1


def test_the_engine_records_the_breach_once_under_the_policy_it_ran_against(case, bob) -> None:
    assert sweep(61 * M) == ["breach"]
    assert sweep(62 * M) == []
    assert breaches(case) == [(ClockKind.RESPONSE, 1, NOON + H, "Standard S3")]
    assert_breach_stands(case, bob, NOON + 62 * M)


def test_lowering_severity_after_a_breach_keeps_it_and_starts_a_new_attempt(
    case, bob, looser
) -> None:
    sweep(61 * M)
    with at(70 * M):
        case_change_severity(case=fresh(case), by=bob, severity=Severity.S4, reason="Workaround")
    clock = response(case)
    assert (clock.attempt, clock.attempt_started_at, clock.due_at) == (
        2,
        NOON + 70 * M,
        NOON + 4 * H,
    )
    state = clock_state(clock, now=NOON + 70 * M)
    assert state.label == "Breached; 2 h 50 min left on the new target"
    assert breaches(case) == [(ClockKind.RESPONSE, 1, NOON + H, "Standard S3")]
    assert_breach_stands(case, bob, NOON + 70 * M)
    # The next step waits for the new attempt's deadline, and the breach is not taken twice.
    assert sweep(2 * H + 5 * M) == []
    assert clock.reescalate_at == NOON + 4 * H


def test_a_deadline_passed_before_the_sweep_came_is_recorded_by_the_change_itself(
    case, bob, looser
) -> None:
    with at(61 * M):
        case_change_severity(case=fresh(case), by=bob, severity=Severity.S4, reason="Workaround")
    assert breaches(case) == [(ClockKind.RESPONSE, 1, NOON + H, "Standard S3")]
    assert response(case).breach_handled_at is None
    # The engine still owes the breach its step (escalation), once, though the new deadline
    # is hours away.
    assert sweep(62 * M) == ["breach"]
    assert sweep(63 * M) == []
    assert EscalationRecord.objects.filter(case=case, step="breach").count() == 1
    assert fresh(case).owner != case.owner
    assert_breach_stands(case, bob, NOON + 63 * M)


def test_the_engines_escalation_to_the_next_level_keeps_the_breach(case, bob) -> None:
    sweep(61 * M)
    escalated = fresh(case)
    assert escalated.team != case.team
    with at(65 * M):
        case_assign(case=escalated, by=bob, owner=bob, reason="Taking it")
    assert_breach_stands(case, bob, NOON + 65 * M)


def test_editing_the_policy_after_a_breach_keeps_it(case, bob, policy) -> None:
    sweep(61 * M)
    SlaPolicy.objects.filter(pk=policy.pk).update(response_minutes=600)
    case_clocks_resync(case_id=case.pk, now=NOON + 70 * M)
    clock = response(case)
    assert (clock.due_at, clock.attempt) == (NOON + 10 * H, 2)
    assert_breach_stands(case, bob, NOON + 70 * M)


def test_a_new_customer_tier_after_a_breach_keeps_it(case, bob, customer) -> None:
    SlaPolicyFactory(tier=Tier.STRATEGIC, severity=Severity.S3, response_minutes=300)
    sweep(61 * M)
    customer.tier = Tier.STRATEGIC
    customer.save(update_fields=["tier"])
    case_clocks_resync(case_id=case.pk, now=NOON + 70 * M)
    clock = response(case)
    assert (clock.due_at, str(clock.policy)) == (NOON + 5 * H, "Strategic S3")
    assert_breach_stands(case, bob, NOON + 70 * M)


def test_a_new_calendar_after_a_breach_keeps_it(case, bob, policy) -> None:
    sweep(61 * M)
    # Afternoons only (Amsterdam, 13:30-17:00): raised at 13:00 there, the hour of business
    # time runs 13:30-14:30, so the deadline moves to 13:30 UTC, in the future again.
    afternoons = BusinessCalendarFactory(name="Afternoons", always_open=False)
    WorkingHours.objects.bulk_create(
        WorkingHours(calendar=afternoons, weekday=day, start=time(13, 30), end=time(17))
        for day in range(5)
    )
    SlaPolicy.objects.filter(pk=policy.pk).update(calendar=afternoons)
    case_clocks_resync(case_id=case.pk, now=NOON + 61 * M)
    assert response(case).due_at == NOON + 90 * M
    assert_breach_stands(case, bob, NOON + 61 * M)


def test_a_breached_clock_set_waiting_on_the_customer_reads_breached_paused(case, bob) -> None:
    sweep(61 * M)
    with at(70 * M):
        case_acknowledge(case=fresh(case), by=bob)
    resolution = CaseClock.objects.get(case=case, kind=ClockKind.RESOLUTION)
    CaseClock.objects.filter(pk=resolution.pk).update(breached_at=NOON + 2 * H)
    facts_save(breaches=[breach_fact(CaseClock.objects.get(pk=resolution.pk), now=NOON + 2 * H)])
    with at(3 * H):
        case_set_status(case=fresh(case), by=bob, status=Status.WAITING, reason="Asked for logs")
    paused = CaseClock.objects.get(pk=resolution.pk)
    assert paused.paused_at == NOON + 3 * H
    state = clock_state(paused, now=NOON + 4 * H)
    assert (state.state, state.label) == (ClockStateName.BREACHED, "Breached, paused")
    assert dashboard_breached(bob, NOON + 4 * H) == 1


def test_responding_in_time_for_a_new_target_still_counts_the_deadline_missed(
    case, bob, looser
) -> None:
    sweep(61 * M)
    with at(70 * M):
        case_change_severity(case=fresh(case), by=bob, severity=Severity.S4, reason="Workaround")
    with at(80 * M):
        case_acknowledge(case=fresh(case), by=bob)
    clock = response(case)
    assert (clock.met, clock.late_seconds) == (False, 20 * 60)
    assert clock_state(clock, now=NOON + 2 * H).label == "Missed by 20 min"
    period = period_for(IsoWeek.containing(NOON), now=NOON + 2 * H)
    week = period_figures(periods=[period], filters=ReportFilters()).series["all"][None][0]
    assert (week["response_met"], week["response_missed"], week["response_compliance"]) == (
        0,
        1,
        0.0,
    )
    assert_breach_stands(case, bob, NOON + 2 * H)


def test_reopening_a_case_keeps_its_breach(case, bob) -> None:
    sweep(61 * M)
    with at(90 * M):
        case_acknowledge(case=fresh(case), by=bob)
    with at(2 * H):
        resolved = case_resolve(case=fresh(case), by=bob, summary="Fixed", root_cause=root_cause())
    with at(3 * H):
        case_reopen(case=resolved, by=bob, reason="Came back")
    clock = response(case)
    assert clock.breached_at == NOON + H
    assert breaches(case) == [(ClockKind.RESPONSE, 1, NOON + H, "Standard S3")]
    assert counted_breaches(NOON + 3 * H) == 1


def test_a_new_customer_update_cycle_keeps_the_breach_of_the_cycle_before(case, bob) -> None:
    with at(10 * M):
        case_acknowledge(case=fresh(case), by=bob)
    # The update clock (every 2 h from the first response) falls due at 14:10.
    assert sweep(2 * H + 11 * M) == ["breach"]
    with at(2 * H + 30 * M):
        case_add_note(case=fresh(case), by=bob, body="Fix in test", customer_facing=True)
    update = CaseClock.objects.get(case=case, kind=ClockKind.UPDATE)
    assert (update.cycle, update.breached_at) == (2, None)
    assert breaches(case) == [(ClockKind.UPDATE, 1, NOON + 2 * H + 10 * M, "Standard S3")]
    assert counted_breaches(NOON + 3 * H) == 1


def test_an_update_deadline_passed_unseen_before_the_next_update_is_still_a_breach(
    case, bob
) -> None:
    with at(10 * M):
        case_acknowledge(case=fresh(case), by=bob)
    with at(2 * H + 30 * M):  # no sweep ran since 14:10
        case_add_note(case=fresh(case), by=bob, body="Fix in test", customer_facing=True)
    assert breaches(case) == [(ClockKind.UPDATE, 1, NOON + 2 * H + 10 * M, "Standard S3")]


def test_two_writers_of_the_same_breach_leave_one_fact(case) -> None:
    sweep(61 * M)
    clock = response(case)
    facts_save(breaches=[breach_fact(clock, now=NOON + 2 * H)])
    assert SlaBreach.objects.filter(case=case).count() == 1


def test_the_migration_rebuilds_breaches_only_the_timeline_remembers(case, bob) -> None:
    sweep(61 * M)
    # What an older version left behind: the breach cleared by a looser target, the fact
    # missing, the clock later counted as met.
    SlaBreach.objects.all().delete()
    CaseClock.objects.filter(case=case, kind=ClockKind.RESPONSE).update(
        breached_at=None,
        breach_handled_at=None,
        stopped_at=NOON + 2 * H,
        met=True,
        late_seconds=0,
        due_at=NOON + 4 * H,
    )
    with at(3 * H):
        # An update clock's older cycle breach, wiped by its next cycle.
        event_record(
            case=case,
            actor=None,
            kind=EventKind.SLA_BREACH,
            data={
                "clock": "update",
                "cycle": 1,
                "step": "breach",
                "due_at": "2026-03-02T14:10:00+00:00",
            },
        )
    assert CaseEvent.objects.filter(case=case, kind=EventKind.SLA_BREACH).count() == 2
    loader = MigrationLoader(connection)
    state: ProjectState = loader.project_state(("sla", "0005_rebuild_breach_facts"))
    migration = loader.get_migration("sla", "0005_rebuild_breach_facts")
    migration.operations[0].code(state.apps, None)
    assert breaches(case) == [
        (ClockKind.RESPONSE, 1, NOON + H, ""),
        (ClockKind.UPDATE, 1, NOON + 2 * H + 10 * M, ""),
    ]
    clock = response(case)
    assert (clock.breached_at, clock.met, clock.late_seconds) == (NOON + H, False, 3600)
    assert clock.breach_handled_at is not None


def test_a_first_response_exactly_at_the_deadline_is_in_time(case, bob) -> None:
    with at(H):
        case_acknowledge(case=fresh(case), by=bob)
    clock = response(case)
    assert (clock.met, clock.breached_at) == (True, None)
    assert breaches(case) == []
