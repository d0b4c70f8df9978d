"""SLA engine services: keeping each case's clocks in line with the case, and notifications.

The sweep that finds due clocks is in ``sla.sweep``; the steps it takes (warnings, breaches,
re-escalations) in ``sla.escalation``; how one clock is aligned with its case in
``sla.alignment``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Q, Subquery, prefetch_related_objects

from cases.events import CaseChanged, CaseRaised, CustomerTierChanged
from cases.models import Case, Customer, Status
from cases.models.case import URGENCY_ALLOWANCE
from escalation.bulk import objects_update
from sla import soon
from sla.alignment import Record, clock_align, clock_plans
from sla.facts import facts_save, ledger_entry
from sla.models import CaseClock, ClockKind, LedgerKind, Notification, SlaPolicy

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


def clocks_on_case_raised(event: CaseRaised) -> None:
    """Start the clocks of a case raised in this transaction (it has none yet: none read)."""
    case_clocks_sync(case=event.case, now=event.at, clocks=[])


def clocks_on_cases_raised(events: Sequence[CaseRaised]) -> None:
    """Start the clocks of the cases raised in this transaction: one by itself, many (from
    ``cases_raise_many``) together."""
    if len(events) == 1:
        clocks_on_case_raised(events[0])
    else:
        cases_clocks_sync(changes=[(event.case, event.at) for event in events])


# What a case's clocks follow (``case_clocks_sync``): a change of none of these (a
# reassignment) cannot move them.
CLOCK_INPUTS = frozenset(
    {
        "severity",
        "status",
        "customer",
        "raised_at",
        "update_every_minutes",
        "first_response_at",
        "last_customer_update_at",
        "last_customer_contact_at",
        "resolved_at",
    }
)


def clocks_on_cases_changed(events: Sequence[CaseChanged]) -> None:
    """Re-align the clocks of the cases case services have just changed: one by itself, many
    (from a set-based service, ``cases.events.announce_many``) together; none for a change
    that touched nothing the clocks follow (``CaseChanged.fields``)."""
    events = [e for e in events if e.fields is None or e.fields & CLOCK_INPUTS]
    if not events:
        return
    if len(events) == 1:
        case_clocks_sync(case=events[0].case, now=events[0].at)
    else:
        cases_clocks_sync(changes=[(event.case, event.at) for event in events])


def case_clocks_sync(
    *, case: Case, now: datetime, clocks: Sequence[CaseClock] | None = None
) -> None:
    """Bring the case's SLA clocks in line with its current state.

    Contract: it runs after every case service changed a case (``cases.events``: subscribed
    in ``SlaConfig.ready``), inside its transaction, with the case row locked. ``clocks`` are
    the case's clocks when the caller holds them (``[]`` for a case raised in this
    transaction); else they are read. It creates, pauses, resumes, stops or re-targets the clocks
    (response, resolution, update) from the case's severity, status, customer tier,
    first_response_at, last_customer_update_at, last_customer_contact_at and resolved_at, and
    saves the case's SLA marks.
    It is idempotent.

    1. Find the policy for the customer's tier and the case's severity (one query) and the
       case's clocks (one query, unless the caller passed them).
    2. For each clock the case calls for (see ``clock_plans``): create it, or align the stored
       one (breach already passed, new update cycle, reopen, pause, resume, re-target, stop;
       see ``clock_align``).
    3. Save only the clocks that changed (one insert, one update at most), the breaches and
       ledger entries the alignment produced (``sla.facts``), then the case's SLA marks
       (``case_sla_marks``: ``next_due_at``, the earliest deadline of the running, unpaused
       clocks, and the instants its SLA state changes at), when they moved.
    """
    policy = policy_for_case(case)
    rows: Iterable[CaseClock] = (
        clocks
        if clocks is not None
        else CaseClock.objects.filter(case_id=case.pk).select_related("policy__calendar")
    )
    by_kind = {c.kind: c for c in rows}
    record = Record()
    created, changed = _clocks_align(
        case=case, policy=policy, clocks=by_kind, now=now, record=record
    )
    # A step these writes bring within the look-ahead gets its countdown task after commit.
    soon.after_commit(clocks=[*created, *changed], now=now)
    if created:
        CaseClock.objects.bulk_create(created)
    if changed:
        CaseClock.objects.bulk_update(changed, [f.removesuffix("_id") for f in SYNC_FIELDS])
    facts_save(
        breaches=record.breaches,
        entries=[
            ledger_entry(clock, kind=kind, at=at, cause=_cause(kind, case=case, clock=clock))
            for clock, kind, at in record.changes
        ],
    )
    _sla_marks_save(case, clocks=by_kind.values())


def cases_clocks_sync(*, changes: Sequence[tuple[Case, datetime]]) -> None:
    """``case_clocks_sync`` for many locked cases, each at its own instant: the same alignment,
    with one read of their policies and one of their clocks, and one write of each kind
    (new clocks, changed clocks, facts, SLA marks) for all of them."""
    cases = [case for case, _ in changes]
    prefetch_related_objects(cases, "customer")
    policies = _policies_for(cases)
    clocks: dict[int, dict[str, CaseClock]] = {case.pk: {} for case in cases}
    stored = CaseClock.objects.filter(case_id__in=list(clocks)).select_related("policy__calendar")
    for clock in stored:
        clocks[clock.case_id][clock.kind] = clock
    created: list[CaseClock] = []
    changed: list[CaseClock] = []
    record = Record()
    entries = []
    stale: list[Case] = []
    for case, now in changes:
        by_kind = clocks[case.pk]
        seen = len(record.changes)
        new, moved = _clocks_align(
            case=case,
            policy=policies.get((case.customer.tier, case.severity)),
            clocks=by_kind,
            now=now,
            record=record,
        )
        created += new
        changed += moved
        entries += [
            ledger_entry(clock, kind=kind, at=at, cause=_cause(kind, case=case, clock=clock))
            for clock, kind, at in record.changes[seen:]
        ]
        marks = case_sla_marks(clocks=by_kind.values(), severity=case.severity)
        if marks.values() != tuple(getattr(case, name) for name in MARK_FIELDS):
            for name, value in zip(MARK_FIELDS, marks.values(), strict=True):
                setattr(case, name, value)
            stale.append(case)
    # One after-commit hook for the whole set (the latest instant: it only widens the test,
    # the hook looks again at commit time).
    if changes:
        soon.after_commit(clocks=[*created, *changed], now=max(now for _, now in changes))
    if created:
        CaseClock.objects.bulk_create(created)
    objects_update(changed, [f.removesuffix("_id") for f in SYNC_FIELDS])
    facts_save(breaches=record.breaches, entries=entries)
    objects_update(stale, MARK_FIELDS)


def _policies_for(cases: Sequence[Case]) -> dict[tuple[str, str], SlaPolicy]:
    """The policies of these cases (with their customers), by (tier, severity): one query."""
    tiers = {case.customer.tier for case in cases}
    severities = {case.severity for case in cases}
    found: dict[tuple[str, str], SlaPolicy] = {}
    rows = SlaPolicy.objects.select_related("calendar").filter(
        tier__in=tiers, severity__in=severities
    )
    for policy in rows:
        found.setdefault((policy.tier, policy.severity), policy)
    return found


def _clocks_align(
    *,
    case: Case,
    policy: SlaPolicy | None,
    clocks: dict[str, CaseClock],
    now: datetime,
    record: Record,
) -> tuple[list[CaseClock], list[CaseClock]]:
    """Step 2 of ``case_clocks_sync``: align each clock the case calls for, creating those it
    lacks (added to ``clocks``). Returns the clocks created and the stored ones changed."""
    created: list[CaseClock] = []
    changed: list[CaseClock] = []
    for kind, plan in clock_plans(case=case, policy=policy, now=now).items():
        existing = clocks.get(kind)
        if existing is None:
            if plan.target_seconds is None or policy is None:
                continue
            started = CaseClock(
                case_id=case.pk,
                kind=kind,
                policy=policy,
                target_seconds=plan.target_seconds,
                started_at=plan.start,
                due_at=plan.start,
                warn_at=plan.start,
            )
            clock_align(clock=started, plan=plan, policy=policy, now=now, record=record)
            clocks[kind] = started
            created.append(started)
        elif plan.target_seconds is None and policy is not None and existing.stopped_at:
            # The policy has no target of this kind any more, and this clock has ended.
            continue
        else:
            before = [getattr(existing, name) for name in SYNC_FIELDS]
            clock_align(clock=existing, plan=plan, policy=policy, now=now, record=record)
            if [getattr(existing, name) for name in SYNC_FIELDS] != before:
                changed.append(existing)
    return created, changed


# The columns of Case that case_sla_marks fills in, in its order, and the clocks' it reads.
MARK_FIELDS = ("next_due_at", "sla_breach_at", "sla_warn_at", "sla_paused", "urgency_at")
_MARK_CLOCK_FIELDS = ("case_id", "due_at", "warn_at", "paused_at", "stopped_at", "breached_at")


@dataclass(frozen=True)
class SlaMarks:
    """What the case stores of its clocks, so the queue sorts and filters by SLA state with
    index range conditions (``cases.models.case.sla_state_condition`` tells the states of
    ``sla.selectors.case_sla_state`` from them, compared with now)."""

    next_due_at: datetime | None  # the earliest deadline of the running, unpaused clocks
    sla_breach_at: datetime | None  # that, or the earliest breach on record if before
    sla_warn_at: datetime | None  # the earliest warning point of the running, unpaused clocks
    sla_paused: bool  # clocks run, and every running one is paused
    urgency_at: datetime | None  # sla_breach_at plus the severity's allowance

    def values(self) -> tuple[Any, ...]:
        return tuple(getattr(self, name) for name in MARK_FIELDS)


def case_sla_marks(*, clocks: Iterable[CaseClock], severity: str) -> SlaMarks:
    """The marks of a case with these clocks (pure; the clocks as stored).

    A breach on record (``breached_at``, sticky, on a clock running, paused or stopped) is a
    deadline that had passed when it was recorded, so it is never after ``now``: the case is
    breached exactly while ``sla_breach_at <= now``, whatever happens to the deadlines later.
    """
    clocks = list(clocks)
    ticking = [c for c in clocks if c.stopped_at is None and c.paused_at is None]
    next_due = min((c.due_at for c in ticking), default=None)
    breaches = [c.breached_at for c in clocks if c.breached_at is not None]
    breach_at = min([*breaches, *([next_due] if next_due is not None else [])], default=None)
    return SlaMarks(
        next_due_at=next_due,
        sla_breach_at=breach_at,
        sla_warn_at=min((c.warn_at for c in ticking), default=None),
        sla_paused=not ticking and any(c.stopped_at is None for c in clocks),
        urgency_at=None if breach_at is None else breach_at + URGENCY_ALLOWANCE[severity],
    )


def _sla_marks_save(case: Case, *, clocks: Iterable[CaseClock]) -> None:
    """Save the case's SLA marks (``case_sla_marks``) when they moved: one update at most."""
    marks = case_sla_marks(clocks=clocks, severity=case.severity)
    if marks.values() != tuple(getattr(case, name) for name in MARK_FIELDS):
        values = dict(zip(MARK_FIELDS, marks.values(), strict=True))
        Case.objects.filter(pk=case.pk).update(**values)
        for name, value in values.items():
            setattr(case, name, value)


