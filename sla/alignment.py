"""Aligning one SLA clock with what its case calls for, in memory.

``clock_plans`` reads from the case what each clock should be doing; ``clock_align`` moves a
clock to match (settle a passed deadline, start a new cycle, re-target, reopen, pause, resume,
recompute the deadlines, stop) and notes each breach and change of course in a ``Record``.
Nothing here saves: ``sla.services.case_clocks_sync`` does, with the facts (``sla.facts``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from cases.models import Case, Status
from sla import clock as bh
from sla.calendars import calendar_default, calendar_for
from sla.facts import breach_fact
from sla.models import CaseClock, ClockKind, LedgerKind, SlaBreach, SlaPolicy

DEFAULT_WARN_PERCENT = 75


@dataclass(frozen=True)
class ClockPlan:
    """What the case says one clock should be doing."""

    start: datetime
    stop: datetime | None
    paused: bool
    target_seconds: int | None  # None: no policy applies now, keep the clock's own target


@dataclass
class Record:
    """What one alignment observed, to be saved with the clocks: the breaches it found, and
    each change of course (clock, ledger kind, moment), in order."""

    breaches: list[SlaBreach] = field(default_factory=list)
    changes: list[tuple[CaseClock, str, datetime]] = field(default_factory=list)


def clock_plans(*, case: Case, policy: SlaPolicy | None, now: datetime) -> dict[str, ClockPlan]:
    """The clocks a case calls for.

    - First response: from raising until the first response (or resolution without one).
    - Resolution: from raising until resolution; paused while waiting on the customer.
    - Customer update (when the policy sets an interval): from the latest contact with the
      customer since the first response (our customer-facing update, or their message: update
      time runs from the last customer contact), until the next one; paused while waiting on
      the customer.
    """
    finished_at = (case.resolved_at or now) if case.status in Status.FINISHED else None
    waiting = case.status == Status.WAITING
    plans: dict[str, ClockPlan] = {
        ClockKind.RESPONSE: ClockPlan(
            start=case.raised_at,
            stop=case.first_response_at or finished_at,
            paused=False,
            target_seconds=policy.response_minutes * 60 if policy else None,
        ),
        ClockKind.RESOLUTION: ClockPlan(
            start=case.raised_at,
            stop=finished_at,
            paused=waiting,
            target_seconds=policy.resolution_minutes * 60 if policy else None,
        ),
    }
    anchor = case.last_customer_update_at or case.first_response_at
    if anchor is not None and case.last_customer_contact_at is not None:
        anchor = max(anchor, case.last_customer_contact_at)
    if anchor is not None:
        update_minutes = update_target_minutes(case=case, policy=policy)
        if policy is not None and update_minutes is None:
            # The policy no longer asks for updates: end the update clock where it stands.
            update_stop: datetime | None = finished_at or now
            update_target = None
        else:
            update_stop = finished_at
            update_target = update_minutes * 60 if update_minutes else None
        plans[ClockKind.UPDATE] = ClockPlan(
            start=anchor, stop=update_stop, paused=waiting, target_seconds=update_target
        )
    return plans


def update_target_minutes(*, case: Case, policy: SlaPolicy | None) -> int | None:
    """The customer-update interval of ``case``: a major incident's cadence
    (``Case.update_every_minutes``, set by the incidents app on its parent) when it has one,
    else the policy's; None without a policy (the clock keeps its own target)."""
    if policy is None:
        return None
    return case.update_every_minutes or policy.update_minutes


