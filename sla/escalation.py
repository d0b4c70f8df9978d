"""The escalation rules: what the SLA engine does when a clock warns, breaches, or stays breached.

A worker calls ``clocks_escalate_due`` with the ids of clocks the sweep found due. Each step
(warning, breach, each re-escalation) of each clock takes effect once:

- the case row is locked first (the order every case service uses, so no deadlock), then the
  clock; a second worker with the same clock waits, then finds nothing left to do;
- each step inserts an ``EscalationRecord`` whose unique constraint refuses a second one, so a
  step is never repeated even when the clock's flags were reset by a re-target;
- events, the reassignment and the notification rows are written in the same transaction and
  the mail goes out after commit: a worker killed half-way leaves no trace, and the redelivered
  task (acks_late) or the next sweep does the whole step again.

The rules:

- Warning (any clock, at warn_percent of its target): notify the owner and the team lead.
- Breach of the first-response or resolution clock: reassign to the category's specialist team
  (when the case is not with it and it is not below the case's level), else to the next level
  (``Team.escalates_to``, skipping inactive teams and teams not above the case's level), else to
  the escalation manager on duty. Within the team the member with the fewest open cases takes
  it; a management team goes to the manager on duty. Notify the old owner, the team leads and
  the watchers (the new owner hears it from ``case_assign``).
- Re-escalation: a case still breached ``reescalate_minutes`` of business time after its last
  escalation is escalated again the same way, until it reaches management level.
- Breach at management level, or with nobody to escalate to: notify the owner, the team lead,
  the watchers and the manager on duty.
- Breach of the customer-update clock: notify the owner and the team lead (no reassignment:
  the case is being worked on, the customer is just owed news).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.contrib.auth.models import AbstractBaseUser
from django.db import OperationalError, models, transaction
from django.utils import timezone

from cases.models import Case, EventKind, Level, Team
from cases.timeline import event_record
from escalation.errors import DomainError
from sla import clock as bh
from sla.calendars import calendar_default, calendar_for
from sla.models import CaseClock, ClockKind, EscalationRecord, NotificationKind
from sla.notifications import notification_send
from sla.selectors import (
    duration_words,
    management_team_for,
    manager_on_duty,
    team_member_with_fewest_open_cases,
)

logger = logging.getLogger(__name__)

LEVEL_RANK = {Level.L1: 1, Level.L2: 2, Level.L3: 3, Level.MANAGEMENT: 4}
TOP_RANK = LEVEL_RANK[Level.MANAGEMENT]
ESCALATING_CLOCKS = frozenset({ClockKind.RESPONSE, ClockKind.RESOLUTION})
ENGINE_FIELDS = ["warned_at", "breached_at", "escalation_count", "reescalate_at", "dispatched_at"]


class Rule(models.TextChoices):
    WARN = "warn_owner_and_lead", "Warn the owner and the team lead"
    TO_SPECIALIST = "breach_to_specialist_team", "Reassign to the category's specialist team"
    TO_NEXT_LEVEL = "breach_to_next_level", "Reassign to the next level"
    TO_MANAGER_ON_DUTY = "breach_to_manager_on_duty", "Reassign to the manager on duty"
    AT_TOP = "breach_at_management", "Breached at management level: notify"
    NO_TARGET = "breach_without_target", "Nobody to escalate to: notify"
    UPDATE_OVERDUE = "update_overdue", "Customer update overdue: notify"


@dataclass(frozen=True)
class Target:
    rule: Rule
    team: Team | None
    owner: AbstractBaseUser | None
    level: str


def clocks_escalate_due(
    *, clock_ids: Sequence[int], clock_now: Callable[[], datetime] = timezone.now
) -> list[str]:
    """Take every step now due on each of ``clock_ids``, each step once; the steps taken.

    One transaction for the batch (one commit instead of one per clock), a savepoint per clock,
    cases locked in id order so two batches never deadlock. A clock whose step fails for a
    reason other than the database is logged and left for the next sweep to hand out again;
    the others go ahead. Clocks or cases that are gone, stopped, paused or not due are skipped.
    """
    pairs = list(
        CaseClock.objects.filter(pk__in=clock_ids)
        .order_by("case_id", "pk")
        .values_list("pk", "case_id")
    )
    taken: list[str] = []
    with transaction.atomic():
        for clock_id, case_id in pairs:
            try:
                with transaction.atomic():
                    taken += _clock_take(clock_id=clock_id, case_id=case_id, now=clock_now())
            except OperationalError:
                raise  # the task retries the whole batch with backoff
            except Exception:
                logger.exception("SLA step on clock %s of case %s failed", clock_id, case_id)
    return taken


def clock_escalate_due(*, clock_id: int, now: datetime) -> list[str]:
    """``clocks_escalate_due`` for one clock at a given instant."""
    return clocks_escalate_due(clock_ids=[clock_id], clock_now=lambda: now)


def _clock_take(*, clock_id: int, case_id: int, now: datetime) -> list[str]:
    case = (
        Case.objects.select_for_update(of=("self",))
        .select_related("team__lead", "owner", "category__specialist_team")
        .filter(pk=case_id)
        .first()
    )
    clock = (
        CaseClock.objects.select_for_update(of=("self",))
        .select_related("policy__calendar")
        .filter(pk=clock_id)
        .first()
    )
    if case is None or clock is None:
        return []
    return _steps_take(case=case, clock=clock, now=now)


def _steps_take(*, case: Case, clock: CaseClock, now: datetime) -> list[str]:
    taken: list[str] = []
    clock.dispatched_at = None
    if clock.stopped_at is not None or clock.paused_at is not None or not case.is_open:
        clock.save(update_fields=["dispatched_at"])
        return taken
    breach_due = clock.breached_at is None and clock.due_at <= now
    warning_due = clock.warned_at is None and clock.warn_at <= now
    reescalation_due = (
        not breach_due
        and clock.breached_at is not None
        and clock.reescalate_at is not None
        and clock.reescalate_at <= now
    )
    if warning_due:
        clock.warned_at = now
        # A warning that comes due together with its breach says nothing the breach won't.
        if not breach_due and _record_once(case, clock, step="warning", rule=Rule.WARN, now=now):
            _warn(case=case, clock=clock, now=now)
            taken.append("warning")
    if breach_due:
        clock.breached_at = clock.due_at
        if _escalate(case=case, clock=clock, step="breach", now=now):
            taken.append("breach")
    elif reescalation_due:
        step = f"reescalation-{clock.escalation_count}"
        if _escalate(case=case, clock=clock, step=step, now=now):
            taken.append(step)
        else:
            clock.reescalate_at = None
    clock.save(update_fields=ENGINE_FIELDS)
    return taken


def _escalate(*, case: Case, clock: CaseClock, step: str, now: datetime) -> bool:
    """One breach step: record it, say so on the timeline, reassign, notify. False when this
    step was taken before."""
    if clock.kind not in ESCALATING_CLOCKS:
        if not _record_once(case, clock, step=step, rule=Rule.UPDATE_OVERDUE, now=now):
            return False
        _breach_event(case=case, clock=clock, step=step, rule=Rule.UPDATE_OVERDUE, target=None)
        _notify(
            recipients=[case.owner, _lead(case.team)],
            case=case,
            kind=NotificationKind.SLA_BREACH,
            subject=f"{case.reference} is owed a customer update ({_late(clock, now)} late)",
        )
        return True
    target = escalation_target(case=case, now=now)
    rule = target.rule if target else (Rule.AT_TOP if _at_top(case) else Rule.NO_TARGET)
    if not _record_once(case, clock, step=step, rule=rule, now=now, target=target):
        return False
    clock.escalation_count += 1
    clock.reescalate_at = _next_reescalation(clock=clock, target=target, now=now)
    clock.save(update_fields=ENGINE_FIELDS)
    # One chain per case: any escalation restarts the wait of the case's other breached clocks.
    CaseClock.objects.filter(case_id=case.pk, reescalate_at__isnull=False).exclude(
        pk=clock.pk
    ).update(reescalate_at=clock.reescalate_at)
    _breach_event(case=case, clock=clock, step=step, rule=rule, target=target)
    watchers = list(case.watchers.all())
    if target is None:
        _notify(
            recipients=[case.owner, _lead(case.team), manager_on_duty(now=now), *watchers],
            case=case,
            kind=NotificationKind.SLA_BREACH,
            subject=f"{case.reference} breached its {_what(clock)} target at management level"
            if rule == Rule.AT_TOP
            else f"{case.reference} breached its {_what(clock)} target: nobody to escalate to",
        )
        return True
    old_owner, old_team = case.owner, case.team
    try:
        case = _reassign(case=case, target=target, clock=clock, step=step)
    except DomainError as refusal:
        # The target cannot take the case (e.g. deactivated between the choice and now): the
        # breach stands, people hear of it, and the timeline says why nobody took it.
        logger.warning("escalation of %s refused: %s", case.reference, refusal.message)
        event_record(
            case=case,
            actor=None,
            kind=EventKind.ESCALATED,
            reason=f"Escalation refused: {refusal.message}",
            data={"rule": rule, "clock": clock.kind, "step": step, "refused": refusal.message},
        )
    new_owner = case.owner
    # case_assign tells a new owner; everyone else concerned hears it from us.
    told_by_assign = new_owner if new_owner is not None and new_owner != old_owner else None
    recipients = [old_owner, _lead(old_team), _lead(case.team), *watchers]
    _notify(
        recipients=[r for r in recipients if r is not None and r != told_by_assign],
        case=case,
        kind=NotificationKind.SLA_BREACH,
        subject=f"{case.reference} breached its {_what(clock)} target: "
        f"escalated to {_assignee(case)}",
    )
    return True


def escalation_target(*, case: Case, now: datetime) -> Target | None:
    """Where a breached case goes next; None at management level or with nobody to take it."""
    rank = LEVEL_RANK.get(Level(case.level), 1)
    if rank >= TOP_RANK:
        return None
    exclude = case.owner_id
    specialist = case.category.specialist_team if case.category_id else None  # type: ignore[union-attr]
    if (
        specialist is not None
        and specialist.is_active
        and specialist.pk != case.team_id
        and LEVEL_RANK[Level(specialist.level)] >= rank
        and LEVEL_RANK[Level(specialist.level)] < TOP_RANK
    ):
        owner = team_member_with_fewest_open_cases(team=specialist, exclude_user_id=exclude)
        return Target(Rule.TO_SPECIALIST, specialist, owner, specialist.level)
    team = _next_level_team(case.team, rank)
    if team is not None and LEVEL_RANK[Level(team.level)] < TOP_RANK:
        owner = team_member_with_fewest_open_cases(team=team, exclude_user_id=exclude)
        return Target(Rule.TO_NEXT_LEVEL, team, owner, team.level)
    manager = manager_on_duty(now=now)
    if manager is None:
        if team is None:
            return None
        owner = team_member_with_fewest_open_cases(team=team, exclude_user_id=exclude)
        return Target(Rule.TO_NEXT_LEVEL, team, owner, team.level)
    mgmt_team = team if team is not None else management_team_for(user=manager)
    return Target(Rule.TO_MANAGER_ON_DUTY, mgmt_team, manager, Level.MANAGEMENT)


def _next_level_team(team: Team | None, rank: int) -> Team | None:
    """Follow ``escalates_to`` from ``team`` to the first active team above ``rank``."""
    seen: set[int] = set()
    while team is not None and team.escalates_to_id and team.pk not in seen:
        seen.add(team.pk)
        team = Team.objects.filter(pk=team.escalates_to_id).select_related("lead").first()
        if team is not None and team.is_active and LEVEL_RANK[Level(team.level)] > rank:
            return team
    return None


def _at_top(case: Case) -> bool:
    return LEVEL_RANK.get(Level(case.level), 1) >= TOP_RANK


def _next_reescalation(
    *, clock: CaseClock, target: Target | None, now: datetime
) -> datetime | None:
    policy = clock.policy
    if target is None or policy is None or not policy.reescalate_minutes:
        return None
    if LEVEL_RANK[Level(target.level)] >= TOP_RANK:
        return None
    calendar = calendar_for(policy.calendar) if policy else calendar_default()
    return bh.add_business_time(calendar, now, timedelta(minutes=policy.reescalate_minutes))


def _reassign(*, case: Case, target: Target, clock: CaseClock, step: str) -> Case:
    from cases.services import case_assign

    reason = (
        f"{ClockKind(clock.kind).label} target breached"
        if step == "breach"
        else f"Still breached ({ClockKind(clock.kind).label}): escalated again"
    )
    return case_assign(
        case=case,
        by=None,
        owner=target.owner,
        team=target.team,
        level=target.level,
        reason=f"{reason}. Rule: {target.rule.label}.",
        event_kind=EventKind.ESCALATED,
        data={"rule": target.rule.value, "clock": clock.kind, "step": step},
    )


def _record_once(
    case: Case,
    clock: CaseClock,
    *,
    step: str,
    rule: Rule,
    now: datetime,
    target: Target | None = None,
) -> bool:
    """Insert the record of this step; False if it exists (the step was taken before).

    Every step-taker holds the case's lock, so no other one can insert between the check and
    the insert; the unique constraint still refuses a second record if that ever changed.
    """
    key = {"case_id": case.pk, "clock_kind": clock.kind, "cycle": clock.cycle, "step": step}
    if EscalationRecord.objects.filter(**key).exists():
        return False
    EscalationRecord.objects.create(
        **key,
        rule=rule,
        created_at=now,
        from_team_id=case.team_id,
        from_owner_id=case.owner_id,
        to_team=target.team if target else None,
        to_owner=target.owner if target else None,
    )
    return True


def _warn(*, case: Case, clock: CaseClock, now: datetime) -> None:
    left = duration_words(clock.due_at - now)
    event_record(
        case=case,
        actor=None,
        kind=EventKind.SLA_WARNING,
        to_value=f"{ClockKind(clock.kind).label} due in {left}",
        reason=f"Rule: {Rule.WARN.label}.",
        data={
            "rule": Rule.WARN.value,
            "clock": clock.kind,
            "step": "warning",
            "cycle": clock.cycle,
            "due_at": clock.due_at.isoformat(),
        },
    )
    _notify(
        recipients=[case.owner, _lead(case.team)],
        case=case,
        kind=NotificationKind.SLA_WARNING,
        subject=f"{case.reference} at risk: {_what(clock)} due in {left}",
    )


def _breach_event(
    *, case: Case, clock: CaseClock, step: str, rule: Rule, target: Target | None
) -> None:
    event_record(
        case=case,
        actor=None,
        kind=EventKind.SLA_BREACH,
        to_value=f"{ClockKind(clock.kind).label} target breached",
        reason=f"Rule: {rule.label}.",
        data={
            "rule": rule.value,
            "clock": clock.kind,
            "step": step,
            "cycle": clock.cycle,
            "due_at": clock.due_at.isoformat(),
            "to_team": target.team.pk if target and target.team else None,
            "to_owner": target.owner.pk if target and target.owner else None,
        },
    )


def _notify(
    *,
    recipients: list[AbstractBaseUser | None],
    case: Case,
    kind: NotificationKind,
    subject: str,
) -> None:
    notification_send(
        recipients=recipients,
        kind=kind,
        subject=subject,
        body=f"{case.reference} {case.title}",
        case=case,
    )


def _lead(team: Team | None) -> AbstractBaseUser | None:
    return team.lead if team is not None else None


def _what(clock: CaseClock) -> str:
    return ClockKind(clock.kind).label.lower()


def _late(clock: CaseClock, now: datetime) -> str:
    return duration_words(now - clock.due_at)


def _assignee(case: Case) -> str:
    owner = case.owner
    who = (owner.get_full_name() or owner.get_username()) if owner is not None else "unassigned"  # type: ignore[attr-defined]
    return f"{who} ({case.team.name})" if case.team is not None else who
