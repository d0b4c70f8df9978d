"""Every clock explains itself (sla.ledger): its policy, calendar and numbers, its breaches and
the segments of its course, each with what caused it.

The story most tests follow, on 24x7 calendars, from Monday 2 March 2026 noon UTC (13:00 in
Amsterdam): a Premium S2 case (respond in 30 min, resolve in 4 h) is raised, acknowledged after
10 min, waits on the customer from 1 h to 2 h, breaches its resolution target at 5 h (the
sweep escalates it), is lowered to S4 (resolve in 24 h) at 5 h 10 min and resolved at 6 h.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest
import time_machine
from django.db import connection
from django.test import TestCase
from django.test.utils import CaptureQueriesContext

from cases.models import Case, CaseEvent, EventKind, Severity, Status, Tier
from cases.services import (
    case_acknowledge,
    case_change_severity,
    case_raise,
    case_reopen,
    case_resolve,
    case_set_status,
)
from sla import clock as bh
from sla.escalation import clock_escalate_due
from sla.ledger import case_clock_ledgers
from sla.ledger_types import ClockLedger, SegmentKind
from sla.models import CaseClock, ClockKind, ClockLedgerEntry
from sla.selectors import clock_state
from tests.cases.factories import root_cause
from tests.factories import CustomerFactory
from tests.sla.clock_helpers import AMSTERDAM, KINGS_DAY, ams, office
from tests.sla.factories import SlaPolicyFactory, office_calendar

pytestmark = pytest.mark.django_db

NOON = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
H = timedelta(hours=1)
M = timedelta(minutes=1)


def at(delta: timedelta) -> time_machine.travel:
    return time_machine.travel(NOON + delta, tick=False)


@pytest.fixture
def premium(db: None):  # type: ignore[no-untyped-def]
    SlaPolicyFactory(
        tier=Tier.PREMIUM,
        severity=Severity.S2,
        response_minutes=30,
        resolution_minutes=240,
        update_minutes=None,
    )
    SlaPolicyFactory(
        tier=Tier.PREMIUM,
        severity=Severity.S4,
        response_minutes=240,
        resolution_minutes=1440,
        update_minutes=None,
    )
    return CustomerFactory(name="Acme Retail", tier=Tier.PREMIUM)


def raise_case(alice, customer, severity: str = Severity.S2) -> Case:  # type: ignore[no-untyped-def]
    return case_raise(
        raised_by=alice,
        customer=customer,
        title="Checkout fails",
        description="Orders stop at the payment step.",
        severity=severity,
    )


def sweep_clock(case: Case, kind: ClockKind, offset: timedelta) -> list[str]:
    clock = CaseClock.objects.get(case=case, kind=kind)
    with at(offset), TestCase.captureOnCommitCallbacks(execute=True):
        return clock_escalate_due(clock_id=clock.pk, now=NOON + offset)


def the_story(alice, bob, customer, *, until: timedelta = 6 * H) -> Case:  # type: ignore[no-untyped-def]
    """The case of the module docstring, played up to ``until``."""
    with at(0 * H):
        case = raise_case(alice, customer)
    if until >= 10 * M:
        with at(10 * M):
            case = case_acknowledge(case=case, by=bob)
    if until >= 1 * H:
        with at(1 * H):
            case = case_set_status(case=case, by=bob, status=Status.WAITING, reason="Logs")
    if until >= 2 * H:
        with at(2 * H):
            case = case_set_status(case=case, by=bob, status=Status.IN_PROGRESS)
    if until >= 5 * H:
        assert sweep_clock(case, ClockKind.RESOLUTION, 5 * H) == ["breach"]
        case.refresh_from_db()
    if until >= 5 * H + 10 * M:
        with at(5 * H + 10 * M):
            case = case_change_severity(
                case=case, by=bob, severity=Severity.S4, reason="Workaround in place"
            )
    if until >= 6 * H:
        with at(6 * H):
            case = case_resolve(case=case, by=bob, summary="Fixed", root_cause=root_cause())
    return Case.objects.get(pk=case.pk)


def ledgers(case: Case, now: datetime) -> dict[str, ClockLedger]:
    return {ledger.kind: ledger for ledger in case_clock_ledgers(case=case, now=now)}


def course(ledger: ClockLedger) -> list[tuple[str, timedelta, timedelta | None, str]]:
    """(kind, start, end, cause) of each segment, as offsets from NOON."""
    return [
        (s.kind, s.start - NOON, s.end - NOON if s.end else None, s.cause) for s in ledger.segments
    ]


def assert_agrees_with_the_clock(ledger: ClockLedger, case: Case, now: datetime) -> None:
    """The segments add up to the clock's own numbers."""
    clock = CaseClock.objects.get(case=case, kind=ledger.kind)
    running = sum(
        (s.business for s in ledger.segments if s.kind == SegmentKind.RUNNING), timedelta(0)
    )
    paused = sum((s.business for s in ledger.segments if s.counts_as_paused), timedelta(0))
    assert running == ledger.used
    assert paused == ledger.paused
    if clock.stopped_at is not None:
        assert ledger.used == timedelta(seconds=clock.elapsed_seconds or 0)
        assert ledger.paused == timedelta(seconds=clock.paused_seconds)
    elif clock.paused_at is not None:
        assert ledger.remaining == timedelta(seconds=clock.remaining_seconds_at_pause or 0)
    else:
        assert ledger.paused == timedelta(seconds=clock.paused_seconds)
        # On a 24x7 calendar business time is real time: what is left is the time to the due.
        assert ledger.remaining == clock_state(clock, now=now).remaining


