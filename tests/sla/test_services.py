"""The clocks of a case follow the case: start, pause, resume, stop, re-target, met and breached.

The default policy (tests/sla/factories.py) is Standard S3 on a 24x7 calendar: respond in 1 h,
resolve in 8 h, update every 2 h, warn at 75 %.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cases.models import Case, Severity, Status, Tier
from cases.services import (
    case_acknowledge,
    case_add_note,
    case_change_severity,
    case_raise,
    case_reopen,
    case_resolve,
    case_set_status,
)
from sla.models import CaseClock, ClockKind, Holiday, SlaPolicy
from sla.services import case_clocks_resync, case_clocks_sync
from tests.cases.factories import root_cause
from tests.sla.factories import SlaPolicyFactory, office_calendar

pytestmark = pytest.mark.django_db

# Monday 2 March 2026, noon UTC (13:00 in Amsterdam).
NOON = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
H = timedelta(hours=1)
M = timedelta(minutes=1)


def at(delta: timedelta) -> time_machine.travel:
    return time_machine.travel(NOON + delta, tick=False)


def clock(case: Case, kind: ClockKind) -> CaseClock:
    return CaseClock.objects.get(case=case, kind=kind)


def raise_case(alice, customer, severity: str = Severity.S3) -> Case:  # type: ignore[no-untyped-def]
    return case_raise(
        raised_by=alice,
        customer=customer,
        title="Checkout fails",
        description="Orders stop at the payment step.",
        severity=severity,
    )


@at(timedelta(0))
def test_raising_a_case_starts_response_and_resolution_clocks(alice, customer, policy) -> None:
    case = raise_case(alice, customer)
    response, resolution = clock(case, ClockKind.RESPONSE), clock(case, ClockKind.RESOLUTION)
    assert (response.started_at, response.due_at, response.warn_at) == (
        NOON,
        NOON + H,
        NOON + 45 * M,
    )
    assert (resolution.due_at, resolution.warn_at) == (NOON + 8 * H, NOON + 6 * H)
    assert response.policy == policy and response.target_seconds == 3600
    assert not CaseClock.objects.filter(case=case, kind=ClockKind.UPDATE).exists()
    case.refresh_from_db()
    assert case.next_due_at == NOON + H


@at(timedelta(0))
def test_a_case_without_a_policy_gets_no_clocks(alice, customer, policy) -> None:
    case = raise_case(alice, customer, severity=Severity.S1)
    assert not CaseClock.objects.filter(case=case).exists()
    case.refresh_from_db()
    assert case.next_due_at is None


def test_business_hours_calendar_counts_only_working_time(alice, customer) -> None:
    SlaPolicyFactory(calendar=office_calendar())
    # Friday 6 March 16:30 in Amsterdam: 30 minutes left that day, the rest on Monday.
    with time_machine.travel(datetime(2026, 3, 6, 15, 30, tzinfo=UTC), tick=False):
        case = raise_case(alice, customer)
    response = clock(case, ClockKind.RESPONSE)
    assert response.due_at == datetime(2026, 3, 9, 8, 30, tzinfo=UTC)  # Monday 09:30 local
    assert response.warn_at == datetime(2026, 3, 9, 8, 15, tzinfo=UTC)


def test_holidays_are_not_business_time(alice, customer) -> None:
    calendar = office_calendar()
    Holiday.objects.create(calendar=calendar, date=datetime(2026, 3, 9).date(), name="Closed")
    SlaPolicyFactory(calendar=calendar)
    with time_machine.travel(datetime(2026, 3, 6, 15, 30, tzinfo=UTC), tick=False):
        case = raise_case(alice, customer)
    assert clock(case, ClockKind.RESPONSE).due_at == datetime(2026, 3, 10, 8, 30, tzinfo=UTC)


def test_acknowledging_in_time_stops_the_response_clock_as_met(
    alice, bob, customer, policy
) -> None:
    with at(timedelta(0)):
        case = raise_case(alice, customer)
    with at(40 * M):
        case_acknowledge(case=case, by=bob)
    response = clock(case, ClockKind.RESPONSE)
    assert response.stopped_at == NOON + 40 * M
    assert (response.met, response.elapsed_seconds, response.late_seconds) == (True, 2400, 0)
    assert response.breached_at is None


def test_a_late_first_response_records_the_breach_and_by_how_much(
    alice, bob, customer, policy
) -> None:
    with at(timedelta(0)):
        case = raise_case(alice, customer)
    with at(90 * M):
        case_acknowledge(case=case, by=bob)
    response = clock(case, ClockKind.RESPONSE)
    assert (response.met, response.elapsed_seconds, response.late_seconds) == (False, 5400, 1800)
    assert response.breached_at == NOON + H  # the breach moment is the deadline itself


def test_the_first_response_starts_the_update_clock(alice, bob, customer, policy) -> None:
    with at(timedelta(0)):
        case = raise_case(alice, customer)
    with at(10 * M):
        case_acknowledge(case=case, by=bob)
    update = clock(case, ClockKind.UPDATE)
    assert (update.started_at, update.due_at, update.cycle) == (NOON + 10 * M, NOON + 130 * M, 1)
    case.refresh_from_db()
    assert case.next_due_at == NOON + 130 * M  # the update is now the nearest deadline


def test_each_customer_update_starts_a_new_update_cycle(alice, bob, customer, policy) -> None:
    with at(timedelta(0)):
        case = raise_case(alice, customer)
    with at(10 * M):
        case = case_acknowledge(case=case, by=bob)
    with at(3 * H):
        case_add_note(case=case, by=bob, body="We found the cause.", customer_facing=True)
    update = clock(case, ClockKind.UPDATE)
    assert (update.cycle, update.started_at, update.due_at) == (2, NOON + 3 * H, NOON + 5 * H)
    assert update.breached_at is None and update.warned_at is None


def test_an_internal_note_changes_no_clock(alice, bob, customer, policy) -> None:
    with at(timedelta(0)):
        case = raise_case(alice, customer)
    before = list(CaseClock.objects.filter(case=case).values())
    with at(30 * M):
        case_add_note(case=case, by=bob, body="Looking into it.")
    assert list(CaseClock.objects.filter(case=case).values()) == before


def test_waiting_on_the_customer_pauses_and_resuming_moves_the_deadline(
    alice, bob, customer, policy
) -> None:
    with at(timedelta(0)):
        case = raise_case(alice, customer)
    with at(10 * M):
        case = case_acknowledge(case=case, by=bob)
    with at(2 * H):
        case = case_set_status(case=case, by=bob, status=Status.WAITING, reason="Need logs")
    resolution = clock(case, ClockKind.RESOLUTION)
    assert resolution.paused_at == NOON + 2 * H
    assert resolution.remaining_seconds_at_pause == 6 * 3600
    assert clock(case, ClockKind.UPDATE).paused_at == NOON + 2 * H
    case.refresh_from_db()
    assert case.next_due_at is None  # nothing is running

    with at(5 * H):
        case_set_status(case=case, by=bob, status=Status.IN_PROGRESS, reason="Logs arrived")
    resolution = clock(case, ClockKind.RESOLUTION)
    assert resolution.paused_at is None and resolution.paused_seconds == 3 * 3600
    assert resolution.due_at == NOON + 11 * H  # 8 h target + 3 h paused
    assert resolution.warn_at == NOON + 9 * H


def test_a_pause_over_the_weekend_moves_the_deadline_by_business_time_only(
    alice, bob, customer
) -> None:
    SlaPolicyFactory(calendar=office_calendar())
    friday_3pm = datetime(2026, 3, 6, 14, 0, tzinfo=UTC)  # 15:00 in Amsterdam
    with time_machine.travel(friday_3pm, tick=False):
        case = raise_case(alice, customer)
        case = case_acknowledge(case=case, by=bob)
    before = clock(case, ClockKind.RESOLUTION).due_at
    with time_machine.travel(friday_3pm + H, tick=False):  # 16:00
        case = case_set_status(case=case, by=bob, status=Status.WAITING)
    with time_machine.travel(datetime(2026, 3, 9, 9, 0, tzinfo=UTC), tick=False):  # Mon 10:00
        case_set_status(case=case, by=bob, status=Status.IN_PROGRESS)
    resolution = clock(case, ClockKind.RESOLUTION)
    assert resolution.paused_seconds == 2 * 3600  # Friday 16-17 and Monday 9-10
    # The 8 h target ran from Friday 15:00: 2 h on Friday, the rest Monday; plus 2 h paused.
    assert before == datetime(2026, 3, 9, 14, 0, tzinfo=UTC)  # Monday 15:00
    assert resolution.due_at == datetime(2026, 3, 9, 16, 0, tzinfo=UTC)  # Monday 17:00


def test_the_response_clock_does_not_pause(alice, bob, customer, policy) -> None:
    with at(timedelta(0)):
        case = raise_case(alice, customer)
        CaseClock.objects.filter(case=case, kind=ClockKind.RESPONSE).update(
            stopped_at=None, met=None
        )
    Case.objects.filter(pk=case.pk).update(status=Status.WAITING)
    case.refresh_from_db()
    with at(20 * M):
        case_clocks_sync(case=case, now=NOON + 20 * M)
    assert clock(case, ClockKind.RESPONSE).paused_at is None
    assert clock(case, ClockKind.RESOLUTION).paused_at == NOON + 20 * M


def test_a_severity_change_retargets_the_running_clocks(alice, bob, customer, policy) -> None:
    SlaPolicyFactory(severity=Severity.S1, response_minutes=15, resolution_minutes=240)
    with at(timedelta(0)):
        case = raise_case(alice, customer)
    with at(5 * M):
        case_change_severity(case=case, by=bob, severity=Severity.S1, reason="Site down")
    response = clock(case, ClockKind.RESPONSE)
    assert (response.target_seconds, response.due_at) == (900, NOON + 15 * M)
    assert clock(case, ClockKind.RESOLUTION).due_at == NOON + 4 * H
    case.refresh_from_db()
    assert case.next_due_at == NOON + 15 * M


def test_a_stricter_target_already_past_leaves_the_clock_due_for_the_sweep(
    alice, bob, customer, policy
) -> None:
    SlaPolicyFactory(severity=Severity.S1, response_minutes=15, resolution_minutes=240)
    with at(timedelta(0)):
        case = raise_case(alice, customer)
    with at(30 * M):
        case_change_severity(case=case, by=bob, severity=Severity.S1, reason="Site down")
    response = clock(case, ClockKind.RESPONSE)
    assert response.due_at == NOON + 15 * M
    assert response.breached_at is None  # the sweep escalates it, exactly once


def test_a_looser_target_keeps_the_breach_and_starts_a_new_attempt(
    alice, bob, customer, policy
) -> None:
    SlaPolicyFactory(severity=Severity.S4, response_minutes=240, resolution_minutes=2400)
    with at(timedelta(0)):
        case = raise_case(alice, customer)
    CaseClock.objects.filter(case=case, kind=ClockKind.RESPONSE).update(
        warned_at=NOON + 45 * M, breached_at=NOON + H, breach_handled_at=NOON + H
    )
    with at(90 * M):
        case_change_severity(case=case, by=bob, severity=Severity.S4, reason="Workaround given")
    response = clock(case, ClockKind.RESPONSE)
    assert response.due_at == NOON + 4 * H
    assert response.warned_at is None  # a warning is re-armed for the new attempt
    assert response.breached_at == NOON + H  # the breach is not
    assert (response.attempt, response.attempt_started_at) == (2, NOON + 90 * M)


def test_resolving_stops_the_resolution_clock_met_or_late(alice, bob, customer, policy) -> None:
    with at(timedelta(0)):
        case = raise_case(alice, customer)
        other = raise_case(alice, customer)
    with at(10 * M):
        case = case_acknowledge(case=case, by=bob)
        other = case_acknowledge(case=other, by=bob)
    cause = root_cause()
    with at(7 * H):
        case_resolve(case=case, by=bob, summary="Renewed the cert", root_cause=cause)
    with at(9 * H):
        case_resolve(case=other, by=bob, summary="Renewed the cert", root_cause=cause)
    met = clock(case, ClockKind.RESOLUTION)
    assert (met.stopped_at, met.met, met.elapsed_seconds, met.late_seconds) == (
        NOON + 7 * H,
        True,
        7 * 3600,
        0,
    )
    late = clock(other, ClockKind.RESOLUTION)
    assert (late.met, late.late_seconds, late.breached_at) == (False, 3600, NOON + 8 * H)
    # The update clock stops with the case too.
    assert clock(case, ClockKind.UPDATE).stopped_at == NOON + 7 * H
    case.refresh_from_db()
    assert case.next_due_at is None


def test_resolving_while_waiting_counts_the_pause_until_the_resolution(
    alice, bob, customer, policy
) -> None:
    with at(timedelta(0)):
        case = raise_case(alice, customer)
        case = case_acknowledge(case=case, by=bob)
    with at(2 * H):
        case = case_set_status(case=case, by=bob, status=Status.WAITING)
    with at(12 * H):
        case_resolve(case=case, by=bob, summary="Customer fixed it", root_cause=root_cause())
    resolution = clock(case, ClockKind.RESOLUTION)
    assert (resolution.paused_seconds, resolution.elapsed_seconds) == (10 * 3600, 2 * 3600)
    assert (resolution.met, resolution.due_at) == (True, NOON + 18 * H)


def test_reopening_resumes_the_resolution_clock_without_the_resolved_time(
    alice, bob, customer, policy
) -> None:
    with at(timedelta(0)):
        case = raise_case(alice, customer)
        case = case_acknowledge(case=case, by=bob)
    with at(3 * H):
        case = case_resolve(case=case, by=bob, summary="Restarted", root_cause=root_cause())
    with at(5 * H):
        case_reopen(case=case, by=bob, reason="It failed again")
    resolution = clock(case, ClockKind.RESOLUTION)
    assert (resolution.stopped_at, resolution.met, resolution.elapsed_seconds) == (None, None, None)
    assert resolution.paused_seconds == 2 * 3600
    assert resolution.due_at == NOON + 10 * H
    # The first response stays answered.
    assert clock(case, ClockKind.RESPONSE).met is True


def test_a_tier_change_retargets_open_cases_on_resync(alice, customer, policy) -> None:
    SlaPolicyFactory(tier=Tier.PREMIUM, response_minutes=30, resolution_minutes=240)
    with at(timedelta(0)):
        case = raise_case(alice, customer)
    customer.tier = Tier.PREMIUM
    customer.save()
    with at(5 * M):
        assert case_clocks_resync(case_id=case.pk, now=NOON + 5 * M)
    assert clock(case, ClockKind.RESPONSE).due_at == NOON + 30 * M
    assert case_clocks_resync(case_id=10**9, now=NOON) is False


def test_a_policy_change_retargets_open_cases_on_resync(alice, customer, policy) -> None:
    with at(timedelta(0)):
        case = raise_case(alice, customer)
    SlaPolicy.objects.filter(pk=policy.pk).update(response_minutes=120, warn_percent=50)
    case_clocks_resync(case_id=case.pk, now=NOON + M)
    response = clock(case, ClockKind.RESPONSE)
    assert (response.due_at, response.warn_at) == (NOON + 2 * H, NOON + H)


def test_dropping_the_update_interval_ends_the_update_clock(alice, bob, customer, policy) -> None:
    with at(timedelta(0)):
        case = raise_case(alice, customer)
        case = case_acknowledge(case=case, by=bob)
    SlaPolicy.objects.filter(pk=policy.pk).update(update_minutes=None)
    case_clocks_resync(case_id=case.pk, now=NOON + H)
    update = clock(case, ClockKind.UPDATE)
    assert (update.stopped_at, update.met) == (NOON + H, True)
    with at(2 * H):
        case_add_note(case=case, by=bob, body="Still on it.", customer_facing=True)
    assert clock(case, ClockKind.UPDATE).cycle == 1  # no new cycle without an interval


def test_sync_is_idempotent_and_reads_only_when_nothing_changed(alice, customer, policy) -> None:
    with at(timedelta(0)):
        case = raise_case(alice, customer)
        case.refresh_from_db()
        before = list(CaseClock.objects.filter(case=case).values())
        with CaptureQueriesContext(connection) as queries:
            case_clocks_sync(case=case, now=NOON)
    assert len(queries) == 2  # the policy and the clocks; no write
    assert list(CaseClock.objects.filter(case=case).values()) == before


def test_a_calendar_without_hours_counts_as_24x7_rather_than_never(alice, customer) -> None:
    calendar = office_calendar("Empty")
    calendar.hours.all().delete()
    SlaPolicyFactory(calendar=calendar)
    with at(timedelta(0)):
        case = raise_case(alice, customer)
    assert clock(case, ClockKind.RESPONSE).due_at == NOON + H


def test_office_calendar_factory_is_monday_to_friday_nine_to_five(db: None) -> None:
    calendar = office_calendar()
    assert sorted(calendar.hours.values_list("weekday", "start", "end")) == [
        (day, time(9), time(17)) for day in range(5)
    ]


def test_a_stopped_clock_keeps_the_terms_it_stopped_under(alice, bob, customer, policy) -> None:
    SlaPolicyFactory(severity=Severity.S4, response_minutes=240, resolution_minutes=2400)
    with at(timedelta(0)):
        case = raise_case(alice, customer)
    with at(20 * M):
        case = case_acknowledge(case=case, by=bob)
    with at(30 * M):
        case_change_severity(case=case, by=bob, severity=Severity.S4, reason="Workaround")
    response = clock(case, ClockKind.RESPONSE)
    assert (response.target_seconds, response.attempt, response.policy_id) == (3600, 1, policy.pk)
    assert (response.met, response.due_at) == (True, NOON + H)
    assert clock(case, ClockKind.RESOLUTION).attempt == 2


def test_a_paused_clock_given_a_new_target_says_what_is_left_under_it(
    alice, bob, customer, policy
) -> None:
    SlaPolicyFactory(severity=Severity.S4, response_minutes=240, resolution_minutes=2400)
    with at(timedelta(0)):
        case = raise_case(alice, customer)
    with at(10 * M):
        case = case_acknowledge(case=case, by=bob)
    with at(H):
        case = case_set_status(case=case, by=bob, status=Status.WAITING, reason="Logs?")
    assert clock(case, ClockKind.RESOLUTION).remaining_seconds_at_pause == 7 * 3600
    with at(2 * H):
        case_change_severity(case=case, by=bob, severity=Severity.S4, reason="Workaround")
    assert clock(case, ClockKind.RESOLUTION).remaining_seconds_at_pause == 39 * 3600
