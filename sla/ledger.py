"""Every clock explains itself: its policy and calendar, its numbers, its breaches and a ledger
of segments (running, paused while waiting on the customer, outside business hours, stopped),
each with what caused it. The case page's clock panel and ``GET /api/cases/<ref>/clocks/``
both read ``case_clock_ledgers``.

The ledger is replayed from the clock's ``ClockLedgerEntry`` rows of its current cycle. Clocks
older than the ledger have no entries (or only the later ones): their start, and their current
pause or stop, are taken from the clock's own fields and marked as not recorded. The totals
(business time used and paused, what is left) are the clock's own numbers; the segments
explain them, and any paused time they cannot place is shown as such.
"""

from __future__ import annotations

import bisect
import operator
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from functools import reduce

from django.db.models import Q
from django.utils.translation import gettext as _

from cases.models import Case, CaseEvent, EventKind
from cases.templatetags.case_display import event_value
from escalation.users import display_name
from sla import clock as bh
from sla.calendars import calendar_default, calendar_for
from sla.ledger_types import (
    Breach,
    ClockLedger,
    EventRef,
    Segment,
    SegmentKind,
    ledger_with_summary,
)
from sla.models import CaseClock, ClockKind, ClockLedgerEntry, LedgerKind, SlaBreach
from sla.selectors import KIND_ORDER, clock_state

# A running stretch with more closed runs than this is summarised, not listed run by run.
CLOSED_DETAIL = 3
# A timeline event this close to a ledger entry is taken for its cause: both are written in
# the same transaction, a few milliseconds apart.
EVENT_TOLERANCE = timedelta(seconds=5)
# Paused time the segments cannot place is worth a line only past this (sub-second rounding
# of each pause is not).
UNPLACED_MINIMUM = timedelta(minutes=1)
_ZERO = timedelta(0)

# The timeline events that may have moved a clock, by the ledger entry they explain.
CAUSING_EVENTS: dict[str, frozenset[str]] = {
    LedgerKind.STARTED: frozenset({EventKind.RAISED, EventKind.ACKNOWLEDGED, EventKind.UPDATE}),
    LedgerKind.PAUSED: frozenset({EventKind.STATUS}),
    LedgerKind.RESUMED: frozenset({EventKind.STATUS, EventKind.REOPENED}),
    LedgerKind.RETARGETED: frozenset({EventKind.SEVERITY}),
    LedgerKind.STOPPED: frozenset(
        {EventKind.ACKNOWLEDGED, EventKind.UPDATE, EventKind.RESOLVED, EventKind.CLOSED}
    ),
    LedgerKind.REOPENED: frozenset({EventKind.REOPENED}),
}
BREACH_EVENTS = frozenset({EventKind.SLA_BREACH})
CLOCK_EVENTS = frozenset().union(*CAUSING_EVENTS.values(), BREACH_EVENTS)


def case_clock_ledgers(
    *, case: Case, now: datetime, events: Iterable[CaseEvent] | None = None
) -> list[ClockLedger]:
    """The case's clocks explained, in the order first response, resolution, customer update.

    1. Read the clocks with their policy and calendar (one query); without clocks, stop.
    2. Read the ledger entries of each clock's current cycle (one query), the case's breaches
       (one query) and, unless the caller lends the timeline (``events``, oldest first), the
       timeline events that may move a clock (one query). Calendars come from the calendar
       cache (two queries each the first time a process meets one).
    3. Per clock: replay its entries into phases (``_phases``), cut the phases into segments
       (``_segments``), take its numbers and its breaches, and say it in a sentence.
    """
    clocks = sorted(
        CaseClock.objects.filter(case_id=case.pk).select_related("policy__calendar"),
        key=lambda c: KIND_ORDER.get(c.kind, 9),
    )
    if not clocks:
        return []
    current = reduce(operator.or_, (Q(clock_kind=c.kind, cycle=c.cycle) for c in clocks))
    entries: dict[str, list[ClockLedgerEntry]] = {}
    for entry in ClockLedgerEntry.objects.filter(current, case_id=case.pk).order_by("at", "id"):
        entries.setdefault(entry.clock_kind, []).append(entry)
    breaches: dict[str, list[SlaBreach]] = {}
    for fact in SlaBreach.objects.filter(case_id=case.pk).order_by("breached_at", "id"):
        breaches.setdefault(fact.clock_kind, []).append(fact)
    if events is None:
        events = CaseEvent.objects.filter(case_id=case.pk, kind__in=CLOCK_EVENTS).select_related(
            "actor"
        )
    timeline = _Timeline([e for e in events if e.kind in CLOCK_EVENTS])
    return [
        clock_ledger(
            clock,
            entries=entries.get(clock.kind, []),
            breaches=breaches.get(clock.kind, []),
            timeline=timeline,
            now=now,
        )
        for clock in clocks
    ]