def cases_sla_marks_refresh(*, case_ids: Iterable[int]) -> int:
    """Recompute the SLA marks of these cases from their stored clocks (for rows written in
    bulk: the demo and benchmark seeding, tests that store clocks directly); how many
    changed. Two reads and one bulk update per 2,000 cases."""
    ids = sorted(set(case_ids))
    changed = 0
    for start in range(0, len(ids), 2000):
        chunk = ids[start : start + 2000]
        by_case: dict[int, list[CaseClock]] = {pk: [] for pk in chunk}
        for clock in CaseClock.objects.filter(case_id__in=chunk).only(*_MARK_CLOCK_FIELDS):
            by_case[clock.case_id].append(clock)
        stale = []
        for case in Case.objects.filter(pk__in=chunk).only("severity", *MARK_FIELDS):
            marks = case_sla_marks(clocks=by_case[case.pk], severity=case.severity)
            if marks.values() != tuple(getattr(case, name) for name in MARK_FIELDS):
                for name, value in zip(MARK_FIELDS, marks.values(), strict=True):
                    setattr(case, name, value)
                stale.append(case)
        Case.objects.bulk_update(stale, MARK_FIELDS)
        changed += len(stale)
    return changed


def _cause(kind: str, *, case: Case, clock: CaseClock) -> str:
    """The words for what moved a clock, from the case as it now stands."""
    if kind == LedgerKind.PAUSED:
        return "Waiting on customer"
    if kind == LedgerKind.STOPPED:
        if clock.kind == ClockKind.RESPONSE and case.first_response_at is not None:
            return "First response"
        return str(Status(case.status).label)
    if kind == LedgerKind.RETARGETED:
        return f"Severity {case.severity}, policy {clock.policy}" if clock.policy else ""
    if kind == LedgerKind.STARTED:
        if clock.kind == ClockKind.UPDATE:
            return "Customer update" if clock.cycle > 1 else "First response"
        return "Raised"
    return str(Status(case.status).label)


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


def clocks_on_tier_changed(event: CustomerTierChanged) -> None:
    """A customer's new tier: re-align its open cases' clocks once the change commits."""
    clocks_resync_later(customer_ids=[event.customer.pk])


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
