"""Notifying people: an in-app row per recipient, and the same message by email after commit."""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from django.contrib.auth.models import User
from django.core.mail import send_mass_mail
from django.db import transaction
from django.utils import timezone

from cases.models import Case
from sla.models import Notification, NotificationKind


def notification_send(
    *,
    recipients: Iterable[User | None],
    kind: NotificationKind,
    subject: str,
    body: str = "",
    case: Case | None = None,
) -> list[Notification]:
    """Notify each distinct active recipient once (None entries are ignored).

    The rows are written in the caller's transaction; the emails go out only once it commits,
    so a rolled-back action never mails anyone.
    """
    people = {u.pk: u for u in recipients if u is not None and u.is_active}
    if not people:
        return []
    now = timezone.now()
    subject = subject[:200]
    rows = Notification.objects.bulk_create(
        Notification(recipient=u, case=case, kind=kind, subject=subject, body=body, created_at=now)
        for u in people.values()
    )
    link = f"{settings.SITE_URL}/cases/{case.reference}/" if case is not None else settings.SITE_URL
    text = f"{body}\n\n{link}\n" if body else f"{link}\n"
    messages = [
        (f"[Escalation] {subject}", text, settings.DEFAULT_FROM_EMAIL, [email])
        for u in people.values()
        if (email := getattr(u, "email", ""))
    ]
    if messages:
        transaction.on_commit(lambda: send_mass_mail(messages, fail_silently=False))
    return rows
