"""Notifying people: an in-app row per recipient, and the same message by email through the
outbox (``sla.outbox``): both written in the caller's transaction, the email sent by a worker
after it commits."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from cases.models import Case
from sla.models import Notification, NotificationKind
from sla.outbox import outbox_add


@dataclass(frozen=True)
class Message:
    """One message to some people (None entries are ignored)."""

    recipients: Iterable[User | None]
    kind: NotificationKind
    subject: str
    body: str = ""
    case: Case | None = None


def notification_send(
    *,
    recipients: Iterable[User | None],
    kind: NotificationKind,
    subject: str,
    body: str = "",
    case: Case | None = None,
) -> list[Notification]:
    """Notify each distinct active recipient once (None entries are ignored).

    The rows and the outbox's emails are written in the caller's transaction; a worker sends
    the emails once it commits, so a rolled-back action never mails anyone, and a mail server
    that fails delays the email, never the action.
    """
    return notifications_send(
        [Message(recipients=recipients, kind=kind, subject=subject, body=body, case=case)]
    )


def notifications_send(messages: Iterable[Message]) -> list[Notification]:
    """``notification_send`` for many messages at once: one insert for all the rows and one for
    all their emails."""
    now = timezone.now()
    rows: list[Notification] = []
    mail: list[tuple[str, str, str]] = []
    for message in messages:
        people = {u.pk: u for u in message.recipients if u is not None and u.is_active}
        subject = message.subject[:200]
        case = message.case
        link = (
            f"{settings.SITE_URL}/cases/{case.reference}/"
            if case is not None
            else settings.SITE_URL
        )
        text = f"{message.body}\n\n{link}\n" if message.body else f"{link}\n"
        for person in people.values():
            rows.append(
                Notification(
                    recipient=person,
                    case=case,
                    kind=message.kind,
                    subject=subject,
                    body=message.body,
                    created_at=now,
                )
            )
            if email := getattr(person, "email", ""):
                mail.append((email, f"[Escalation] {subject}", text))
    if not rows:
        return []
    with transaction.atomic():
        created = Notification.objects.bulk_create(rows)
        outbox_add(mails=mail, now=now)
    return created