def clock_align(
    *,
    clock: CaseClock,
    plan: ClockPlan,
    policy: SlaPolicy | None,
    now: datetime,
    record: Record | None = None,
) -> None:
    """Align one clock (in memory) with its plan; note in ``record`` what happened to it.

    A breach is a fact: once ``breached_at`` is set, only a new cycle of the update clock
    starts afresh (the old cycle's breach stays in ``SlaBreach``).

    1. Settle: a running clock whose deadline has passed before this change is breached now,
       under the target it ran against, whether or not the sweep got there first.
    2. Update clock: a later anchor (a new customer update) starts a new cycle from scratch.
    3. Re-target: take the current policy's target (when a policy applies); a different
       policy or target starts a new attempt, measured from the same start.
    4. Reopen: a stopped clock whose case is open again resumes; the time it stood still is
       paused time.
    5. Pause or resume a running clock; a resume adds the business time paused, and moves a
       pending re-escalation by as much.
    6. Recompute the deadlines: ``due_at`` is where the business time since the start, less
       the paused time, reaches the target; ``warn_at`` where it reaches warn_percent of it.
       A warning whose moment is in the future again is re-armed; a pending re-escalation of
       a breached clock whose new attempt still has time waits for that attempt's deadline.
    7. Stop: record the elapsed business time, met (in time and never breached) or late since
       the first breach by how much, and the breach if the stop came after the deadline.
    """
    record = record if record is not None else Record()
    calendar = _calendar(clock=clock, policy=policy)
    is_new = clock.pk is None
    new_cycle = clock.kind == ClockKind.UPDATE and plan.start > clock.started_at
    if not is_new:
        _settle(clock, plan=plan, new_cycle=new_cycle, now=now, record=record)
    if new_cycle:
        _new_cycle(clock, start=plan.start)
        record.changes.append((clock, LedgerKind.STARTED, plan.start))
    _retarget(clock, plan=plan, policy=policy, fresh=is_new or new_cycle, now=now, record=record)
    if is_new:
        record.changes.append((clock, LedgerKind.STARTED, plan.start))
    if clock.stopped_at is not None and plan.stop is None:
        _reopen(clock, stopped_at=clock.stopped_at, calendar=calendar, now=now, record=record)
    if clock.stopped_at is None:
        _pause_or_resume(clock, plan=plan, calendar=calendar, now=now, record=record)
        _deadlines(clock, calendar=calendar, warn_percent=_warn_percent(clock, policy))
        _rearm(clock, now=now)
    if plan.stop is not None and clock.stopped_at is None:
        _stop(clock, at=max(plan.stop, clock.started_at), calendar=calendar, record=record, now=now)


def _settle(
    clock: CaseClock, *, plan: ClockPlan, new_cycle: bool, now: datetime, record: Record
) -> None:
    """Step 1: a stored clock, running and unpaused, whose deadline passed before this change
    is breached now."""
    if clock.stopped_at is not None or clock.paused_at is not None:
        return
    # The course ends at the stop or the new cycle's start (an end exactly at the deadline
    # is in time, as _stop judges it); else it runs until now (due at now is due).
    ends = [t for t in (plan.stop, plan.start if new_cycle else None) if t and t <= now]
    passed = clock.due_at < min(ends) if ends else clock.due_at <= now
    if clock.breached_at is None and passed:
        _breach(clock, record=record, now=now)


def _retarget(
    clock: CaseClock,
    *,
    plan: ClockPlan,
    policy: SlaPolicy | None,
    fresh: bool,
    now: datetime,
    record: Record,
) -> None:
    """Step 3: take the plan's target and policy; on a clock not ``fresh`` (new, or in a new
    cycle) a different one starts a new attempt."""
    # A clock that stopped and stays stopped keeps the terms it stopped under.
    stays_stopped = clock.stopped_at is not None and plan.stop is not None
    if plan.target_seconds is None or policy is None or stays_stopped:
        return
    if not fresh and (clock.target_seconds != plan.target_seconds or clock.policy_id != policy.pk):
        clock.attempt += 1
        clock.attempt_started_at = now
        record.changes.append((clock, LedgerKind.RETARGETED, now))
    clock.policy = policy
    clock.target_seconds = plan.target_seconds


def _reopen(
    clock: CaseClock, *, stopped_at: datetime, calendar: bh.Calendar, now: datetime, record: Record
) -> None:
    """Step 4: the stopped clock runs again; the time it stood still is paused time."""
    clock.paused_seconds += _seconds(bh.business_time_between(calendar, stopped_at, now))
    clock.stopped_at = clock.met = clock.elapsed_seconds = clock.late_seconds = None
    record.changes.append((clock, LedgerKind.REOPENED, now))