# --- The story -------------------------------------------------------------------------------


def test_the_resolution_clock_tells_its_whole_course_with_causes(alice, bob, ladder, premium):  # type: ignore[no-untyped-def]
    case = the_story(alice, bob, premium)
    ledger = ledgers(case, NOON + 7 * H)[ClockKind.RESOLUTION]

    assert course(ledger) == [
        (SegmentKind.RUNNING, 0 * H, 1 * H, "Raised"),
        (SegmentKind.PAUSED, 1 * H, 2 * H, "Waiting on customer"),
        (SegmentKind.RUNNING, 2 * H, 5 * H + 10 * M, "In progress"),
        (SegmentKind.RUNNING, 5 * H + 10 * M, 6 * H, "Severity S4, policy Premium S4"),
        (SegmentKind.STOPPED, 6 * H, None, "Resolved"),
    ]
    events = [s.event.kind if s.event else None for s in ledger.segments]
    assert events == [
        EventKind.RAISED,
        EventKind.STATUS,
        EventKind.STATUS,
        EventKind.SEVERITY,
        EventKind.RESOLVED,
    ]
    assert ledger.segments[1].event is not None
    assert ledger.segments[1].event.text == "Acknowledged → Waiting on customer; Logs"
    assert [(s.attempt, s.policy_name) for s in ledger.segments] == [
        (1, "Premium S2"),
        (1, "Premium S2"),
        (1, "Premium S2"),
        (2, "Premium S4"),
        (2, "Premium S4"),
    ]
    assert all(s.recorded for s in ledger.segments)


def test_the_breach_stays_under_the_policy_it_happened_under(alice, bob, ladder, premium):  # type: ignore[no-untyped-def]
    case = the_story(alice, bob, premium)
    ledger = ledgers(case, NOON + 7 * H)[ClockKind.RESOLUTION]

    breach = ledger.breach
    assert breach is not None
    assert (breach.breached_at, breach.attempt, breach.policy_name) == (
        NOON + 5 * H,
        1,
        "Premium S2",
    )
    assert (breach.calendar_name, breach.target_seconds, breach.recorded) == ("24x7", 14400, True)
    assert breach.event is not None and breach.event.kind == EventKind.SLA_BREACH
    assert (ledger.policy_name, ledger.target_seconds, ledger.attempt) == ("Premium S4", 86400, 2)
    # In Amsterdam time: breached at 18:00, re-targeted at 18:10, resolved at 19:00.
    assert ledger.summary == (
        "Breached 18:00 under Premium S2; since 18:10 against Premium S4; stopped 19:00, "
        "within the new target"
    )
    kinds = [row.row_kind for row in ledger.rows]
    assert kinds == ["running", "paused", "running", "breach", "running", "stopped"]


