"""Report PDFs by email: who subscribes to which, and the logged delivery of each period.

Delivery, once per subscription and period, through the outbox (``sla.outbox``, which sends
each message once, with its attachments, retrying with back-off):

1. ``deliveries_prepare`` inserts a pending delivery row for every active subscriber of a
   kind and period that has none (``INSERT ... ON CONFLICT DO NOTHING`` on the unique
   subscription and period): a re-run adds nothing for those already logged.
2. In one transaction the pending rows are claimed with a conditional UPDATE (pending to
   ``sending``: handed to the outbox), and a message is put in the outbox for each row the
   claim won, so a run twice, or two runs at once, queue each once.
3. The outbox sends it; the log reads the outbox's state of the message (``deliveries_of``):
   a delivery is sent when its message is, failed when its message failed for good.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import F, QuerySet
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from escalation.errors import DomainError
from escalation.roles import Role, has_role, users_with_role
from escalation.users import user_language, users_languages
from reports.definitions import ReportFilters
from reports.models import DeliveryOutcome, ReportDelivery, ReportSubscription, SubscriptionKind
from reports.narrative import narrative_sentences, payload_links
from reports.pdf import report_pdf
from reports.presentation import filter_text
from reports.services import week_report
from reports.weeks import IsoWeek
from sla.outbox import Attachment, Mail, outbox_add

logger = logging.getLogger(__name__)

SUBSCRIBERS = (Role.MANAGER, Role.EXECUTIVE)


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


@dataclass
class DeliveryRun:
    # Handed to the outbox by this run (a re-run hands out none).
    queued: int = 0


def deliveries_send(
    *,
    kind: SubscriptionKind,
    period: str,
    message: Callable[[], Message],
    now: datetime,
) -> DeliveryRun:
    """Queue ``period``'s PDF for every subscriber of ``kind`` once, logging each delivery.

    ``message`` builds the mail (rendering the PDF) in the active language: once per language
    of the subscribers still pending, so a re-run with nothing left to queue renders nothing.
    """
    deliveries_prepare(kind=kind, period=period, now=now)
    pending = ReportDelivery.objects.filter(
        subscription__kind=kind, period=period, outcome=DeliveryOutcome.PENDING
    )
    readers = list(pending.values_list("subscription__user_id", flat=True))
    if not readers:
        return DeliveryRun()
    languages = users_languages(readers)
    built: dict[str, Message] = {}
    for language in sorted(set(languages.values())):
        with translation.override(language):
            built[language] = message()
    with transaction.atomic():
        won = list(
            pending.select_for_update(skip_locked=True, of=("self",))
            .select_related("subscription__user")
            .order_by("pk")
        )
        mails = []
        for delivery in won:
            user = delivery.subscription.user
            # A subscriber since the rendering above: their language, rendered now.
            language = languages.get(user.pk) or user_language(user)
            if language not in built:
                with translation.override(language):
                    built[language] = message()
            mails.append(
                Mail(
                    to=delivery.subscription.user.email,
                    subject=built[language].subject,
                    body=built[language].body,
                    attachments=built[language].attachments,
                )
            )
        queued = outbox_add(mails=mails, now=now)
        for delivery, row in zip(won, queued, strict=True):
            delivery.outcome, delivery.mail = DeliveryOutcome.SENDING, row
        ReportDelivery.objects.bulk_update(won, ["outcome", "mail"])
    return DeliveryRun(queued=len(won))


def deliveries_of(*, period: str, kind: SubscriptionKind) -> QuerySet[ReportDelivery]:
    """The delivery log of one period (admin, tests), each row with its outbox message's
    ``mail_status``, ``mail_sent_at`` and ``mail_error`` (None while it is not queued)."""
    return delivery_log().filter(period=period, subscription__kind=kind)


def delivery_log() -> QuerySet[ReportDelivery]:
    """Every delivery with its subscriber and its outbox message's state."""
    return ReportDelivery.objects.select_related("subscription__user").annotate(
        mail_status=F("mail__status"),
        mail_sent_at=F("mail__sent_at"),
        mail_error=F("mail__last_error"),
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
