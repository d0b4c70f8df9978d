"""Notifying people: an in-app row per recipient, and the same message by email through the
outbox (``sla.outbox``): both written in the caller's transaction, the email sent by a worker
after it commits."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.text import Truncator

from cases.events import CaseAssigned, CaseMentioned, CustomerReplied
from cases.models import Case, CustomerChannel, Status
from escalation.users import display_name
from sla.models import Notification, NotificationKind, OutgoingMail
from sla.outbox import Mail, outbox_add
from sla.quiet_hours import Urgency, hours_of, not_before

# How much of the note a mention's notification quotes (the case page has the rest).
MENTION_EXCERPT = 500
# How much of a customer's message its notification quotes.
CUSTOMER_EXCERPT = 500


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


def owners_on_cases_assigned(events: Sequence[CaseAssigned]) -> None:
    """Tell each case's new owner, unless they gave it to themselves (one write for all)."""
    notifications_send(
        Message(
            recipients=[event.owner],
            kind=NotificationKind.ESCALATED if event.escalated else NotificationKind.ASSIGNED,
            subject=f"{event.case.reference} {event.case.title}",
            body=f"Assigned to you by {display_name(event.by, nobody='the SLA engine')}: "
            f"{event.reason}",
            case=event.case,
        )
        for event in events
        if event.by is None or event.owner.pk != event.by.pk
    )


def mentioned_on_case_mentioned(event: CaseMentioned) -> None:
    """Tell each person a note mentions that it did, with the note (``cases`` has kept only
    those who may see the case, and never the note's author)."""
    case = event.case
    author = display_name(event.by, nobody="Someone")
    note = Truncator(event.note.body).chars(MENTION_EXCERPT)
    notification_send(
        recipients=event.mentioned,
        kind=NotificationKind.MENTIONED,
        subject=f"You were mentioned on {case.reference} {case.title}",
        body=f"{author} mentioned you in an internal note:\n\n{note}",
        case=case,
    )


def owner_on_customer_replied(event: CustomerReplied) -> None:
    """Tell the case's owner (no owner: its team's lead) that the customer wrote, with the
    message; on a finished case, that they decide whether it is to be reopened."""
    case = event.case
    message = event.event
    by_status_page = message.data.get("via") == CustomerChannel.STATUS_PAGE
    channel = "on the status page" if by_status_page else "by email"
    sender = message.data.get("sender", "") or "The customer"
    files = len(message.data.get("attachments", []))
    parts = [f"{sender} wrote {channel}:", Truncator(message.body).chars(CUSTOMER_EXCERPT)]
    if files:
        parts.append(f"({files} attached file{'s' if files != 1 else ''})")
    if case.status in Status.FINISHED:
        parts.append(
            f"The case is {Status(case.status).label.lower()}: reopen it if the problem is back."
        )
    recipient = case.owner if case.owner is not None else (case.team.lead if case.team else None)
    notification_send(
        recipients=[recipient],
        kind=NotificationKind.CUSTOMER_REPLIED,
        subject=f"Customer replied on {case.reference} {case.title}",
        body="\n\n".join(p for p in parts if p),
        case=case,
    )


def notifications_send(messages: Iterable[Message]) -> list[Notification]:
    """``notification_send`` for many messages at once: one insert for all the rows and one for
    all their emails."""
    now = timezone.now()
    rows: list[Notification] = []
    mail: list[tuple[User, Case | None, str, str]] = []
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
            if getattr(person, "email", ""):
                mail.append((person, case, f"[Escalation] {subject}", text))
    if not rows:
        return []
    with transaction.atomic():
        created = Notification.objects.bulk_create(rows)
        outbox_add(mails=_mail_in_hours(mail, now=now), now=now)
    return created


def _mail_in_hours(mail: list[tuple[User, Case | None, str, str]], *, now: datetime) -> list[Mail]:
    """The mails. Urgent ones (``sla.quiet_hours``) go now. The others wait for their
    reader's working hours, and one to a reader mailed a notification less than
    ``NOTIFY_DIGEST_MINUTES`` ago waits for the end of that window, when the outbox folds
    what waited into one digest."""
    hours = hours_of(person.pk for person, *_ in mail)
    window = timedelta(minutes=settings.NOTIFY_DIGEST_MINUTES)
    mailed = _last_mailed({person.email for person, *_ in mail}, now=now, window=window)
    urgency = Urgency()
    out = []
    for person, case, subject, text in mail:
        if urgency.urgent(case):
            out.append(Mail(to=person.email, subject=subject, body=text))
            continue
        wait = not_before(hours.get(person.pk), now)
        last = mailed.get(person.email)
        if last is not None:
            wait = max(wait or now, last + window)
        elif wait is None and window:
            mailed[person.email] = now  # the first goes now; the next ones fold
        out.append(Mail(to=person.email, subject=subject, body=text, not_before=wait, fold=True))
    return out


def _last_mailed(addresses: set[str], *, now: datetime, window: timedelta) -> dict[str, datetime]:
    """When each of these readers was last sent a notification at once (not held), within
    ``window`` of now (one query; none when there is no window)."""
    if not window or not addresses:
        return {}
    return dict(
        OutgoingMail.objects.filter(
            to__in=addresses, fold=True, not_before=None, created_at__gt=now - window
        )
        .values("to")
        .annotate(last=Max("created_at"))
        .values_list("to", "last")
    )