def test_the_numbers_are_the_clocks_own(alice, bob, ladder, premium):  # type: ignore[no-untyped-def]
    case = the_story(alice, bob, premium)
    ledger = ledgers(case, NOON + 7 * H)[ClockKind.RESOLUTION]
    assert (ledger.used, ledger.paused, ledger.remaining) == (5 * H, 1 * H, 19 * H)
    assert (ledger.started_at, ledger.stopped_at, ledger.met) == (NOON, NOON + 6 * H, False)
    assert ledger.calendar_name == "24x7" and ledger.time_zone == "Europe/Amsterdam"
    assert ledger.unplaced_paused == timedelta(0)
    assert_agrees_with_the_clock(ledger, case, NOON + 7 * H)


@pytest.mark.parametrize(
    "until, now",
    [
        (0 * H, 20 * M),  # running
        (1 * H, 90 * M),  # paused, the pause still going
        (2 * H, 3 * H),  # resumed
        (5 * H + 10 * M, 5 * H + 30 * M),  # breached, on a new target
        (6 * H, 8 * H),  # stopped
    ],
)
def test_used_and_paused_agree_with_the_clock_at_every_turn(  # type: ignore[no-untyped-def]
    alice, bob, ladder, premium, until, now
) -> None:
    case = the_story(alice, bob, premium, until=until)
    for ledger in case_clock_ledgers(case=case, now=NOON + now):
        assert_agrees_with_the_clock(ledger, case, NOON + now)


def test_a_paused_clock_counts_the_pause_so_far(alice, bob, ladder, premium):  # type: ignore[no-untyped-def]
    case = the_story(alice, bob, premium, until=1 * H)
    ledger = ledgers(case, NOON + 100 * M)[ClockKind.RESOLUTION]
    assert ledger.paused == 40 * M and ledger.used == 1 * H
    assert ledger.segments[-1].kind == SegmentKind.PAUSED and ledger.segments[-1].end is None
    assert ledger.summary == (
        "Paused since 14:00, waiting on the customer: 3 h left against Premium S2"
    )


def test_a_running_breached_clock_on_a_new_target_says_so(alice, bob, ladder, premium):  # type: ignore[no-untyped-def]
    case = the_story(alice, bob, premium, until=5 * H + 10 * M)
    ledger = ledgers(case, NOON + 5 * H + 40 * M)[ClockKind.RESOLUTION]
    assert ledger.summary == (
        "Breached 18:00 under Premium S2; since 18:10 running against Premium S4, "
        "19 h 20 min left, due Tue 3 Mar 2026, 14:00"
    )
    assert ledger.state.label == "Breached; 19 h 20 min left on the new target"


def test_the_response_clock_stops_at_the_first_response(alice, bob, ladder, premium):  # type: ignore[no-untyped-def]
    case = the_story(alice, bob, premium, until=2 * H)
    ledger = ledgers(case, NOON + 3 * H)[ClockKind.RESPONSE]
    assert course(ledger) == [
        (SegmentKind.RUNNING, 0 * H, 10 * M, "Raised"),
        (SegmentKind.STOPPED, 10 * M, None, "First response"),
    ]
    assert ledger.segments[1].event is not None
    assert ledger.segments[1].event.kind == EventKind.ACKNOWLEDGED
    assert ledger.summary == "Met under Premium S2: stopped 13:10 with 20 min to spare"


