"""Taking the SLA steps a clock has come to: its warning, its breach, each re-escalation.

A worker calls ``clocks_escalate_due`` with a batch of clock ids the sweep found due. Each step
of each clock takes effect once:

- the batch locks its cases (in id order, so two batches never deadlock, and before the clocks,
  the order every case service uses), then their clocks; a second worker given the same clock
  waits for the first to commit, then finds the step taken;
- each step is recorded as an ``EscalationRecord`` whose unique constraint refuses a second one,
  so a step is never repeated even when a re-target reset the clock's flags;
- events, the reassignment and the notification rows are written in the batch's transaction
  and mail goes out after it commits: a worker killed half-way leaves no trace, and the
  redelivered task (acks_late) or the next sweep takes the whole step again;
- the steps are decided in memory first, then written with a few statements for the whole
  batch (``sla.escalation_batch.Batch.finish``, the reassignments by
  ``cases.services.assign_many``): no lock, savepoint or insert per case.
- what the steps write on the timeline and say to people is in ``sla.escalation_words``.

The rules (targets in ``sla.rules``):

- Warning (any clock, at warn_percent of its target): tell the owner and the team lead.
- Breach of the first-response or resolution clock: reassign (``case_assign``'s rules, event
  ESCALATED naming the rule) and tell the old owner, the team leads and the watchers; the new
  owner hears it from ``case_assign``.
- Re-escalation: a case still breached ``reescalate_minutes`` of business time after its last
  escalation is escalated again the same way, until it reaches management level.
- Breach at management level, or with nobody to escalate to: tell the owner, the team lead,
  the watchers and the manager on duty.
- Breach of the customer-update clock: tell the owner and the team lead (no reassignment: the
  case is being worked on, the customer is owed news).
- Acknowledge or climb (``acknowledge_minutes``): a case the engine reassigned must be acted
  on (any timeline event by a person) within that business time, or it climbs a rung, each a
  step ``climb-<escalation>-<rung>`` (``sla.rules.climb_target``). Acting on it stops the
  ladder; a new escalation starts it again.
"""

from __future__ import annotations

import contextlib
import logging
from collections import defaultdict
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

from django.db import DatabaseError, OperationalError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.models import Case, EventKind
from escalation.errors import DomainError
from sla import clock as bh
from sla.calendars import calendar_for
from sla.escalation_batch import ENGINE_FIELDS, Batch, Mark
from sla.escalation_words import (
    assignee_words,
    breach_event,
    clock_what,
    known_user,
    reassign,
    team_lead,
    warning_take,
)
from sla.facts import breach_fact
from sla.models import CaseClock, ClockKind, NotificationKind
from sla.rules import (
    CLIMB_RUNGS,
    TOP_RANK,
    Rule,
    Target,
    acknowledge_deadline,
    climb_target,
    escalation_target,
    level_rank,
)
from sla.selectors import duration_words

logger = logging.getLogger(__name__)

ESCALATING_CLOCKS = frozenset({ClockKind.RESPONSE, ClockKind.RESOLUTION})
CASE_FIELDS = ("owner", "team", "level", "updated_at")


class _BatchFailed(Exception):
    """Writing the batch failed; it is taken again, each clock written in a savepoint."""


def clocks_escalate_due(
    *, clock_ids: Sequence[int], clock_now: Callable[[], datetime] = timezone.now
) -> list[str]:
    """Take every step now due on each of ``clock_ids``, each step once; the steps taken.

    1. In one transaction: lock the clocks' cases in id order, then read them with their
       team, owner and customer, then lock all their clocks.
    2. Decide each clock's due steps in memory (records, events, reassignments, messages). A
       step that fails is logged, undone in memory and left for the sweep to hand out again;
       the others go ahead.
    3. Write the whole batch (``Batch.finish``): a few statements, however many clocks.
    A database error fails the batch, and the task retries it. Any other failure while
    writing rolls the batch back and it is taken again, each clock written in its own
    savepoint, so only the failing one is left out.
    Clocks or cases that are gone, stopped, paused or not due are skipped.
    """
    try:
        return _batch_take(clock_ids=clock_ids, clock_now=clock_now, isolate=False)
    except _BatchFailed:
        return _batch_take(clock_ids=clock_ids, clock_now=clock_now, isolate=True)


