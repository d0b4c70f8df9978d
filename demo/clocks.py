"""A demo case's SLA clocks and breach facts, as `sla.services.case_clocks_sync` and the SLA
engine would have left them: business time on the policy's calendar, pauses while the case
waited on the customer, breaches that stick once a deadline has passed.

Times are whole epoch seconds. A case waits on the customer at most once: `pause` is
(start, end), with `end` None while it still waits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

from demo.reference import Policy
from sla.models import ClockKind
from sla.services import MARK_FIELDS, case_sla_marks

Pause = tuple[int, int | None]


def clock_row(
    kind: ClockKind,
    policy: Policy,
    target: int,
    start: int,
    now: int,
    *,
    stop: int | None,
    pause: Pause | None = None,
) -> dict[str, Any]:
    """One clock's row, consistent with the CaseClock docstring and `clock_align`.

    1. The deadlines (`due_at`, `warn_at`) are where the business time since `start`, less the
       business time paused, reaches the target (warn_percent of it).
    2. A pause that has ended counts its business time; one still going stops the clock at
       its start (`paused_at`) with the business time that was left then.
    3. The breach is the first deadline that passed while the clock ran: the one before the
       pause, if the pause came after it, or else the one after; the warning likewise. A
       deadline reached at the very moment of a stop, a pause or now has passed (the clock
       sync's `due_at <= horizon`, the sweep's `due_at <= now`).
    4. A stopped clock records the business time it ran, whether it was met and how late.
    The SLA engine's marks (`breach_handled_at`, `reescalate_at`) come from the replay.
    """
    business = policy.business
    course = _course(policy, target, start=start, stop=stop, pause=pause, now=now)
    paused_at = course.paused_at
    row: dict[str, Any] = {
        "kind": kind.value,
        "policy_id": policy.id,
        "target_seconds": target,
        "started_at": start,
        "due_at": course.due,
        "warn_at": course.warn,
        "paused_at": paused_at,
        "paused_seconds": course.paused_seconds,
        "warned_at": course.warned,
        "breached_at": course.breached,
        "breach_handled_at": None,
        "stopped_at": stop,
        "met": None,
        "elapsed_seconds": None,
        "late_seconds": None,
        "cycle": 1,
        # While paused: the business time that was left when the pause began (negative: late).
        "remaining_seconds_at_pause": (
            None if paused_at is None else target - business.between(start, paused_at)
        ),
        "dispatched_at": None,
        "escalation_count": 0,
        "reescalate_at": None,
    }
    if stop is not None:
        row.update(
            met=course.breached is None,
            elapsed_seconds=max(0, business.between(start, stop) - course.paused_seconds),
            late_seconds=0 if course.breached is None else business.between(course.breached, stop),
        )
    return row


@dataclass(frozen=True)
class _Course:
    """How a clock ran: its deadlines, its pause, and the breach and warning it saw."""

    due: int
    warn: int
    paused_at: int | None
    paused_seconds: int
    breached: int | None
    warned: int | None


def _course(
    policy: Policy, target: int, *, start: int, stop: int | None, pause: Pause | None, now: int
) -> _Course:
    """Steps 1 to 3 of `clock_row`."""
    business = policy.business
    warn_target = target * policy.warn_percent // 100
    first_due = due = business.add(start, target)
    first_warn = warn = business.add(start, warn_target)
    waits = clip(pause, start=start, stop=stop)
    paused_at, paused_seconds = None, 0
    wait_start = None
    if waits is not None:
        wait_start, wait_end = waits
        if wait_end is None:
            paused_at = wait_start
        else:
            paused_seconds = business.between(wait_start, wait_end)
            due = business.add(start, target + paused_seconds)
            warn = business.add(start, warn_target + paused_seconds)
    ran_until = stop if stop is not None else (paused_at if paused_at is not None else now)
    return _Course(
        due=due,
        warn=warn,
        paused_at=paused_at,
        paused_seconds=paused_seconds,
        breached=_passed(first_due, due, wait_start=wait_start, ran_until=ran_until),
        warned=_passed(first_warn, warn, wait_start=wait_start, ran_until=ran_until),
    )


def clip(pause: Pause | None, *, start: int, stop: int | None) -> Pause | None:
    """The part of the case's pause a clock running from `start` to `stop` stood still for. A
    clock stopped while paused (an update cycle ended by a new update) ran until the pause."""
    if pause is None:
        return None
    wait_start, wait_end = max(pause[0], start), pause[1]
    if stop is not None and wait_start >= stop:
        return None
    if wait_end is not None and wait_end <= wait_start:
        return None
    if stop is not None and (wait_end is None or wait_end > stop):
        wait_end = stop
    return wait_start, wait_end


def _passed(first: int, later: int, *, wait_start: int | None, ran_until: int) -> int | None:
    if wait_start is not None and first <= wait_start:
        return first
    return later if later <= ran_until else None


def breach_facts(
    clocks: list[dict[str, Any]], *, policy: Policy, pause: Pause | None
) -> list[dict[str, Any]]:
    """The SlaBreach rows of the clocks' breaches (sla.facts.breach_fact, in bulk).

    A breach is on record from the first moment something saw its deadline pass: the SLA
    engine's breach step, or the case change that came first (the stop, the pause, the update
    that began a new cycle). A running clock's breach that nothing has seen yet is not a
    breach yet: its `breached_at` is cleared, and the engine's next sweep will record it.
    """
    facts = []
    for clock in clocks:
        breached = clock["breached_at"]
        if breached is None:
            continue
        seen = [clock["breach_handled_at"], clock["stopped_at"]]
        if pause is not None and pause[0] >= breached:
            seen.append(pause[0])
        moments = [moment for moment in seen if moment is not None]
        if not moments:
            clock["breached_at"] = None
            continue
        facts.append(
            {
                "clock_kind": clock["kind"],
                "cycle": clock["cycle"],
                "attempt": 1,
                "breached_at": breached,
                "recorded_at": min(moments),
                "policy_id": policy.id,
                "policy_name": policy.name,
                "calendar_name": policy.calendar_name,
                "target_seconds": clock["target_seconds"],
            }
        )
    return facts


# The clock columns a case's SLA marks are made of (sla.services.case_sla_marks).
_MARK_INPUTS = ("due_at", "warn_at", "paused_at", "stopped_at", "breached_at")


def case_marks(clocks: list[dict[str, Any]], *, severity: str) -> dict[str, Any]:
    """The case's SLA marks (next_due_at, sla_breach_at, ...) from its clock rows, as the
    clock sync computes them, in epoch seconds like the rows (a column a row leaves out is
    None)."""
    stored = [
        SimpleNamespace(
            **{
                name: None if clock.get(name) is None else datetime.fromtimestamp(clock[name], UTC)
                for name in _MARK_INPUTS
            }
        )
        for clock in clocks
    ]
    marks = case_sla_marks(clocks=stored, severity=severity)  # type: ignore[arg-type]
    return {
        name: int(value.timestamp()) if isinstance(value, datetime) else value
        for name, value in zip(MARK_FIELDS, marks.values(), strict=True)
    }