def test_a_stopped_clock_keeps_the_terms_it_stopped_under(alice, bob, ladder, premium):  # type: ignore[no-untyped-def]
    case = the_story(alice, bob, premium)  # lowered to S4 long after the first response
    ledger = ledgers(case, NOON + 7 * H)[ClockKind.RESPONSE]
    assert (ledger.policy_name, ledger.target_seconds, ledger.attempt) == ("Premium S2", 1800, 1)
    assert [s.kind for s in ledger.segments] == [SegmentKind.RUNNING, SegmentKind.STOPPED]
    assert ledger.summary == "Met under Premium S2: stopped 13:10 with 20 min to spare"


def test_a_reopened_clock_counts_the_time_it_stood_still_as_paused(alice, bob, ladder, premium):  # type: ignore[no-untyped-def]
    case = the_story(alice, bob, premium)
    with at(7 * H):
        case_reopen(case=case, by=bob, reason="Still failing")
    ledger = ledgers(case, NOON + 8 * H)[ClockKind.RESOLUTION]
    assert course(ledger)[-2:] == [
        (SegmentKind.STOPPED, 6 * H, 7 * H, "Resolved"),
        (SegmentKind.RUNNING, 7 * H, None, "In progress"),
    ]
    assert ledger.segments[-1].event is not None
    assert ledger.segments[-1].event.kind == EventKind.REOPENED
    assert (ledger.used, ledger.paused) == (6 * H, 2 * H)
    assert ledger.breach is not None and ledger.breach.policy_name == "Premium S2"
    assert_agrees_with_the_clock(ledger, case, NOON + 8 * H)


# --- Business hours ---------------------------------------------------------------------------


def test_closed_hours_are_segments_of_their_own(alice, bob, customer) -> None:  # type: ignore[no-untyped-def]
    SlaPolicyFactory(calendar=office_calendar(), resolution_minutes=16 * 60)
    friday_3pm = datetime(2026, 3, 6, 14, 0, tzinfo=UTC)  # 15:00 in Amsterdam
    with time_machine.travel(friday_3pm, tick=False):
        case = raise_case(alice, customer, severity=Severity.S3)
    tuesday_11am = datetime(2026, 3, 10, 10, 0, tzinfo=UTC)
    ledger = ledgers(case, tuesday_11am)[ClockKind.RESOLUTION]
    shape = [(s.kind, s.closed_kind, s.start.astimezone(AMSTERDAM)) for s in ledger.segments]
    assert shape == [
        (SegmentKind.RUNNING, "", ams(2026, 3, 6, 15)),
        (SegmentKind.CLOSED, "weekend", ams(2026, 3, 6, 17)),
        (SegmentKind.RUNNING, "", ams(2026, 3, 9, 9)),
        (SegmentKind.CLOSED, "night", ams(2026, 3, 9, 17)),
        (SegmentKind.RUNNING, "", ams(2026, 3, 10, 9)),
    ]
    assert ledger.segments[0].cause == "Raised" and ledger.segments[2].cause == ""
    assert ledger.segments[1].cause == "Office hours closed"
    assert ledger.segments[-1].end is None  # still running
    assert ledger.used == 2 * H + 8 * H + 2 * H
    assert ledger.calendar_name == "Office hours"
    assert_agrees_with_calendar(ledger)
    saturday = ledgers(case, datetime(2026, 3, 7, 9, 0, tzinfo=UTC))[ClockKind.RESOLUTION]
    assert [(s.kind, s.closed_kind, s.end) for s in saturday.segments][-1] == (
        SegmentKind.CLOSED,
        "weekend",  # named by where it ends, on Monday, not where it stands
        None,
    )


def assert_agrees_with_calendar(ledger: ClockLedger) -> None:
    assert sum((s.business for s in ledger.segments), timedelta(0)) == ledger.used + ledger.paused