def clock_ledger(
    clock: CaseClock,
    *,
    entries: Sequence[ClockLedgerEntry],
    breaches: Sequence[SlaBreach],
    timeline: _Timeline,
    now: datetime,
) -> ClockLedger:
    """One clock explained, from what ``case_clock_ledgers`` read (no queries of its own but
    the calendar cache's)."""
    policy = clock.policy
    calendar = calendar_for(policy.calendar) if policy is not None else calendar_default()
    policy_name = str(policy) if policy is not None else ""
    calendar_name = policy.calendar.name if policy is not None else _("24x7 (policy removed)")
    state = clock_state(clock, now=now)
    facts = [_breach(b, timeline=timeline) for b in breaches]
    if state.breached_at is not None and not any(b.cycle == clock.cycle for b in facts):
        # Breached by its fields, with no fact recorded for this cycle.
        facts.append(_breach_unrecorded(clock, state.breached_at, policy_name, calendar_name))
    first_policy = next(
        (b.policy_name for b in facts if b.cycle == clock.cycle and b.attempt == 1),
        policy_name if clock.attempt == 1 else "",
    )
    phases = _phases(clock, entries, first_policy=first_policy)
    # A stopped clock is judged by the terms it stopped under, not by a target set after.
    terms = (policy_name, clock.target_seconds, clock.attempt)
    final = phases[-1]
    if clock.stopped_at is not None and final.kind == SegmentKind.STOPPED and final.recorded:
        terms = (final.policy_name or policy_name, final.target_seconds, final.attempt)
    segments = _segments(phases, calendar=calendar, calendar_name=calendar_name, now=now)
    segments = [_with_event(s, timeline) if s.recorded and s.ledger_kind else s for s in segments]
    used, paused = _numbers(clock, calendar=calendar, now=now)
    placed = sum((s.business for s in segments if s.counts_as_paused), _ZERO)
    unplaced = paused - placed if paused - placed >= UNPLACED_MINIMUM else _ZERO
    remaining = timedelta(seconds=terms[1]) - used
    ledger = ClockLedger(
        kind=clock.kind,
        kind_label=str(ClockKind(clock.kind).label),
        cycle=clock.cycle,
        attempt=terms[2],
        attempt_started_at=clock.attempt_started_at if terms[2] > 1 else None,
        policy_name=terms[0] or _("No policy"),
        calendar_name=calendar_name,
        time_zone=str(calendar.tz),
        target_seconds=terms[1],
        started_at=clock.started_at,
        due_at=clock.due_at,
        paused_at=clock.paused_at,
        stopped_at=clock.stopped_at,
        met=clock.met,
        state=state,
        used=used,
        paused=paused,
        remaining=remaining,
        unplaced_paused=unplaced,
        summary="",
        segments=tuple(segments),
        breaches=tuple(sorted(facts, key=lambda b: (b.cycle, b.breached_at))),
    )
    return ledger_with_summary(ledger, clock=clock, now=now)


def _breach_unrecorded(
    clock: CaseClock, breached_at: datetime, policy_name: str, calendar_name: str
) -> Breach:
    return Breach(
        cycle=clock.cycle,
        attempt=clock.attempt,
        breached_at=breached_at,
        policy_name=policy_name,
        calendar_name=calendar_name,
        target_seconds=clock.target_seconds,
        recorded=False,
    )


# --- Replaying the entries -----------------------------------------------------------------


@dataclass
class _Phase:
    kind: str
    start: datetime
    ledger_kind: str
    cause: str
    recorded: bool
    attempt: int
    policy_name: str
    target_seconds: int
    end: datetime | None = None


PHASE_OF: dict[str, str] = {
    LedgerKind.STARTED: SegmentKind.RUNNING,
    LedgerKind.PAUSED: SegmentKind.PAUSED,
    LedgerKind.RESUMED: SegmentKind.RUNNING,
    LedgerKind.STOPPED: SegmentKind.STOPPED,
    LedgerKind.REOPENED: SegmentKind.RUNNING,
}


