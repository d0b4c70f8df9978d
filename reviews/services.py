"""Learning from escalations: writing reviews and corrective actions (the daily reminders are
``reviews.reminders``).

Satisfaction surveys have their own module (``reviews.surveys``); ``review_on_case_resolved``
handles the cases app's ``CaseResolved`` event (subscribed in ``reviews/apps.py``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.models import Case, EventKind, Severity
from cases.permissions import can_view_case
from cases.timeline import event_record
from escalation.errors import DomainError
from escalation.roles import OWNER_ROLES, Role, can_own, is_manager, users_with_role
from escalation.text import REASON_MAX, TEXT_MAX, text_clean
from escalation.users import display_name
from reviews.models import ActionStatus, CorrectiveAction, Review

REQUIRED_SEVERITIES = (Severity.S1, Severity.S2)
TEXT_LABELS = {
    "summary": "summary",
    "went_well": "what went well",
    "went_badly": "what went badly",
    "lessons": "lessons learned",
}


@dataclass(frozen=True)
class ActionInput:
    """One corrective action as the review form submits it; ``id`` None adds a new one."""

    description: str
    owner: User
    due_on: date
    status: ActionStatus = ActionStatus.OPEN
    id: int | None = None


def review_due_on(*, resolved_on: date) -> date:
    return resolved_on + timedelta(days=settings.REVIEW_DUE_DAYS)


def review_on_case_resolved(*, case: Case, by: User | None) -> None:
    """Contract: ``case_resolve`` calls this inside its transaction once the case is resolved.

    1. S1 and S2 cases get a required review, due REVIEW_DUE_DAYS after the resolution (a case
       resolved again after a reopen moves the due date of its unfinished review).
    2. The case's contact gets a satisfaction survey by email once the transaction commits.
    """
    from reviews.surveys import survey_schedule

    with transaction.atomic():  # a savepoint inside case_resolve's transaction
        resolved_at = case.resolved_at or timezone.now()
        if case.severity in REQUIRED_SEVERITIES:
            due_on = review_due_on(resolved_on=timezone.localdate(resolved_at))
            review = Review.objects.select_for_update().filter(case=case).first()
            if review is None:
                Review.objects.create(
                    case=case,
                    required=True,
                    due_on=due_on,
                    created_at=resolved_at,
                    updated_at=resolved_at,
                )
                event_record(
                    case=case,
                    actor=by,
                    kind=EventKind.REVIEW,
                    to_value=f"due {due_on:%d %b %Y}",
                    reason=f"A post-resolution review is required for {case.severity} cases.",
                    data={"action": "scheduled", "due_on": due_on.isoformat()},
                )
            elif review.completed_at is None and review.due_on != due_on:
                previous = review.due_on
                review.due_on, review.required, review.updated_at = due_on, True, timezone.now()
                review.last_reminded_on = None
                review.save(update_fields=["due_on", "required", "updated_at", "last_reminded_on"])
                event_record(
                    case=case,
                    actor=by,
                    kind=EventKind.REVIEW,
                    from_value=f"due {previous:%d %b %Y}",
                    to_value=f"due {due_on:%d %b %Y}",
                    reason="The case was resolved again.",
                    data={"action": "rescheduled", "due_on": due_on.isoformat()},
                )
        survey_schedule(case=case)


def _require_manager(by: User) -> None:
    if not is_manager(by):
        raise PermissionDenied(_("Only escalation managers create and edit reviews."))


def _staff_ids(users: Iterable[User], roles: Iterable[Role] = tuple(Role)) -> set[int]:
    """The ids among ``users`` who are active and hold one of ``roles`` (one query)."""
    ids = {u.pk for u in users}
    if not ids:
        return set()
    return set(users_with_role(*roles).filter(pk__in=ids).values_list("pk", flat=True))


def review_save(
    *,
    case: Case,
    by: User,
    meeting_on: date | None,
    participants: Sequence[User],
    summary: str,
    went_well: str,
    went_badly: str,
    lessons: str,
    completed: bool,
    actions: Sequence[ActionInput] = (),
) -> Review:
    """Create or update the review of a resolved case with its corrective actions.

    Managers only. One timeline event records what changed (fields, actions added or changed,
    completion); saving without a change records nothing. A review can be completed only with a
    meeting date and a summary; a meeting cannot be dated in the future.
    """
    _require_manager(by)
    now = timezone.now()
    today = timezone.localdate(now)
    texts = {
        field: text_clean(value, field=field, label=label, max_length=TEXT_MAX)
        for field, label, value in (
            ("summary", _("Summary"), summary),
            ("went_well", _("What went well"), went_well),
            ("went_badly", _("What went badly"), went_badly),
            ("lessons", _("Lessons learned"), lessons),
        )
    }
    people = list(participants)
    _review_input_check(
        meeting_on=meeting_on,
        today=today,
        completed=completed,
        summary=texts["summary"],
        people=people,
        actions=actions,
    )

    with transaction.atomic():
        locked, review, started = _review_for_update(case=case, now=now, today=today)
        action_owners_check(case=locked, review=review, actions=actions)
        changes = ["review started"] if started else []
        changes += _review_fields_apply(
            review,
            texts=texts,
            meeting_on=meeting_on,
            completed=completed,
            by=by,
            now=now,
            started=started,
        )
        changes += _participants_apply(review, people)
        changes += _actions_apply(review=review, actions=actions, now=now)
        if changes:
            _review_saved(review, case=locked, by=by, changes=changes, now=now)
    return review


def _review_input_check(
    *,
    meeting_on: date | None,
    today: date,
    completed: bool,
    summary: str,
    people: Sequence[User],
    actions: Sequence[ActionInput],
) -> None:
    """Refuse a future meeting, completion without a meeting date and a summary, and
    participants or action owners who may not take part (two queries)."""
    if meeting_on is not None and meeting_on > today:
        raise DomainError(_("The meeting date cannot be in the future."), field="meeting_on")
    if completed and (meeting_on is None or not summary):
        raise DomainError(
            "A review can be marked complete only with a meeting date and a summary.",
            field="completed",
        )
    if len(_staff_ids(people)) != len({p.pk for p in people}):
        raise DomainError(_("Participants must be active staff users."), field="participants")
    owners = [a.owner for a in actions]
    if len(_staff_ids(owners, OWNER_ROLES)) != len({o.pk for o in owners}):
        raise DomainError(
            _("Every action owner must be an active operator or manager (executives own nothing)."),
            field="actions",
        )


def _review_for_update(*, case: Case, now: datetime, today: date) -> tuple[Case, Review, bool]:
    """Lock the resolved case and its review, starting the review (saved: participants and
    actions need its id) if it has none; returns both and whether the review was started."""
    locked = Case.objects.select_for_update().get(pk=case.pk)
    if locked.resolved_at is None:
        raise DomainError(
            _("%(reference)s is not resolved: it is reviewed after resolution.")
            % {"reference": locked.reference}
        )
    review = Review.objects.select_for_update().filter(case=locked).first()
    if review is not None:
        return locked, review, False
    required = locked.severity in REQUIRED_SEVERITIES
    # A required review counts from the resolution; a voluntary one from today.
    start = timezone.localdate(locked.resolved_at) if required else today
    review = Review(
        case=locked,
        required=required,
        due_on=review_due_on(resolved_on=start),
        created_at=now,
        updated_at=now,
    )
    review.save()
    return locked, review, True


def _review_fields_apply(
    review: Review,
    *,
    texts: dict[str, str],
    meeting_on: date | None,
    completed: bool,
    by: User,
    now: datetime,
    started: bool,
) -> list[str]:
    """Set the review's texts, meeting date and completion (unsaved); returns the changes in
    words (a review just ``started`` does not list its texts as edited)."""
    changes: list[str] = []
    for field, value in texts.items():
        if getattr(review, field) != value:
            setattr(review, field, value)
            if not started:
                changes.append(f"{TEXT_LABELS[field]} edited")
    if review.meeting_on != meeting_on:
        review.meeting_on = meeting_on
        changes.append(
            f"meeting date {meeting_on:%d %b %Y}" if meeting_on else "meeting date removed"
        )
    if completed and review.completed_at is None:
        review.completed_at, review.completed_by = now, by
        changes.append("review completed")
    elif not completed and review.completed_at is not None:
        review.completed_at, review.completed_by = None, None
        changes.append("review reopened")
    return changes


def _participants_apply(review: Review, people: Sequence[User]) -> list[str]:
    """Set the review's participants; returns the change in words, if any."""
    if set(review.participants.values_list("pk", flat=True)) == {p.pk for p in people}:
        return []
    review.participants.set(people)
    return [f"participants: {', '.join(sorted(display_name(p) for p in people)) or 'none'}"]


