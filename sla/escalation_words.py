"""What the SLA engine (``sla.escalation``) writes on a case's timeline and says to people:
the warning, the breach event, the reassignment's reason, the words of its messages. The
timeline keeps its words in the language of the record (``cases.timeline.stored_label``); the
messages are written in each reader's language (``sla.notifications``)."""

from __future__ import annotations

from datetime import datetime

from django.contrib.auth.models import User
from django.utils.translation import gettext as _

from cases.models import Case, EventKind, Team
from cases.timeline import stored_label
from escalation.text import active_label
from escalation.users import display_name
from sla.escalation_batch import Batch
from sla.models import CaseClock, ClockKind, NotificationKind
from sla.rules import Rule, Target
from sla.selectors import duration_words


def reassign(*, case: Case, target: Target, clock: CaseClock, step: str, batch: Batch) -> None:
    """Give ``case`` to ``target`` in the batch, the timeline saying why (the step and rule);
    a refusal raises ``DomainError`` and changes nothing."""
    if step == "breach":
        reason = f"{stored_label(ClockKind(clock.kind))} target breached"
    elif target.rung:
        reason = "Not acknowledged in time: climbed"
    else:
        reason = f"Still breached ({stored_label(ClockKind(clock.kind))}): escalated again"
    batch.assigner.assign(
        case=case,
        owner=target.owner,
        team=target.team,
        level=target.level,
        reason=f"{reason}. Rule: {stored_label(target.rule)}.",
        data={"rule": target.rule.value, "clock": clock.kind, "step": step},
    )


def warning_take(*, case: Case, clock: CaseClock, batch: Batch, now: datetime) -> None:
    """The warning before a breach: on the timeline, and to the owner and the team lead."""
    left = duration_words(clock.due_at - now)
    due = clock.due_at
    batch.event(
        case=case,
        actor=None,
        kind=EventKind.SLA_WARNING,
        to_value=f"{stored_label(ClockKind(clock.kind))} due in {left}",
        reason=f"Rule: {stored_label(Rule.WARN)}.",
        data={
            "rule": Rule.WARN.value,
            "clock": clock.kind,
            "step": "warning",
            "cycle": clock.cycle,
            "due_at": clock.due_at.isoformat(),
        },
    )
    batch.notify(
        recipients=[case.owner, team_lead(case.team)],
        case=case,
        kind=NotificationKind.SLA_WARNING,
        subject=lambda: (
            _("%(case)s at risk: %(what)s due in %(left)s")
            % {"case": case.reference, "what": clock_what(clock), "left": duration_words(due - now)}
        ),
    )


def breach_event(
    *, case: Case, clock: CaseClock, step: str, rule: Rule, target: Target | None, batch: Batch
) -> None:
    """The breach step on the timeline: which clock, which rule, where the case goes."""
    batch.event(
        case=case,
        actor=None,
        kind=EventKind.SLA_BREACH,
        to_value=f"{stored_label(ClockKind(clock.kind))} target breached",
        reason=f"Rule: {stored_label(rule)}.",
        data={
            "rule": rule.value,
            "clock": clock.kind,
            "step": step,
            "cycle": clock.cycle,
            "due_at": (clock.breached_at or clock.due_at).isoformat(),
            "to_team": target.team.pk if target and target.team else None,
            "to_owner": target.owner.pk if target and target.owner else None,
        },
    )


def team_lead(team: Team | None) -> User | None:
    """The team's lead; None without a team."""
    return team.lead if team is not None else None


def clock_what(clock: CaseClock) -> str:
    """The clock's kind in a sentence of the active language ("first response")."""
    return active_label(ClockKind(clock.kind)).lower()


def known_user(user_id: int | None, *candidates: User | None) -> User | None:
    """The user with ``user_id`` among ``candidates`` already in memory (no query)."""
    return next((u for u in candidates if u is not None and u.pk == user_id), None)


def assignee_words(owner: User | None, team: Team | None) -> str:
    """Who a case went to, for a message: "Dave Okafor (Level 2 payments)"."""
    who = display_name(owner, nobody=_("unassigned"))
    return f"{who} ({team.name})" if team is not None else who