def _phases(
    clock: CaseClock, entries: Sequence[ClockLedgerEntry], *, first_policy: str
) -> list[_Phase]:
    """The clock's course as phases (running, paused, stopped), each opened by an entry.

    1. Without a STARTED entry first (a clock older than the ledger), start at the clock's
       ``started_at``.
    2. Each entry closes the phase before it and opens the next: paused, running again
       (resumed, reopened), stopped; a new target opens a phase of the same kind, except
       after the stop (the clock sync re-targets stopped clocks too).
    3. A pause or stop the clock shows but no entry recorded is opened from its own fields.
    """
    phases: list[_Phase] = []
    if not entries or entries[0].kind != LedgerKind.STARTED:
        _phase_begin(
            phases,
            _Phase(
                kind=SegmentKind.RUNNING,
                start=clock.started_at,
                ledger_kind=LedgerKind.STARTED,
                cause=_("Started before the ledger was kept"),
                recorded=False,
                attempt=1,
                policy_name=first_policy,
                target_seconds=clock.target_seconds if clock.attempt == 1 else 0,
            ),
        )
    for entry in entries:
        if entry.kind == LedgerKind.RETARGETED and phases[-1].kind == SegmentKind.STOPPED:
            # A new target for a clock that has stopped changes nothing of its course.
            continue
        _phase_begin(
            phases,
            _Phase(
                kind=PHASE_OF.get(entry.kind) or phases[-1].kind,
                start=entry.at,
                ledger_kind=entry.kind,
                cause=entry.cause,
                recorded=True,
                attempt=entry.attempt,
                policy_name=entry.policy_name,
                target_seconds=entry.target_seconds,
            ),
        )
    missing = _phase_unrecorded(clock, last=phases[-1])
    if missing is not None:
        _phase_begin(phases, missing)
    return phases


def _phase_begin(phases: list[_Phase], phase: _Phase) -> None:
    """Append ``phase``, ending the one before it where it begins (never before that one's
    own start)."""
    if phases:
        phase.start = max(phase.start, phases[-1].start)
        phases[-1].end = phase.start
    phases.append(phase)


def _phase_unrecorded(clock: CaseClock, *, last: _Phase) -> _Phase | None:
    """The stop or pause the clock shows but no entry recorded after ``last``, if any."""
    missing: tuple[str, datetime, str, str] | None = None
    if clock.stopped_at is not None and last.kind != SegmentKind.STOPPED:
        missing = (SegmentKind.STOPPED, clock.stopped_at, LedgerKind.STOPPED, _("Stopped"))
    elif clock.paused_at is not None and last.kind != SegmentKind.PAUSED:
        missing = (
            SegmentKind.PAUSED,
            clock.paused_at,
            LedgerKind.PAUSED,
            _("Waiting on customer"),
        )
    if missing is None:
        return None
    kind, at, ledger_kind, cause = missing
    return _Phase(
        kind=kind,
        start=at,
        ledger_kind=ledger_kind,
        cause=cause,
        recorded=False,
        attempt=clock.attempt,
        policy_name=last.policy_name,
        target_seconds=last.target_seconds,
    )


def _segments(
    phases: Sequence[_Phase], *, calendar: bh.Calendar, calendar_name: str, now: datetime
) -> list[Segment]:
    """Cut the phases into segments.

    1. A paused phase counts its business time (a stop too, once a reopening ended it: the
       clock counts the time it stood still as paused).
    2. A running phase with at most ``CLOSED_DETAIL`` closed runs is cut into its open
       stretches and the closed runs between them; the first piece carries the phase's cause.
    3. A longer one stays one segment, with a summary of its closed hours.
    """
    segments: list[Segment] = []
    for phase in phases:
        end = max(phase.end or now, phase.start)
        if phase.kind != SegmentKind.RUNNING:
            counted = phase.end is not None or phase.kind == SegmentKind.PAUSED
            business = bh.business_time_between(calendar, phase.start, end) if counted else _ZERO
            segments.append(_segment(phase, phase.kind, phase.start, phase.end, business))
            continue
        closed = bh.closed_hours(calendar, phase.start, end, limit=CLOSED_DETAIL)
        if closed.count > CLOSED_DETAIL:
            business = end - phase.start - closed.total
            segments.append(
                _segment(phase, SegmentKind.RUNNING, phase.start, phase.end, business, closed)
            )
            continue
        pieces: list[bh.Run] = []
        cursor = phase.start
        for run in closed.runs:
            if cursor < run.start:
                pieces.append(bh.Run(cursor, run.start, open=True))
            pieces.append(run)
            cursor = run.end
        if cursor < end or not pieces:
            pieces.append(bh.Run(cursor, end, open=True))
        for n, piece in enumerate(pieces):
            piece_end = None if n == len(pieces) - 1 and phase.end is None else piece.end
            if piece.open:
                # An open stretch is business time throughout.
                segment = _segment(
                    phase, SegmentKind.RUNNING, piece.start, piece_end, piece.end - piece.start
                )
            else:
                segment = replace(
                    _segment(phase, SegmentKind.CLOSED, piece.start, piece_end, _ZERO),
                    closed_kind=bh.closed_kind(calendar, _whole(calendar, piece, piece_end)),
                    cause="; ".join(
                        part
                        for part in (phase.cause if n == 0 else "", f"{calendar_name} closed")
                        if part
                    ),
                )
            if n > 0 and piece.open:
                segment = replace(segment, cause="", ledger_kind="")
            elif n > 0:
                segment = replace(segment, ledger_kind="")
            segments.append(segment)
    return segments