def _review_saved(
    review: Review, *, case: Case, by: User, changes: list[str], now: datetime
) -> None:
    """Save the changed review and record the one timeline event that lists the changes."""
    review.updated_at = now
    review.save()
    event_record(
        case=case,
        actor=by,
        kind=EventKind.REVIEW,
        to_value="completed" if review.completed_at else f"due {review.due_on:%d %b %Y}",
        body=_sentence("; ".join(changes)),
        data={"action": "saved", "review": review.pk, "changes": changes},
    )


def _actions_apply(*, review: Review, actions: Sequence[ActionInput], now: datetime) -> list[str]:
    """Add and update corrective actions; returns the changes in words."""
    existing = {a.pk: a for a in CorrectiveAction.objects.select_for_update().filter(review=review)}
    changes: list[str] = []
    for item in actions:
        description = text_clean(
            item.description, field="actions", label=_("An action"), max_length=REASON_MAX
        )
        if not description:
            raise DomainError(_("Every corrective action needs a description."), field="actions")
        if item.id is None:
            if item.due_on < timezone.localdate(now):
                raise DomainError("A new action cannot be due in the past.", field="actions")
            CorrectiveAction.objects.create(
                review=review,
                description=description,
                owner=item.owner,
                due_on=item.due_on,
                status=item.status,
                created_at=now,
                updated_at=now,
                completed_at=now if item.status == ActionStatus.DONE else None,
            )
            owner = display_name(item.owner)
            changes.append(f"action added: {_short(description)} (owner {owner})")
            continue
        known = existing.get(item.id)
        if known is None:
            raise DomainError(
                "A corrective action does not belong to this review.", field="actions"
            )
        action = known
        what = []
        if action.description != description:
            action.description = description
            what.append("description")
        if action.owner_id != item.owner.pk:
            action.owner = item.owner
            what.append(f"owner {display_name(item.owner)}")
        if action.due_on != item.due_on:
            if action.due_on < item.due_on:
                action.last_reminded_on = None
            action.due_on = item.due_on
            what.append(f"due {item.due_on:%d %b %Y}")
        if action.status != item.status:
            what.append(f"{action.get_status_display()} → {ActionStatus(item.status).label}")
            _status_set(action, item.status, now)
        if what:
            action.updated_at = now
            action.save()
            changes.append(f"action {_short(description)}: " + ", ".join(what))
    return changes


