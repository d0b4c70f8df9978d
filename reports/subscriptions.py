"""Report PDFs by email: who subscribes to which, and the logged delivery of each period.

Delivery, once per subscription and period, in layers (the outbox's, ``sla.outbox``, for a
message with an attachment; the outbox stores text and HTML only, so these go through
Django's mail here, from a task that retries):

1. ``deliveries_prepare`` inserts a pending delivery row for every active subscriber of a
   kind and period that has none (``INSERT ... ON CONFLICT DO NOTHING`` on the unique
   subscription and period): a re-run adds nothing for those already logged.
2. ``delivery_claim`` claims one row with a conditional UPDATE (pending, failed with attempts
   left, or a claim that ran out: to ``sending``, one more attempt, claimed until
   ``DELIVERY_CLAIM`` from now), so two runs at once send it once.
3. The message is sent; the row becomes ``sent`` with ``sent_at``, or ``failed`` with the error
   (the task retries later, and the next run claims it again until ``DELIVERY_MAX_ATTEMPTS``).

At least once, not exactly once, in one window only: a worker killed after the mail server
accepted the message and before step 3 leaves the row claimed, sent again when the claim runs
out (the task time limit).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import User
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _

from escalation.errors import DomainError
from escalation.roles import Role, has_role, users_with_role
from reports.definitions import ReportFilters
from reports.models import DeliveryOutcome, ReportDelivery, ReportSubscription, SubscriptionKind
from reports.narrative import narrative_sentences, payload_links
from reports.pdf import report_pdf
from reports.presentation import filter_text
from reports.services import week_report
from reports.weeks import IsoWeek
from sla.outbox import mail_retry_countdown

logger = logging.getLogger(__name__)

SUBSCRIBERS = (Role.MANAGER, Role.EXECUTIVE)
DELIVERY_MAX_ATTEMPTS = 5
DELIVERY_CLAIM = timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT)


@dataclass(frozen=True)
class Attachment:
    filename: str
    content: bytes
    mimetype: str = "application/pdf"


@dataclass(frozen=True)
class Message:
    """What every subscriber of one period receives (the same PDF for all)."""

    subject: str
    body: str
    attachments: Sequence[Attachment]


# --- Subscribing ------------------------------------------------------------------------------


def subscription_set(
    *, user: User, kind: SubscriptionKind, active: bool, now: datetime
) -> ReportSubscription:
    """Subscribe ``user`` to ``kind`` (or unsubscribe: the row stays, inactive, with its log).
    Managers and executives only."""
    if not has_role(user, *SUBSCRIBERS):
        raise DomainError(_("Only managers and executives can subscribe to the reports."))
    with transaction.atomic():
        subscription, created = ReportSubscription.objects.select_for_update().get_or_create(
            user=user,
            kind=kind,
            defaults={"active": active, "created_at": now, "updated_at": now},
        )
        if not created and subscription.active != active:
            subscription.active = active
            subscription.updated_at = now
            subscription.save(update_fields=["active", "updated_at"])
    return subscription


@dataclass(frozen=True)
class SubscriptionRow:
    kind: str
    label: str
    active: bool


def subscriptions_of(*, user: User) -> list[SubscriptionRow]:
    """Each kind of report PDF and whether ``user`` is subscribed to it (one query)."""
    active = set(
        ReportSubscription.objects.filter(user=user, active=True).values_list("kind", flat=True)
    )
    return [
        SubscriptionRow(kind=kind, label=str(label), active=kind in active)
        for kind, label in SubscriptionKind.choices
    ]


def subscribers(*, kind: SubscriptionKind) -> QuerySet[ReportSubscription]:
    """The active subscriptions of ``kind`` whose user can still receive it: active, with an
    address, and still a manager or an executive."""
    return (
        ReportSubscription.objects.filter(
            kind=kind, active=True, user__in=users_with_role(*SUBSCRIBERS)
        )
        .exclude(user__email="")
        .select_related("user")
        .order_by("pk")
    )


# --- Delivering -------------------------------------------------------------------------------


def deliveries_prepare(*, kind: SubscriptionKind, period: str, now: datetime) -> int:
    """Step 1: a pending delivery of ``period`` for each subscriber without one."""
    rows = [
        ReportDelivery(subscription=s, period=period, created_at=now)
        for s in subscribers(kind=kind)
    ]
    ReportDelivery.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)


def delivery_claim(*, delivery_id: int, now: datetime) -> bool:
    """Step 2: True for exactly one caller while the delivery is due."""
    due = (
        Q(outcome=DeliveryOutcome.PENDING)
        | Q(outcome=DeliveryOutcome.FAILED, attempts__lt=DELIVERY_MAX_ATTEMPTS)
        | Q(outcome=DeliveryOutcome.SENDING, claimed_until__lt=now)
    )
    claimed = (
        ReportDelivery.objects.filter(due, pk=delivery_id)
        .exclude(outcome=DeliveryOutcome.SENT)
        .update(
            outcome=DeliveryOutcome.SENDING,
            attempts=F("attempts") + 1,
            claimed_until=now + DELIVERY_CLAIM,
        )
    )
    return claimed == 1


def _due(*, kind: SubscriptionKind, period: str) -> list[ReportDelivery]:
    return list(
        ReportDelivery.objects.filter(subscription__kind=kind, period=period)
        .exclude(outcome=DeliveryOutcome.SENT)
        .filter(attempts__lt=DELIVERY_MAX_ATTEMPTS)
        .select_related("subscription__user")
        .order_by("pk")
    )


@dataclass
class DeliveryRun:
    sent: int = 0
    failed: int = 0
    # Still to send (failed with attempts left): the task retries while there are some.
    remaining: int = 0


def deliveries_send(
    *,
    kind: SubscriptionKind,
    period: str,
    message: Callable[[], Message],
    now: datetime,
) -> DeliveryRun:
    """Send ``period``'s PDF to every subscriber of ``kind`` once, logging each delivery.

    ``message`` builds the mail (rendering the PDF) the first time a delivery is claimed, so a
    re-run with nothing left to send renders nothing.
    """
    deliveries_prepare(kind=kind, period=period, now=now)
    run = DeliveryRun()
    built: list[Message] = []
    for delivery in _due(kind=kind, period=period):
        if not delivery_claim(delivery_id=delivery.pk, now=now):
            continue
        try:
            if not built:
                built.append(message())
            _send(built[0], to=delivery.subscription.user.email)
        except Exception as problem:  # noqa: BLE001 - logged on the row, retried by the task
            logger.warning("report delivery %s of %s failed: %s", delivery.pk, period, problem)
            ReportDelivery.objects.filter(pk=delivery.pk).update(
                outcome=DeliveryOutcome.FAILED, error=str(problem)[:2000], claimed_until=None
            )
            run.failed += 1
            continue
        ReportDelivery.objects.filter(pk=delivery.pk).update(
            outcome=DeliveryOutcome.SENT, sent_at=now, error="", claimed_until=None
        )
        run.sent += 1
    run.remaining = len(_due(kind=kind, period=period))
    return run


def _send(message: Message, *, to: str) -> None:
    mail = EmailMessage(subject=message.subject, body=message.body, to=[to])
    for attachment in message.attachments:
        mail.attach(attachment.filename, attachment.content, attachment.mimetype)
    mail.send(fail_silently=False)


def deliveries_of(*, period: str, kind: SubscriptionKind) -> QuerySet[ReportDelivery]:
    """The delivery log of one period (admin, tests)."""
    return ReportDelivery.objects.filter(period=period, subscription__kind=kind).select_related(
        "subscription__user"
    )


# --- The weekly report --------------------------------------------------------------------


def weekly_report_message(*, week: IsoWeek, now: datetime) -> Message:
    """The whole organisation's report of ``week`` (frozen now if nobody froze it yet) as a
    PDF, with its opening summary in the body."""
    payload = week_report(week=week, filters=ReportFilters(), now=now).payload
    scope = filter_text(team_name=None, tier=None)
    path = reverse("reports:weekly", kwargs={"week": week})
    sentences = narrative_sentences(
        payload, links=payload_links(payload), base_url=settings.SITE_URL
    )
    body = render_to_string(
        "reports/mail_weekly.txt",
        {"week": week, "sentences": sentences, "link": f"{settings.SITE_URL}{path}"},
    )
    return Message(
        subject=_("Weekly escalation report, %(week)s") % {"week": week.label},
        body=body,
        attachments=[Attachment(f"escalations-{week}.pdf", report_pdf(payload, filter_text=scope))],
    )


def weekly_report_deliver(*, now: datetime) -> DeliveryRun:
    """Monday, after the freeze: last week's PDF to each subscriber, once."""
    week = IsoWeek.containing(now).previous()
    return deliveries_send(
        kind=SubscriptionKind.WEEKLY_REPORT,
        period=str(week),
        message=lambda: weekly_report_message(week=week, now=now),
        now=now,
    )


def delivery_retry_countdown(retries: int) -> float:
    """Seconds before a delivery task tries its failed deliveries again: the outbox's back-off
    (doubling from MAIL_RETRY_SECONDS, at most five minutes)."""
    return mail_retry_countdown(retries)