def _pause_or_resume(
    clock: CaseClock, *, plan: ClockPlan, calendar: bh.Calendar, now: datetime, record: Record
) -> None:
    """Step 5: resume a paused clock the plan runs (adding the business time paused, and
    moving a pending re-escalation by as much), or pause a running one the plan pauses."""
    pause = plan.paused and plan.stop is None
    if not pause and clock.paused_at is not None:
        resumed = max(clock.paused_at, min(plan.stop or now, now))
        paused = _seconds(bh.business_time_between(calendar, clock.paused_at, resumed))
        clock.paused_seconds += paused
        clock.paused_at = None
        clock.remaining_seconds_at_pause = None
        if clock.reescalate_at is not None:
            clock.reescalate_at = bh.add_business_time(
                calendar, clock.reescalate_at, timedelta(seconds=paused)
            )
        if plan.stop is None:
            record.changes.append((clock, LedgerKind.RESUMED, resumed))
    if pause and clock.paused_at is None:
        clock.paused_at = now
        record.changes.append((clock, LedgerKind.PAUSED, now))
    if clock.paused_at is not None:
        # What was left when the pause began, under the target as it is now.
        used = _seconds(bh.business_time_between(calendar, clock.started_at, clock.paused_at))
        clock.remaining_seconds_at_pause = clock.target_seconds + clock.paused_seconds - used


def _rearm(clock: CaseClock, *, now: datetime) -> None:
    """Step 6, after the new deadlines: a warning whose moment is in the future again is
    re-armed; a pending re-escalation waits for the new attempt's deadline if it has time."""
    if clock.warned_at is not None and clock.warn_at > now:
        clock.warned_at = None
    if clock.reescalate_at is not None and clock.due_at > now:
        clock.reescalate_at = max(clock.reescalate_at, clock.due_at)


def _breach(clock: CaseClock, *, record: Record, now: datetime) -> None:
    clock.breached_at = clock.due_at
    record.breaches.append(breach_fact(clock, now=now))


def _calendar(*, clock: CaseClock, policy: SlaPolicy | None) -> bh.Calendar:
    if policy is not None:
        return calendar_for(policy.calendar)
    if clock.policy is not None:
        return calendar_for(clock.policy.calendar)
    return calendar_default()


def _warn_percent(clock: CaseClock, policy: SlaPolicy | None) -> int:
    chosen = policy or clock.policy
    return chosen.warn_percent if chosen is not None else DEFAULT_WARN_PERCENT


def _new_cycle(clock: CaseClock, *, start: datetime) -> None:
    clock.cycle += 1
    clock.started_at = start
    clock.paused_at = clock.remaining_seconds_at_pause = None
    clock.paused_seconds = 0
    clock.warned_at = clock.breached_at = clock.reescalate_at = clock.dispatched_at = None
    clock.breach_handled_at = clock.attempt_started_at = None
    clock.attempt = 1
    clock.stopped_at = clock.met = clock.elapsed_seconds = clock.late_seconds = None
    clock.escalation_count = 0


def _deadlines(clock: CaseClock, *, calendar: bh.Calendar, warn_percent: int) -> None:
    warn_seconds = clock.target_seconds * warn_percent // 100
    clock.due_at = bh.add_business_time(
        calendar, clock.started_at, timedelta(seconds=clock.target_seconds + clock.paused_seconds)
    )
    clock.warn_at = bh.add_business_time(
        calendar, clock.started_at, timedelta(seconds=warn_seconds + clock.paused_seconds)
    )


def _stop(
    clock: CaseClock, *, at: datetime, calendar: bh.Calendar, record: Record, now: datetime
) -> None:
    ran = _seconds(bh.business_time_between(calendar, clock.started_at, at))
    clock.elapsed_seconds = max(0, ran - clock.paused_seconds)
    if clock.breached_at is None and at > clock.due_at:
        _breach(clock, record=record, now=now)
    clock.met = clock.breached_at is None
    clock.late_seconds = (
        0
        if clock.breached_at is None
        else _seconds(bh.business_time_between(calendar, min(clock.breached_at, at), at))
    )
    clock.stopped_at = at
    clock.paused_at = clock.remaining_seconds_at_pause = None
    clock.reescalate_at = clock.dispatched_at = None
    record.changes.append((clock, LedgerKind.STOPPED, at))


def _seconds(value: timedelta) -> int:
    return int(value.total_seconds())