def _status_set(action: CorrectiveAction, status: str, now: datetime) -> None:
    action.status = status
    action.completed_at = now if status == ActionStatus.DONE else None


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:] + "."


def _short(text: str) -> str:
    line = text.splitlines()[0] if text else ""
    return f"“{line[:60]}…”" if len(line) > 60 or "\n" in text else f"“{line}”"


def action_owners_check(*, case: Case, review: Review, actions: Sequence[ActionInput]) -> None:
    """Refuse to give a corrective action to someone who cannot open its case: the owner must
    be able to read what the action is about.

    Only a choice is checked (a new action, or an action given to someone else): an action kept
    by an owner who lost sight of the case since (it moved to another team) does not hold up
    the review; the owner's list shows it without the case.
    """
    kept = dict(CorrectiveAction.objects.filter(review=review).values_list("pk", "owner_id"))
    for item in actions:
        if item.id is not None and kept.get(item.id) == item.owner.pk:
            continue
        if not can_view_case(item.owner, case):
            raise DomainError(
                _(
                    "%(owner)s cannot open %(reference)s, so cannot own one of its corrective "
                    "actions: choose someone who can open the case."
                )
                % {"owner": display_name(item.owner), "reference": case.reference},
                field="actions",
            )


def can_mark_action_done(user: User, action: CorrectiveAction) -> bool:
    """Managers, and the action's owner if they can own work (an executive changes nothing,
    not even an action that was given to them before they could not be chosen)."""
    return is_manager(user) or (action.owner_id == user.pk and can_own(user))


def action_mark_done(*, action: CorrectiveAction, by: User) -> CorrectiveAction:
    """The owner (or a manager) marks a corrective action done; a timeline event records it."""
    if not can_mark_action_done(by, action):
        raise PermissionDenied(_("Only the action's owner or a manager can mark it done."))
    now = timezone.now()
    with transaction.atomic():
        locked = (
            CorrectiveAction.objects.select_for_update()
            .select_related("review__case")
            .get(pk=action.pk)
        )
        if locked.status == ActionStatus.DONE:
            return locked
        if locked.status == ActionStatus.CANCELLED:
            raise DomainError(
                _("This action was cancelled; a manager can reopen it in the review.")
            )
        previous = locked.get_status_display()
        _status_set(locked, ActionStatus.DONE, now)
        locked.updated_at = now
        locked.save(update_fields=["status", "completed_at", "updated_at"])
        event_record(
            case=locked.review.case,
            actor=by,
            kind=EventKind.REVIEW,
            from_value=previous,
            to_value=str(ActionStatus.DONE.label),
            body=f"Corrective action {_short(locked.description)} marked done.",
            data={"action": "action_done", "corrective_action": locked.pk},
        )
    return locked