def test_a_long_stretch_summarises_its_closed_hours(alice, bob, customer) -> None:  # type: ignore[no-untyped-def]
    SlaPolicyFactory(calendar=office_calendar(), resolution_minutes=200 * 60)
    friday_3pm = datetime(2026, 3, 6, 14, 0, tzinfo=UTC)
    with time_machine.travel(friday_3pm, tick=False):
        case = raise_case(alice, customer, severity=Severity.S3)
    three_weeks_on = datetime(2026, 3, 27, 10, 0, tzinfo=UTC)  # Friday 11:00
    ledger = ledgers(case, three_weeks_on)[ClockKind.RESOLUTION]
    [segment] = ledger.segments
    assert segment.kind == SegmentKind.RUNNING and segment.closed is not None
    assert segment.closed.kinds == (("night", 12), ("weekend", 3))
    assert segment.closed_words.startswith("12 nights, 3 weekends, ")
    assert segment.business == ledger.used == 2 * H + 14 * 8 * H + 2 * H


def test_a_clock_older_than_its_ledger_is_told_from_its_own_fields(alice, bob, premium):  # type: ignore[no-untyped-def]
    with at(0 * H):
        case = case_acknowledge(case=raise_case(alice, premium), by=bob)
    with at(1 * H):
        case_set_status(case=case, by=bob, status=Status.WAITING)
    with at(2 * H):
        case = case_set_status(case=case, by=bob, status=Status.IN_PROGRESS)
    with at(3 * H):
        case = case_set_status(case=case, by=bob, status=Status.WAITING)
    ClockLedgerEntry.objects.filter(case=case).delete()  # as before the ledger was kept

    ledger = ledgers(case, NOON + 4 * H)[ClockKind.RESOLUTION]
    assert [(s.kind, s.start - NOON, s.recorded) for s in ledger.segments] == [
        (SegmentKind.RUNNING, 0 * H, False),
        (SegmentKind.PAUSED, 3 * H, False),
    ]
    assert ledger.paused == 2 * H  # the earlier hour and the pause still going
    assert ledger.unplaced_paused == 1 * H
    assert ledger.used == 2 * H


def test_a_deadline_passed_before_the_sweep_is_a_breach_not_yet_recorded(alice, premium):  # type: ignore[no-untyped-def]
    with at(0 * H):
        case = raise_case(alice, premium)
    ledger = ledgers(case, NOON + 45 * M)[ClockKind.RESPONSE]
    breach = ledger.breach
    assert breach is not None and not breach.recorded
    assert (breach.breached_at, breach.policy_name) == (NOON + 30 * M, "Premium S2")
    assert ledger.summary == "Breached 13:30 under Premium S2; 15 min over"


def test_a_case_without_clocks_has_no_ledger_and_reads_once(alice, customer) -> None:  # type: ignore[no-untyped-def]
    case = raise_case(alice, customer, severity=Severity.S1)  # no policy for it
    with CaptureQueriesContext(connection) as ctx:
        assert case_clock_ledgers(case=case, now=NOON) == []
    assert len(ctx.captured_queries) == 1


# --- Queries ----------------------------------------------------------------------------------


def case_with_pauses(alice, bob, customer, pauses: int) -> Case:  # type: ignore[no-untyped-def]
    with at(0 * H):
        case = case_acknowledge(case=raise_case(alice, customer), by=bob)
    for n in range(pauses):
        with at((2 * n + 1) * M):
            case = case_set_status(case=case, by=bob, status=Status.WAITING)
        with at((2 * n + 2) * M):
            case = case_set_status(case=case, by=bob, status=Status.IN_PROGRESS)
    return case


def queries_for_ledgers(case: Case) -> int:
    case_clock_ledgers(case=case, now=NOON + 5 * H)  # the calendar cache, warmed
    with CaptureQueriesContext(connection) as ctx:
        case_clock_ledgers(case=case, now=NOON + 5 * H)
    return len(ctx.captured_queries)


def test_queries_do_not_grow_with_the_ledger(alice, bob, premium) -> None:  # type: ignore[no-untyped-def]
    few = case_with_pauses(alice, bob, premium, 2)
    many = case_with_pauses(alice, bob, premium, 30)
    assert ClockLedgerEntry.objects.filter(case=many).count() > 60
    assert queries_for_ledgers(few) == queries_for_ledgers(many) == 4
    ledger = ledgers(many, NOON + 5 * H)[ClockKind.RESOLUTION]
    assert len([s for s in ledger.segments if s.kind == SegmentKind.PAUSED]) == 30
    assert ledger.paused == 30 * M