def _whole(calendar: bh.Calendar, run: bh.Run, end: datetime | None) -> bh.Run:
    """A closed run still going is named by where it will end (a Saturday morning is part
    of a weekend): up to the next opening."""
    if end is not None:
        return run
    try:
        return bh.Run(run.start, max(run.end, bh.next_open(calendar, run.start)), open=False)
    except ValueError:  # no opening in sight
        return run


def _segment(
    phase: _Phase,
    kind: str,
    start: datetime,
    end: datetime | None,
    business: timedelta,
    closed: bh.ClosedHours | None = None,
) -> Segment:
    return Segment(
        kind=kind,
        start=start,
        end=end,
        business=business,
        cause=phase.cause,
        ledger_kind=phase.ledger_kind,
        recorded=phase.recorded,
        attempt=phase.attempt,
        policy_name=phase.policy_name,
        target_seconds=phase.target_seconds,
        closed=closed,
    )


def _numbers(
    clock: CaseClock, *, calendar: bh.Calendar, now: datetime
) -> tuple[timedelta, timedelta]:
    """Business time used and paused, as the clock counts them (``sla.services``): a stopped
    clock's ``elapsed_seconds``; otherwise the business time since the start (to the pause,
    if paused) less the paused time, which includes the pause still going."""
    paused = timedelta(seconds=clock.paused_seconds)
    if clock.stopped_at is not None:
        return timedelta(seconds=clock.elapsed_seconds or 0), paused
    until = clock.paused_at or now
    used = max(_ZERO, bh.business_time_between(calendar, clock.started_at, until) - paused)
    if clock.paused_at is not None:
        paused += bh.business_time_between(calendar, clock.paused_at, max(now, clock.paused_at))
    return used, paused


# --- Causes and breaches ---------------------------------------------------------------------


class _Timeline:
    """The case's timeline events that may move a clock, found by moment and kind."""

    def __init__(self, events: Iterable[CaseEvent]) -> None:
        self.events = sorted(events, key=lambda e: (e.created_at, e.pk))
        self.moments = [e.created_at for e in self.events]
        self.breaches: dict[tuple[str, int], CaseEvent] = {}
        for event in self.events:
            if event.kind in BREACH_EVENTS and isinstance(event.data, dict):
                key = (str(event.data.get("clock", "")), int(event.data.get("cycle") or 1))
                self.breaches.setdefault(key, event)

    def near(self, at: datetime, kinds: frozenset[str]) -> CaseEvent | None:
        """The event of one of ``kinds`` closest to ``at``, within ``EVENT_TOLERANCE``."""
        low = bisect.bisect_left(self.moments, at - EVENT_TOLERANCE)
        high = bisect.bisect_right(self.moments, at + EVENT_TOLERANCE)
        candidates = [e for e in self.events[low:high] if e.kind in kinds]
        return min(candidates, key=lambda e: abs(e.created_at - at), default=None)


def _event_ref(event: CaseEvent) -> EventRef:
    kind = event.kind
    change = event_value(event.to_value, kind)
    if event.from_value:
        change = f"{event_value(event.from_value, kind)} → {change}"
    text = "; ".join(part for part in (change, event.reason) if part)
    actor = event.actor
    return EventRef(
        id=event.pk,
        kind=kind,
        kind_label=str(EventKind(kind).label),
        created_at=event.created_at,
        actor=display_name(actor, nobody=_("System")),
        text=text[:200],
    )


def _with_event(segment: Segment, timeline: _Timeline) -> Segment:
    event = timeline.near(segment.start, CAUSING_EVENTS.get(segment.ledger_kind, frozenset()))
    return replace(segment, event=_event_ref(event)) if event is not None else segment


def _breach(fact: SlaBreach, *, timeline: _Timeline) -> Breach:
    event = timeline.breaches.get((fact.clock_kind, fact.cycle))
    return Breach(
        cycle=fact.cycle,
        attempt=fact.attempt,
        breached_at=fact.breached_at,
        policy_name=fact.policy_name,
        calendar_name=fact.calendar_name,
        target_seconds=fact.target_seconds,
        event=_event_ref(event) if event is not None else None,
    )