def _batch_take(
    *, clock_ids: Sequence[int], clock_now: Callable[[], datetime], isolate: bool
) -> list[str]:
    wanted = set(clock_ids)
    taken: list[str] = []
    # The ids first: as a subquery, a million cases can tempt the planner into scanning them.
    case_ids = sorted(
        set(CaseClock.objects.filter(pk__in=wanted).values_list("case_id", flat=True))
    )
    with transaction.atomic():
        # Lock first, then read: a locking read that joins related rows and waits for a lock
        # gets the case row as committed meanwhile, joined to the team and owner rows as they
        # were before (PostgreSQL re-checks only the locked row), so a reassignment committed
        # while the batch waited would leave case.team and case.owner out of date.
        locked = list(
            Case.objects.select_for_update()
            .filter(pk__in=case_ids)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        # The teams, owners and policies a batch's cases share are read once each and shared
        # (prefetched), not built again for every case as a join would.
        cases = {
            case.pk: case
            for case in Case.objects.select_related("customer")
            .prefetch_related("team__lead", "owner", "category__specialist_team__lead")
            .filter(pk__in=locked)
        }
        if not cases:
            return taken
        clocks = list(
            CaseClock.objects.select_for_update(of=("self",))
            .prefetch_related("policy__calendar")
            .filter(case_id__in=list(cases))
            .order_by("case_id", "pk")
        )
        siblings: dict[int, list[CaseClock]] = defaultdict(list)
        for clock in clocks:
            siblings[clock.case_id].append(clock)
        batch = Batch(list(cases))
        taken += _clocks_take(
            clocks=clocks,
            wanted=wanted,
            cases=cases,
            siblings=siblings,
            batch=batch,
            clock_now=clock_now,
            isolate=isolate,
        )
        if not isolate:
            try:
                batch.finish()
            except OperationalError:
                raise
            except Exception as failure:
                raise _BatchFailed from failure
    return taken


def _clocks_take(
    *,
    clocks: list[CaseClock],
    wanted: set[int],
    cases: dict[int, Case],
    siblings: dict[int, list[CaseClock]],
    batch: Batch,
    clock_now: Callable[[], datetime],
    isolate: bool,
) -> list[str]:
    """Step 2 of ``clocks_escalate_due`` (and, when ``isolate``, step 3 for each clock in a
    savepoint); the steps taken."""
    taken: list[str] = []
    for clock in clocks:
        if clock.pk not in wanted:
            continue
        case = cases[clock.case_id]
        before = [(c, [getattr(c, f) for f in ENGINE_FIELDS]) for c in siblings[case.pk]]
        was = [getattr(case, f) for f in CASE_FIELDS]
        mark = batch.mark()
        try:
            with transaction.atomic() if isolate else contextlib.nullcontext():
                steps = _steps_take(
                    case=case, clock=clock, siblings=siblings[case.pk], batch=batch, now=clock_now()
                )
                if isolate:
                    batch.finish()
            taken += steps
        except OperationalError:
            raise  # the task retries the whole batch with backoff
        except DatabaseError as failure:
            if not isolate:
                # Without a savepoint the transaction cannot go on: clock by clock, then.
                raise _BatchFailed from failure
            _step_forget(clock=clock, case=case, before=before, was=was, batch=batch, mark=mark)
        except Exception:  # noqa: BLE001 - logged and left for the sweep (_step_forget)
            _step_forget(clock=clock, case=case, before=before, was=was, batch=batch, mark=mark)
    return taken


def _step_forget(
    *,
    clock: CaseClock,
    case: Case,
    before: list[tuple[CaseClock, list[Any]]],
    was: list[Any],
    batch: Batch,
    mark: Mark,
) -> None:
    """Log a step that failed and undo it in memory (nothing of it was written, or its
    savepoint was rolled back): the sweep hands the clock out again later."""
    logger.exception("SLA step on clock %s of case %s failed", clock.pk, case.pk)
    for sibling, values in before:
        for name, value in zip(ENGINE_FIELDS, values, strict=True):
            setattr(sibling, name, value)
    for name, value in zip(CASE_FIELDS, was, strict=True):
        setattr(case, name, value)
    batch.undo_since(mark, cases=[case])


def clock_escalate_due(*, clock_id: int, now: datetime) -> list[str]:
    """``clocks_escalate_due`` for one clock at a given instant."""
    return clocks_escalate_due(clock_ids=[clock_id], clock_now=lambda: now)


def _steps_take(
    *, case: Case, clock: CaseClock, siblings: list[CaseClock], batch: Batch, now: datetime
) -> list[str]:
    """The steps due on one clock, taken in the batch (which changes ``case`` in memory when
    it reassigns it)."""
    taken: list[str] = []
    clock.dispatched_at = None
    batch.touch(clock)
    if clock.stopped_at is not None or clock.paused_at is not None or not case.is_open:
        return taken
    # A breach the case's own changes recorded first (see sla.alignment.clock_align) is owed
    # its step too, even when a new target has moved the deadline since.
    breach_due = clock.breach_handled_at is None and (
        clock.breached_at is not None or clock.due_at <= now
    )
    warning_due = clock.warned_at is None and clock.warn_at <= now
    reescalation_due = (
        not breach_due
        and clock.breach_handled_at is not None
        and clock.reescalate_at is not None
        and clock.reescalate_at <= now
    )
    climb_due = (
        not breach_due
        and not reescalation_due
        and clock.climb_at is not None
        and clock.climb_at <= now
    )
    if warning_due:
        clock.warned_at = now
        # A warning that comes due together with its breach says nothing the breach won't.
        if not breach_due and batch.record(case, clock, step="warning", rule=Rule.WARN, now=now):
            warning_take(case=case, clock=clock, batch=batch, now=now)
            taken.append("warning")
    step = ""
    if breach_due:
        if clock.breached_at is None:
            clock.breached_at = clock.due_at
            batch.breaches.append(breach_fact(clock, now=now))
        clock.breach_handled_at = now
        step = "breach"
    elif reescalation_due:
        step = f"reescalation-{clock.escalation_count}"
    if step:
        if _escalate(case=case, clock=clock, siblings=siblings, step=step, batch=batch, now=now):
            taken.append(step)
        elif not breach_due:
            clock.reescalate_at = None
    elif climb_due:
        taken += _climb(case=case, clock=clock, batch=batch, now=now)
    return taken


def _climb(*, case: Case, clock: CaseClock, batch: Batch, now: datetime) -> list[str]:
    """The acknowledge window of the last escalation has passed: stop the ladder if someone
    acted on the case since, else climb to the next rung that can take it (once)."""
    if batch.acted_since_escalation(case):
        clock.climb_at = None
        return []
    target = climb_target(case=case, after=clock.climb_count, now=now, lookups=batch.lookups)
    if target is None:
        clock.climb_at = None
        return []
    step = f"climb-{clock.escalation_count}-{target.rung}"
    clock.climb_count = target.rung
    last = target.rung == len(CLIMB_RUNGS)
    clock.climb_at = None if last else acknowledge_deadline(policy=clock.policy, now=now)
    if not batch.record(case, clock, step=step, rule=target.rule, now=now, target=target):
        return []
    _reassign_and_tell(
        case=case,
        clock=clock,
        step=step,
        target=target,
        batch=batch,
        news=lambda: _("%(case)s was not acknowledged in time") % {"case": case.reference},
    )
    return [step]


def _escalate(
    *,
    case: Case,
    clock: CaseClock,
    siblings: list[CaseClock],
    step: str,
    batch: Batch,
    now: datetime,
) -> bool:
    """One breach step: record it, say so on the timeline, reassign, tell people. False when
    the step was taken before."""
    watchers = batch.watchers.get(case.pk, [])
    if clock.kind not in ESCALATING_CLOCKS:
        return _update_overdue(case=case, clock=clock, step=step, batch=batch, now=now)
    target = escalation_target(case=case, now=now, lookups=batch.lookups)
    at_top = level_rank(case.level) >= TOP_RANK
    rule = target.rule if target else (Rule.AT_TOP if at_top else Rule.NO_TARGET)
    if not batch.record(case, clock, step=step, rule=rule, now=now, target=target):
        return False
    clock.escalation_count += 1
    clock.reescalate_at = _next_reescalation(clock=clock, target=target, now=now)
    # One chain per case: any escalation restarts the wait of the case's other breached clocks.
    for other in siblings:
        if other is not clock and other.reescalate_at is not None:
            other.reescalate_at = clock.reescalate_at
            batch.touch(other)
    breach_event(case=case, clock=clock, step=step, rule=rule, target=target, batch=batch)
    if target is None:
        batch.notify(
            recipients=[
                case.owner,
                team_lead(case.team),
                batch.lookups.manager_on_duty(now),
                *watchers,
            ],
            case=case,
            kind=NotificationKind.SLA_BREACH,
            subject=lambda: (
                (
                    _("%(case)s breached its %(what)s target at management level")
                    if at_top
                    else _("%(case)s breached its %(what)s target and nobody can take it")
                )
                % {"case": case.reference, "what": clock_what(clock)}
            ),
        )
        return True
    _reassign_and_tell(
        case=case,
        clock=clock,
        step=step,
        target=target,
        batch=batch,
        news=lambda: (
            _("%(case)s breached its %(what)s target")
            % {"case": case.reference, "what": clock_what(clock)}
        ),
    )
    clock.climb_count = 0
    clock.climb_at = acknowledge_deadline(policy=clock.policy, now=now)
    return True


def _update_overdue(
    *, case: Case, clock: CaseClock, step: str, batch: Batch, now: datetime
) -> bool:
    """The breach of a customer-update clock: no reassignment, the owner and lead hear of it.
    False when the step was taken before."""
    if not batch.record(case, clock, step=step, rule=Rule.UPDATE_OVERDUE, now=now):
        return False
    breach_event(
        case=case, clock=clock, step=step, rule=Rule.UPDATE_OVERDUE, target=None, batch=batch
    )
    batch.notify(
        recipients=[case.owner, team_lead(case.team)],
        case=case,
        kind=NotificationKind.SLA_BREACH,
        subject=lambda: (
            _("%(case)s is owed a customer update (%(late)s late)")
            % {
                "case": case.reference,
                "late": duration_words(now - (clock.breached_at or clock.due_at)),
            }
        ),
    )
    return True


def _reassign_and_tell(
    *,
    case: Case,
    clock: CaseClock,
    step: str,
    target: Target,
    batch: Batch,
    news: Callable[[], str],
) -> None:
    """Give the case to ``target`` (a refusal is said on the timeline instead) and tell the
    old owner, the leads and the watchers."""
    rule = target.rule
    watchers = batch.watchers.get(case.pk, [])
    old_owner, old_team = case.owner, case.team
    try:
        reassign(case=case, target=target, clock=clock, step=step, batch=batch)
    except DomainError as refusal:
        # The target cannot take the case (deactivated since it was chosen, say): the breach
        # stands, people hear of it, and the timeline says why nobody took it.
        logger.warning("escalation of %s refused: %s", case.reference, refusal.message)
        batch.event(
            case=case,
            actor=None,
            kind=EventKind.ESCALATED,
            reason=f"Escalation refused: {refusal.message}",
            data={"rule": rule, "clock": clock.kind, "step": step, "refused": refusal.message},
        )
        target = Target(rule, old_team, old_owner, case.level)
    new_owner = known_user(case.owner_id, target.owner, old_owner)
    # case_assign tells a new owner; everyone else concerned hears it from us.
    told_by_assign = new_owner if new_owner is not None and new_owner != old_owner else None
    recipients = [old_owner, team_lead(old_team), team_lead(target.team), *watchers]
    batch.notify(
        recipients=[r for r in recipients if r is not None and r != told_by_assign],
        case=case,
        kind=NotificationKind.SLA_BREACH,
        subject=lambda: (
            _("%(news)s: escalated to %(assignee)s")
            % {"news": news(), "assignee": assignee_words(new_owner, target.team)}
        ),
    )


def _next_reescalation(
    *, clock: CaseClock, target: Target | None, now: datetime
) -> datetime | None:
    policy = clock.policy
    if target is None or policy is None or not policy.reescalate_minutes:
        return None
    if level_rank(target.level) >= TOP_RANK:
        return None
    calendar = calendar_for(policy.calendar)
    return bh.add_business_time(calendar, now, timedelta(minutes=policy.reescalate_minutes))
