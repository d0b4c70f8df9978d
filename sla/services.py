"""SLA engine services: keeping each case's clocks in line with the case, and notifications.

The sweep that finds due clocks is in ``sla.sweep``; the steps it takes (warnings, breaches,
re-escalations) in ``sla.escalation``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Q, Subquery

from cases.models import Case, Customer, Status
from sla import clock as bh
from sla.calendars import calendar_default, calendar_for
from sla.facts import breach_fact, facts_save, ledger_entry
from sla.models import CaseClock, ClockKind, LedgerKind, Notification, SlaBreach, SlaPolicy

DEFAULT_WARN_PERCENT = 75
FINISHED = frozenset({Status.RESOLVED, Status.CLOSED})
# The fields case_clocks_sync may change; compared before and after to save only real changes.
SYNC_FIELDS = (
    "policy_id",
    "target_seconds",
    "started_at",
    "due_at",
    "warn_at",
    "paused_at",
    "paused_seconds",
    "warned_at",
    "breached_at",
    "breach_handled_at",
    "stopped_at",
    "met",
    "elapsed_seconds",
    "late_seconds",
    "cycle",
    "attempt",
    "attempt_started_at",
    "remaining_seconds_at_pause",
    "dispatched_at",
    "reescalate_at",
)


@dataclass(frozen=True)
class ClockPlan:
    """What the case says one clock should be doing."""

    start: datetime
    stop: datetime | None
    paused: bool
    target_seconds: int | None  # None: no policy applies now, keep the clock's own target


def case_clocks_sync(*, case: Case, now: datetime) -> None:
    """Bring the case's SLA clocks in line with its current state.

    Contract: every case service calls this after it changed a case, inside its transaction,
    with the case row locked. It creates, pauses, resumes, stops or re-targets the clocks
    (response, resolution, update) from the case's severity, status, customer tier,
    first_response_at, last_customer_update_at and resolved_at, and saves ``case.next_due_at``.
    It is idempotent.

    1. Find the policy for the customer's tier and the case's severity (one query) and the
       case's clocks (one query), unless a caller lent them (``clocks_prefetched``).
    2. For each clock the case calls for (see ``clock_plans``): create it, or align the stored
       one (breach already passed, new update cycle, reopen, pause, resume, re-target, stop;
       see ``clock_align``).
    3. Save only the clocks that changed (one insert, one update at most), the breaches and
       ledger entries the alignment produced (``sla.facts``), then ``case.next_due_at``: the
       earliest deadline of the running, unpaused clocks.
    """
    known = _prefetched.get()
    if known is not None and case.pk in known.clocks:
        policy = known.policies.get((known.tiers[case.pk], case.severity))
        clocks = {c.kind: c for c in known.clocks[case.pk]}
    else:
        policy = policy_for_case(case)
        clocks = {
            c.kind: c
            for c in CaseClock.objects.filter(case_id=case.pk).select_related("policy__calendar")
        }
    created: list[CaseClock] = []
    changed: list[CaseClock] = []
    record = Record()
    for kind, plan in clock_plans(case=case, policy=policy, now=now).items():
        existing = clocks.get(kind)
        if existing is None:
            if plan.target_seconds is None or policy is None:
                continue
            existing = CaseClock(
                case_id=case.pk,
                kind=kind,
                policy=policy,
                target_seconds=plan.target_seconds,
                started_at=plan.start,
                due_at=plan.start,
                warn_at=plan.start,
            )
            clock_align(clock=existing, plan=plan, policy=policy, now=now, record=record)
            clocks[kind] = existing
            created.append(existing)
            continue
        if plan.target_seconds is None and policy is not None and existing.stopped_at:
            # The policy has no target of this kind any more, and this clock has ended.
            continue
        before = [getattr(existing, name) for name in SYNC_FIELDS]
        clock_align(clock=existing, plan=plan, policy=policy, now=now, record=record)
        if [getattr(existing, name) for name in SYNC_FIELDS] != before:
            changed.append(existing)
    if created:
        CaseClock.objects.bulk_create(created)
        if known is not None and case.pk in known.clocks:
            known.clocks[case.pk].extend(created)
    if changed:
        CaseClock.objects.bulk_update(changed, [f.removesuffix("_id") for f in SYNC_FIELDS])
    facts_save(
        breaches=record.breaches,
        entries=[
            ledger_entry(clock, kind=kind, at=at, cause=_cause(kind, case=case, clock=clock))
            for clock, kind, at in record.changes
        ],
    )
    next_due = min(
        (c.due_at for c in clocks.values() if c.stopped_at is None and c.paused_at is None),
        default=None,
    )
    if next_due != case.next_due_at:
        Case.objects.filter(pk=case.pk).update(next_due_at=next_due)
        case.next_due_at = next_due


@dataclass
class Record:
    """What one alignment observed, to be saved with the clocks: the breaches it found, and
    each change of course (clock, ledger kind, moment), in order."""

    breaches: list[SlaBreach] = field(default_factory=list)
    changes: list[tuple[CaseClock, str, datetime]] = field(default_factory=list)


def _cause(kind: str, *, case: Case, clock: CaseClock) -> str:
    """The words for what moved a clock, from the case as it now stands."""
    if kind == LedgerKind.PAUSED:
        return "Waiting on customer"
    if kind == LedgerKind.STOPPED:
        if clock.kind == ClockKind.RESPONSE and case.first_response_at is not None:
            return "First response"
        return Status(case.status).label
    if kind == LedgerKind.RETARGETED:
        return f"Severity {case.severity}, policy {clock.policy}" if clock.policy else ""
    if kind == LedgerKind.STARTED:
        if clock.kind == ClockKind.UPDATE:
            return "Customer update" if clock.cycle > 1 else "First response"
        return "Raised"
    return Status(case.status).label


@dataclass(frozen=True)
class Prefetched:
    """What a caller that already holds a batch of locked cases knows: every policy by (tier,
    severity), each case's customer tier, and each case's clocks (the caller's own, locked,
    current instances)."""

    policies: dict[tuple[str, str], SlaPolicy]
    tiers: dict[int, str]
    clocks: dict[int, list[CaseClock]]


_prefetched: ContextVar[Prefetched | None] = ContextVar("sla_clocks_prefetched", default=None)


@contextmanager
def clocks_prefetched(known: Prefetched) -> Iterator[None]:
    """Within the block, ``case_clocks_sync`` of a case in ``known`` reads nothing: the
    escalation batch lends it the rows it has locked (and sees the sync's changes to them)."""
    token = _prefetched.set(known)
    try:
        yield
    finally:
        _prefetched.reset(token)


def policies_by_key() -> dict[tuple[str, str], SlaPolicy]:
    """Every policy by (tier, severity), with its calendar (one query)."""
    return {(p.tier, p.severity): p for p in SlaPolicy.objects.select_related("calendar")}


def policy_for_case(case: Case) -> SlaPolicy | None:
    """The policy for the case's customer tier and severity, with its calendar (one query).
    The tier is read in the same query, unless the case holds its customer already."""
    tier: str | Subquery
    if Case.customer.is_cached(case):
        tier = case.customer.tier
    else:
        tier = Subquery(Customer.objects.filter(pk=case.customer_id).values("tier")[:1])
    return (
        SlaPolicy.objects.select_related("calendar")
        .filter(severity=case.severity, tier=tier)
        .first()
    )


def clock_plans(*, case: Case, policy: SlaPolicy | None, now: datetime) -> dict[str, ClockPlan]:
    """The clocks a case calls for.

    - First response: from raising until the first response (or resolution without one).
    - Resolution: from raising until resolution; paused while waiting on the customer.
    - Customer update (when the policy sets an interval): from the latest customer-facing
      update, or the first response, until the next one; paused while waiting on the customer.
    """
    finished_at = (case.resolved_at or now) if case.status in FINISHED else None
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
    if anchor is not None:
        if policy is not None and policy.update_minutes is None:
            # The policy no longer asks for updates: end the update clock where it stands.
            update_stop: datetime | None = finished_at or now
            update_target = None
        else:
            update_stop = finished_at
            update_target = policy.update_minutes * 60 if policy and policy.update_minutes else None
        plans[ClockKind.UPDATE] = ClockPlan(
            start=anchor, stop=update_stop, paused=waiting, target_seconds=update_target
        )
    return plans


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
    if not is_new and clock.stopped_at is None and clock.paused_at is None:
        # The course ends at the stop or the new cycle's start (an end exactly at the deadline
        # is in time, as _stop judges it); else it runs until now (due at now is due).
        ends = [t for t in (plan.stop, plan.start if new_cycle else None) if t and t <= now]
        passed = clock.due_at < min(ends) if ends else clock.due_at <= now
        if clock.breached_at is None and passed:
            _breach(clock, record=record, now=now)
    if new_cycle:
        _new_cycle(clock, start=plan.start)
        record.changes.append((clock, LedgerKind.STARTED, plan.start))
    # A clock that stopped and stays stopped keeps the terms it stopped under.
    stays_stopped = clock.stopped_at is not None and plan.stop is not None
    if plan.target_seconds is not None and policy is not None and not stays_stopped:
        if (
            not is_new
            and not new_cycle
            and (clock.target_seconds != plan.target_seconds or clock.policy_id != policy.pk)
        ):
            clock.attempt += 1
            clock.attempt_started_at = now
            record.changes.append((clock, LedgerKind.RETARGETED, now))
        clock.policy = policy
        clock.target_seconds = plan.target_seconds
    if is_new:
        record.changes.append((clock, LedgerKind.STARTED, plan.start))
    if clock.stopped_at is not None and plan.stop is None:
        clock.paused_seconds += _seconds(bh.business_time_between(calendar, clock.stopped_at, now))
        clock.stopped_at = clock.met = clock.elapsed_seconds = clock.late_seconds = None
        record.changes.append((clock, LedgerKind.REOPENED, now))
    if clock.stopped_at is None:
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
        _deadlines(clock, calendar=calendar, warn_percent=_warn_percent(clock, policy))
        if pause and clock.paused_at is None:
            clock.paused_at = now
            record.changes.append((clock, LedgerKind.PAUSED, now))
        if clock.paused_at is not None:
            # What was left when the pause began, under the target as it is now.
            used = _seconds(bh.business_time_between(calendar, clock.started_at, clock.paused_at))
            clock.remaining_seconds_at_pause = clock.target_seconds + clock.paused_seconds - used
        if clock.warned_at is not None and clock.warn_at > now:
            clock.warned_at = None
        if clock.reescalate_at is not None and clock.due_at > now:
            clock.reescalate_at = max(clock.reescalate_at, clock.due_at)
    if plan.stop is not None and clock.stopped_at is None:
        stop = max(plan.stop, clock.started_at)
        _stop(clock, at=stop, calendar=calendar, record=record, now=now)
        record.changes.append((clock, LedgerKind.STOPPED, stop))


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


def _seconds(value: timedelta) -> int:
    return int(value.total_seconds())


# --- Re-syncing after configuration changes ---------------------------------------------------


def case_clocks_resync(*, case_id: int, now: datetime) -> bool:
    """Re-align one case's clocks after its policy, tier or calendar changed (no case service
    ran). False when the case is gone."""
    with transaction.atomic():
        case = Case.objects.select_for_update().filter(pk=case_id).first()
        if case is None:
            return False
        case_clocks_sync(case=case, now=now)
    return True


def open_case_ids_for(
    *,
    policies: Iterable[tuple[str, str]] = (),
    customer_ids: Iterable[int] = (),
    calendar_ids: Iterable[int] = (),
) -> Iterable[int]:
    """Ids of the open cases whose clocks depend on the given (tier, severity) policies,
    customers or calendars, streamed in id order."""
    condition = Q(pk__in=[])
    for tier, severity in policies:
        condition |= Q(customer__tier=tier, severity=severity)
    customer_ids = list(customer_ids)
    if customer_ids:
        condition |= Q(customer_id__in=customer_ids)
    calendar_ids = list(calendar_ids)
    if calendar_ids:
        condition |= Q(clocks__policy__calendar_id__in=calendar_ids)
    return (
        Case.objects.open()
        .filter(condition)
        .values_list("pk", flat=True)
        .distinct()
        .order_by("pk")
        .iterator(chunk_size=2000)
    )


def clocks_resync_later(
    *,
    policies: Iterable[tuple[str, str]] = (),
    customer_ids: Iterable[int] = (),
    calendar_ids: Iterable[int] = (),
) -> None:
    """After the current transaction commits, re-align in the background the clocks of the
    open cases governed by these (tier, severity) policies, customers or calendars.

    Call it after changing a policy, a calendar's hours or holidays, or a customer's tier.
    """
    from sla.tasks import clocks_resync_for

    kwargs = {
        "policies": [list(key) for key in policies],
        "customer_ids": list(customer_ids),
        "calendar_ids": list(calendar_ids),
    }
    transaction.on_commit(lambda: clocks_resync_for.delay(**kwargs))


# --- Notifications ----------------------------------------------------------------------------


def notification_mark_read(*, user: User, notification_id: int, now: datetime) -> Notification:
    """Mark one of the user's own notifications read. Anyone else's is 'not found'."""
    with transaction.atomic():
        notification = Notification.objects.select_for_update().get(
            pk=notification_id, recipient=user
        )
        if notification.read_at is None:
            notification.read_at = now
            notification.save(update_fields=["read_at"])
    return notification


def notifications_mark_all_read(*, user: User, now: datetime) -> int:
    """Mark every unread notification of the user read; the number marked."""
    with transaction.atomic():
        return Notification.objects.filter(recipient=user, read_at__isnull=True).update(read_at=now)
