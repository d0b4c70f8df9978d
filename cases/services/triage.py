"""Triage: assigning, severity, links, notes, watchers."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from functools import partial
from typing import Any, NamedTuple

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.events import CaseAssigned, CaseChanged, CustomerUpdatePosted, announce, announce_many
from cases.models import Case, CaseEvent, CaseLink, EventKind, LinkKind, Severity, Status, Team
from cases.permissions import (
    can_be_owner,
    can_contribute,
    can_triage,
    can_view_case,
    can_watch,
    can_work,
    hand_on_refusal,
    user_team_ids,
)
from cases.services.common import (
    case_lock,
    case_touch_and_sync,
    require,
    require_not_closed,
)
from cases.services.mentions import note_record
from cases.timeline import event_build, event_record, events_save, stored_label
from escalation.bulk import objects_update
from escalation.errors import DomainError
from escalation.roles import is_manager
from escalation.text import REASON_MAX, TEXT_MAX, text_clean
from escalation.users import display_name


def case_assign(
    *,
    case: Case,
    by: User | None,
    owner: User | None = None,
    team: Team | None = None,
    level: str | None = None,
    unassign: bool = False,
    reason: str,
    event_kind: EventKind = EventKind.ASSIGNED,
    data: dict[str, Any] | None = None,
) -> Case:
    """Give the case to ``owner`` and/or ``team`` (at ``level``, default the team's level).

    A new team without a new owner leaves the case unassigned in that team, unless the current
    owner is a member of it. ``unassign`` clears the owner and names nobody: the case goes
    back to its team's queue (or to ``team``'s), for that team to pick it up. The owner must be
    an active operator or manager, and an operator must belong to the case's team; who works
    the case without being a manager hands it on as ``hand_on_refusal`` allows. A new owner
    is announced (``CaseAssigned``: the SLA app tells them).
    """
    require(by, lambda u: can_work(u, case))
    reason = text_clean(
        reason, field="reason", label=_("Reason"), max_length=REASON_MAX, required=True
    )
    _assign_check(owner=owner, team=team, level=level, unassign=unassign)
    refusal = hand_on_refusal(by, case, owner=owner, team=team, level=level) if by else None
    if refusal:
        raise DomainError(refusal, field="owner")
    with transaction.atomic():
        case = case_lock(case)
        require_not_closed(case, _("reassigned"))
        old_owner, old_team, old_level = case.owner, case.team, case.level
        new_owner, new_team, new_level = _assignment_target(
            case, owner=owner, team=team, level=level, unassign=unassign
        )
        now = timezone.now()
        case.owner, case.team, case.level = new_owner, new_team, new_level
        event_record(
            **assignment_event(
                case,
                by=by,
                kind=event_kind,
                was=(old_owner, old_team, old_level),
                reason=reason,
                data=data,
            )
        )
        case_touch_and_sync(case, now=now, fields=["owner", "team", "level"])
        if new_owner is not None and case.owner_id != (old_owner.pk if old_owner else None):
            escalated = event_kind == EventKind.ESCALATED
            _owner_announce(case, new_owner, at=now, by=by, reason=reason, escalated=escalated)
    return case


def assignment_event(
    case: Case,
    *,
    by: User | None,
    kind: EventKind,
    was: tuple[User | None, Team | None, str],
    reason: str,
    data: dict[str, Any] | None,
) -> dict[str, Any]:
    """The timeline event of an assignment (``event_record``'s fields), the case changed
    already from the (owner, team, level) it ``was`` at."""
    old_owner, old_team, old_level = was
    return {
        "case": case,
        "actor": by,
        "kind": kind,
        "from_value": _assignment_label(old_owner, old_team, old_level),
        "to_value": _assignment_label(case.owner, case.team, case.level),
        "reason": reason,
        "data": {
            "owner": [old_owner.pk if old_owner else None, case.owner_id],
            "team": [old_team.pk if old_team else None, case.team_id],
            "level": [old_level, case.level],
            **(data or {}),
        },
    }


def _owner_announce(
    case: Case, owner: User, *, at: datetime, by: User | None, reason: str, escalated: bool
) -> None:
    """Announce the case's new owner (``CaseAssigned``: the SLA app tells them)."""
    announce(CaseAssigned(case=case, at=at, by=by, owner=owner, reason=reason, escalated=escalated))


def _assign_check(
    *, owner: User | None, team: Team | None, level: str | None, unassign: bool = False
) -> None:
    """Refuse an assignment that names nothing, both an owner and no owner, an owner who cannot
    hold cases or a team no longer active."""
    if owner is None and team is None and level is None and not unassign:
        raise DomainError(_("Choose an owner, a team or a level."), field="owner")
    if unassign and owner is not None:
        raise DomainError(
            _("Choose an owner or no owner (back to the team's queue), not both."), field="owner"
        )
    if owner is not None and not can_be_owner(owner):
        raise DomainError(
            _("%(owner)s cannot hold cases (only active operators and managers can).")
            % {"owner": display_name(owner)},
            field="owner",
        )
    if team is not None and not team.is_active:
        raise DomainError(
            _("Team %(team)s is no longer active.") % {"team": team.name}, field="team"
        )


def _assignment_target(
    case: Case,
    *,
    owner: User | None,
    team: Team | None,
    level: str | None,
    unassign: bool = False,
) -> tuple[User | None, Team | None, str]:
    """The (owner, team, level) the locked case moves to. Without a new owner the current one
    stays if they may work in the new team, unless ``unassign`` (the case then needs a team,
    whose queue takes it). An operator named owner must belong to the team; an
    assignment that changes nothing is refused."""
    old_owner, old_team, old_level = case.owner, case.team, case.level
    new_team = team if team is not None else old_team
    new_level = level or (team.level if team is not None else old_level)
    new_owner = owner
    if unassign and new_team is None:
        raise DomainError(
            _("%(case)s has no team whose queue could take it: choose a team.")
            % {"case": case.reference},
            field="team",
        )
    if new_owner is None and not unassign:
        keeps_owner = old_owner is not None and (
            team is None or is_manager(old_owner) or team.pk in user_team_ids(old_owner)
        )
        new_owner = old_owner if keeps_owner else None
    if (
        owner is not None
        and new_team is not None
        and not is_manager(owner)
        and new_team.pk not in user_team_ids(owner)
    ):
        raise DomainError(
            _("%(owner)s is not a member of %(new_team)s.")
            % {"owner": display_name(owner), "new_team": new_team.name},
            field="owner",
        )
    owner_id = new_owner.pk if new_owner else None
    team_id = new_team.pk if new_team else None
    if (owner_id, team_id, new_level) == (case.owner_id, case.team_id, old_level):
        raise DomainError(
            _("%(case)s is already assigned that way.") % {"case": case.reference}, field="owner"
        )
    return new_owner, new_team, new_level


def _assignment_label(owner: User | None, team: Team | None, level: str) -> str:
    who = display_name(owner) or "unassigned"
    return f"{who} ({team.name}, {level})" if team else f"{who} ({level})"


def case_change_severity(*, case: Case, by: User | None, severity: str, reason: str) -> Case:
    """Change the severity of an open case, with a reason; the SLA targets follow."""
    require(by, can_triage)
    if severity not in Severity.values:
        raise DomainError(
            _("%(severity)s is not a severity.") % {"severity": repr(severity)}, field="severity"
        )
    reason = text_clean(
        reason, field="reason", label=_("Reason"), max_length=REASON_MAX, required=True
    )
    with transaction.atomic():
        case = case_lock(case)
        if not case.is_open:
            raise DomainError(
                _("%(case)s is %(status)s: only an open case changes severity.")
                % {"case": case.reference, "status": Status(case.status).label.lower()}
            )
        if case.severity == severity:
            raise DomainError(
                _("%(case)s is already %(severity)s.")
                % {"case": case.reference, "severity": severity},
                field="severity",
            )
        now = timezone.now()
        old = case.severity
        case.severity = severity
        event_record(
            case=case,
            actor=by,
            kind=EventKind.SEVERITY,
            from_value=old,
            to_value=severity,
            reason=reason,
        )
        case_touch_and_sync(case, now=now, fields=["severity"])
    return case


def case_add_note(
    *, case: Case, by: User | None, body: str, customer_facing: bool = False
) -> CaseEvent:
    """An internal note, or a customer-facing update (which is a response to the customer:
    it sets last_customer_update_at and, the first time, first_response_at)."""
    require(by, lambda u: can_contribute(u, case))
    body = text_clean(body, field="body", label=_("The note"), max_length=TEXT_MAX, required=True)
    with transaction.atomic():
        case = case_lock(case)
        now = timezone.now()
        fields: list[str] = []
        if customer_facing:
            require_not_closed(case, _("updated"))
            case.last_customer_update_at = now
            fields.append("last_customer_update_at")
            if case.first_response_at is None:
                case.first_response_at = now
                fields.append("first_response_at")
        event = note_record(case=case, by=by, body=body, customer_facing=customer_facing)
        case_touch_and_sync(case, now=now, fields=fields)
        if customer_facing:
            announce(CustomerUpdatePosted(case=case, at=now, by=by, update=event))
    return event


class CustomerUpdate(NamedTuple):
    """One customer-facing update of ``cases_add_customer_updates``: ``body`` on ``case`` by
    ``by`` (None: the system)."""

    case: Case
    by: User | None
    body: str


def cases_add_customer_updates(
    *, updates: Sequence[CustomerUpdate]
) -> dict[int, CaseEvent | DomainError]:
    """``case_add_note(customer_facing=True)`` for many cases at once, with its checks and its
    effects, set-based: by case id, the update event written, or why the case was refused.

    1. The checks of ``case_add_note``: each author may contribute to their case (else
       PermissionDenied, and nothing is written), each text is cleaned.
    2. The cases are locked with one ``SELECT ... FOR UPDATE`` in id order; a closed case (or
       one gone) is refused alone, its ``DomainError`` in the result, nothing written on it.
    3. One INSERT of the update events, one UPDATE of the cases' ``last_customer_update_at``,
       ``first_response_at`` (the first time) and ``updated_at``, then ``CaseChanged`` and
       ``CustomerUpdatePosted`` announced for the set (``announce_many``), in that order as
       ``case_add_note`` does: the clocks re-align and the mail is queued set-based.
    """
    for update in updates:
        if update.by is not None:
            require(update.by, partial(can_contribute, case=update.case))
    bodies = [
        text_clean(u.body, field="body", label=_("The note"), max_length=TEXT_MAX, required=True)
        for u in updates
    ]
    outcomes: dict[int, CaseEvent | DomainError] = {}
    with transaction.atomic():
        ids = sorted({u.case.pk for u in updates})
        locked = {
            c.pk: c for c in Case.objects.select_for_update().filter(pk__in=ids).order_by("pk")
        }
        now = timezone.now()
        changed: list[Case] = []
        events: list[CaseEvent] = []
        posted: list[tuple[Case, User | None]] = []
        for update, body in zip(updates, bodies, strict=True):
            case = locked.get(update.case.pk)
            if case is None:
                outcomes[update.case.pk] = DomainError(
                    _("%(case)s is gone.") % {"case": update.case.reference}
                )
                continue
            if case in changed:
                continue  # one update a case per call: the first
            try:
                require_not_closed(case, _("updated"))
            except DomainError as refusal:
                outcomes[case.pk] = refusal
                continue
            case.last_customer_update_at = case.updated_at = now
            if case.first_response_at is None:
                case.first_response_at = now
            changed.append(case)
            posted.append((case, update.by))
            events.append(event_build(case=case, actor=update.by, kind=EventKind.UPDATE, body=body))
        saved = events_save(events)
        objects_update(changed, UPDATE_POSTED_FIELDS)
        announce_many(CaseChanged, [CaseChanged(case=c, at=now) for c in changed])
        announce_many(
            CustomerUpdatePosted,
            [
                CustomerUpdatePosted(case=case, at=now, by=by, update=event)
                for (case, by), event in zip(posted, saved, strict=True)
            ],
        )
        for event in saved:
            outcomes[event.case_id] = event
    return outcomes


UPDATE_POSTED_FIELDS = ("last_customer_update_at", "first_response_at", "updated_at")


def case_link(*, case: Case, by: User | None, target: Case, kind: str) -> CaseLink:
    """Link ``case`` to ``target`` (duplicate of, caused by, related to); both timelines say
    so."""
    require(by, can_triage)
    if kind not in LinkKind.values:
        raise DomainError(_("%(kind)s is not a kind of link.") % {"kind": repr(kind)}, field="kind")
    if target.pk == case.pk:
        raise DomainError(_("A case cannot be linked to itself."), field="target")
    if by is None:
        raise DomainError(_("A link needs a person who makes it."))
    with transaction.atomic():
        case = case_lock(case)
        if CaseLink.objects.filter(source=case, target=target, kind=kind).exists():
            raise DomainError(
                _("%(case)s is already linked to %(target)s that way.")
                % {"case": case.reference, "target": target.reference},
                field="target",
            )
        now = timezone.now()
        try:
            with transaction.atomic():
                link = CaseLink.objects.create(
                    source=case, target=target, kind=kind, created_by=by, created_at=now
                )
        except IntegrityError:
            # Two people linked the same pair at the same moment: the other one won.
            raise DomainError(
                _("%(case)s is already linked to %(target)s that way.")
                % {"case": case.reference, "target": target.reference},
                field="target",
            ) from None
        label = stored_label(LinkKind(kind)).lower()
        event_record(
            case=case,
            actor=by,
            kind=EventKind.LINKED,
            to_value=f"{label} {target.reference}",
            data={"link": link.pk, "kind": kind, "target": target.pk},
        )
        event_record(
            case=target,
            actor=by,
            kind=EventKind.LINKED,
            to_value=f"{case.reference} {label} this case",
            data={"link": link.pk, "kind": kind, "source": case.pk},
        )
        case_touch_and_sync(case, now=now, fields=[])
    return link


def case_unlink(*, case: Case, by: User | None, link: CaseLink, reason: str) -> None:
    """Remove a link made in error; the timelines keep both the link and its removal."""
    require(by, can_triage)
    reason = text_clean(
        reason, field="reason", label=_("Reason"), max_length=REASON_MAX, required=True
    )
    if case.pk not in (link.source_id, link.target_id):
        raise DomainError(_("That link does not belong to this case."), field="link")
    with transaction.atomic():
        case = case_lock(case)
        now = timezone.now()
        source, target, kind = link.source, link.target, link.kind
        deleted, _rows = CaseLink.objects.filter(pk=link.pk).delete()
        if not deleted:
            raise DomainError(_("That link was removed already."), field="link")
        label = stored_label(LinkKind(kind)).lower()
        for subject in (source, target):
            event_record(
                case=subject,
                actor=by,
                kind=EventKind.LINKED,
                from_value=f"{source.reference} {label} {target.reference}",
                to_value="unlinked",
                reason=reason,
                data={"unlinked": kind, "source": source.pk, "target": target.pk},
            )
        case_touch_and_sync(case, now=now, fields=[])


def case_set_watching(*, case: Case, by: User, user: User, watching: bool) -> None:
    """Follow or stop following a case. People change their own watching; managers may add or
    remove anyone who can see the case."""
    if by.pk != user.pk:
        require(by, can_triage)
    if not can_view_case(user, case):
        raise DomainError(
            _("%(user)s cannot see %(case)s.")
            % {"user": display_name(user), "case": case.reference},
            field="user",
        )
    if not can_watch(user, case):
        raise PermissionDenied(
            _("%(user)s reads cases and cannot watch them.") % {"user": display_name(user)}
        )
    with transaction.atomic():
        case = case_lock(case)
        is_watching = case.watchers.filter(pk=user.pk).exists()
        if is_watching == watching:
            return
        if watching:
            case.watchers.add(user)
        else:
            case.watchers.remove(user)
        event_record(
            case=case,
            actor=by,
            kind=EventKind.WATCHER,
            from_value="" if watching else display_name(user),
            to_value=display_name(user) if watching else "",
            data={"user": user.pk, "watching": watching},
        )
