"""The daily reminders of overdue reviews (to the case team's lead, or every manager) and
overdue corrective actions (to their owners), each at most once a day, claimed by a conditional
update so that two workers never remind twice."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import partial

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from cases.models import Case, Severity
from cases.permissions import can_view_case
from escalation.roles import Role, is_manager, users_with_role
from reviews.models import PENDING_ACTION_STATUSES, CorrectiveAction, Review
from sla.models import NotificationKind
from sla.notifications import notification_send

REQUIRED_SEVERITIES = (Severity.S1, Severity.S2)
TEXT_LABELS = {
    "summary": "summary",
    "went_well": "what went well",
    "went_badly": "what went badly",
    "lessons": "lessons learned",
}


@dataclass(frozen=True)
class ReminderResult:
    reviews: int
    actions: int


def _managers() -> list[User]:
    return list(users_with_role(Role.MANAGER))


def reminders_send(*, today: date | None = None) -> ReminderResult:
    """Notify about overdue reviews and overdue corrective actions, at most once per item a day.

    1. Find pending reviews/actions due before today not yet reminded today.
    2. Claim each with a conditional UPDATE of ``last_reminded_on``; only the worker whose
       UPDATE changed the row notifies, so two workers running together never both send.
    3. The claim and the notification commit together (the email goes after commit).
    Reviews go to the case team's lead, or to every manager when the team has no lead; actions
    to their owner.
    """
    today = today or timezone.localdate()
    not_today = Q(last_reminded_on__isnull=True) | Q(last_reminded_on__lt=today)
    return ReminderResult(
        reviews=_review_reminders_send(today=today, not_today=not_today),
        actions=_action_reminders_send(today=today, not_today=not_today),
    )


def _review_reminders_send(*, today: date, not_today: Q) -> int:
    """Remind about overdue reviews; returns how many this worker claimed and sent."""
    reviews = list(
        Review.objects.filter(not_today, completed_at__isnull=True, due_on__lt=today)
        .select_related("case__team__lead")
        .order_by("due_on", "id")
    )
    managers: list[User] | None = None
    sent_reviews = 0
    for review in reviews:
        with transaction.atomic():
            claimed = Review.objects.filter(
                not_today, pk=review.pk, completed_at__isnull=True
            ).update(last_reminded_on=today)
            if not claimed:
                continue
            case = review.case
            lead = case.team.lead if case.team is not None else None
            # The team's lead when they are a manager (only managers hold reviews).
            if lead is not None and lead.is_active and is_manager(lead):
                recipients: list[User] = [lead]
            else:
                managers = _managers() if managers is None else managers
                recipients = managers
            link = f"{settings.SITE_URL}{reverse('reviews:review', args=[case.reference])}"
            notification_send(
                recipients=recipients,
                kind=NotificationKind.REVIEW_DUE,
                subject=partial(_review_subject, review, days=(today - review.due_on).days),
                body=partial(_review_body, review, link=link),
                case=case,
            )
            sent_reviews += 1
    return sent_reviews


def _action_reminders_send(*, today: date, not_today: Q) -> int:
    """Remind owners of overdue corrective actions; returns how many this worker claimed and
    sent."""
    actions = list(
        CorrectiveAction.objects.filter(
            not_today, status__in=PENDING_ACTION_STATUSES, due_on__lt=today
        )
        .select_related("owner", "review__case")
        .order_by("due_on", "id")
    )
    sent_actions = 0
    for action in actions:
        with transaction.atomic():
            claimed = CorrectiveAction.objects.filter(
                not_today, pk=action.pk, status__in=PENDING_ACTION_STATUSES
            ).update(last_reminded_on=today)
            if not claimed:
                continue
            # An owner who may no longer open the case is not told which case it is.
            case = action.review.case if can_view_case(action.owner, action.review.case) else None
            notification_send(
                recipients=[action.owner],
                kind=NotificationKind.ACTION_DUE,
                subject=partial(_action_subject, case),
                body=partial(_action_body, action),
                case=case,
            )
            sent_actions += 1
    return sent_actions


# The texts, each written in the active language: ``notification_send`` calls them once per
# language of the recipients.


def _review_subject(review: Review, *, days: int) -> str:
    return ngettext(
        "Review of %(reference)s is %(days)s day overdue",
        "Review of %(reference)s is %(days)s days overdue",
        days,
    ) % {"reference": review.case.reference, "days": days}


def _review_body(review: Review, *, link: str) -> str:
    return (
        _("The post-resolution review of %(reference)s “%(title)s” was due on %(due_on)s.")
        % {
            "reference": review.case.reference,
            "title": review.case.title,
            "due_on": date_format(review.due_on, "d M Y"),
        }
        + f"\n{link}"
    )


def _action_subject(case: Case | None) -> str:
    if case is None:
        return _("A corrective action of yours is overdue")
    return _("Corrective action for %(reference)s is overdue") % {"reference": case.reference}


def _action_body(action: CorrectiveAction) -> str:
    return _("%(description)s\nDue on %(due_on)s. Mark it done at %(link)s") % {
        "description": action.description,
        "due_on": date_format(action.due_on, "d M Y"),
        "link": f"{settings.SITE_URL}{reverse('reviews:actions_mine')}",
    }