def test_a_lent_timeline_saves_the_events_query(alice, bob, premium) -> None:  # type: ignore[no-untyped-def]
    case = case_with_pauses(alice, bob, premium, 2)
    events = list(CaseEvent.objects.filter(case=case).select_related("actor"))
    case_clock_ledgers(case=case, now=NOON + 5 * H, events=events)
    with CaptureQueriesContext(connection) as ctx:
        case_clock_ledgers(case=case, now=NOON + 5 * H, events=events)
    assert len(ctx.captured_queries) == 3


# --- The arithmetic: open and closed runs of a calendar ---------------------------------------


def test_runs_alternate_and_cover_the_span() -> None:
    runs = list(bh.calendar_runs(office(), ams(2026, 3, 27, 16), ams(2026, 3, 31, 10)))
    assert [(r.start, r.end, r.open) for r in runs] == [
        (ams(2026, 3, 27, 16), ams(2026, 3, 27, 17), True),
        (ams(2026, 3, 27, 17), ams(2026, 3, 30, 9), False),  # across spring-forward
        (ams(2026, 3, 30, 9), ams(2026, 3, 30, 17), True),
        (ams(2026, 3, 30, 17), ams(2026, 3, 31, 9), False),
        (ams(2026, 3, 31, 9), ams(2026, 3, 31, 10), True),
    ]
    open_time = sum((r.end - r.start for r in runs if r.open), timedelta(0))
    assert open_time == bh.business_time_between(
        office(), ams(2026, 3, 27, 16), ams(2026, 3, 31, 10)
    )


def test_a_24x7_calendar_is_one_open_run_across_midnights() -> None:
    runs = list(
        bh.calendar_runs(bh.Calendar.always_open(AMSTERDAM), ams(2026, 3, 2), ams(2026, 3, 20))
    )
    assert [(r.start, r.end, r.open) for r in runs] == [(ams(2026, 3, 2), ams(2026, 3, 20), True)]


def test_an_empty_span_has_no_runs_and_a_closed_calendar_one() -> None:
    assert list(bh.calendar_runs(office(), ams(2026, 3, 2, 12), ams(2026, 3, 2, 12))) == []
    closed = bh.Calendar(tz=AMSTERDAM, hours={})
    assert [r.open for r in bh.calendar_runs(closed, ams(2026, 3, 2), ams(2026, 3, 9))] == [False]


def test_closed_runs_are_named_night_weekend_holiday_or_break() -> None:
    lunch = bh.Calendar(
        tz=AMSTERDAM, hours={day: ((time(9), time(12)), (time(13), time(17))) for day in range(5)}
    )
    closed = bh.closed_hours(lunch, ams(2026, 4, 23, 10), ams(2026, 4, 28, 10), limit=10)
    assert [bh.closed_kind(lunch, run) for run in closed.runs] == [
        "break",
        "night",
        "break",
        "weekend",
        "break",
        "night",
    ]
    kings = office(holidays=(KINGS_DAY,))
    closed = bh.closed_hours(kings, ams(2026, 4, 24, 16), ams(2026, 4, 28, 10), limit=10)
    assert [bh.closed_kind(kings, run) for run in closed.runs] == ["holiday"]
    assert closed.runs[0].end == ams(2026, 4, 28, 9)


def test_closed_hours_count_everything_but_list_only_the_first() -> None:
    # Four weeks, across spring-forward: 20 business days and 27 d 23 h of real time.
    start, end = ams(2026, 3, 2, 9).astimezone(UTC), ams(2026, 3, 30, 9).astimezone(UTC)
    closed = bh.closed_hours(office(), start, end, limit=2)
    assert len(closed.runs) == 2 and closed.count == 20
    assert closed.kinds == (("night", 16), ("weekend", 4))
    assert closed.total == end - start - bh.business_time_between(office(), start, end)
    with pytest.raises(ValueError):
        bh.closed_hours(office(), start, end, limit=-1)
