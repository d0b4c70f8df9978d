"""Notifying people: an in-app row per recipient, and the same message by email through the
outbox (``sla.outbox``): both written in the caller's transaction, the email sent by a worker
after it commits."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Max
from django.utils import timezone, translation
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from cases.events import CaseAssigned, CaseMentioned, CustomerReplied
from cases.models import Case, CustomerChannel, Status
from escalation.bulk import objects_insert
from escalation.users import display_name, users_languages
from sla.models import Notification, NotificationKind, OutgoingMail
from sla.outbox import Mail, outbox_add
from sla.quiet_hours import Urgency, hours_of, not_before

# How much of the note a mention's notification quotes (the case page has the rest).
MENTION_EXCERPT = 500
# How much of a customer's message its notification quotes.
CUSTOMER_EXCERPT = 500


# A message's subject or body: a text, or a function that writes it in the active language
# (``notifications_send`` calls it once per language of the recipients).
Text = str | Callable[[], str]


@dataclass(frozen=True)
class Message:
    """One message to some people (None entries are ignored)."""

    recipients: Iterable[User | None]
    kind: NotificationKind
    subject: Text
    body: Text = ""
    case: Case | None = None


# The messages ``notifications_together`` holds for its one write; None outside it.
_held: ContextVar[list[Message] | None] = ContextVar("held_notifications", default=None)


@contextmanager
def notifications_together() -> Iterator[None]:
    """Hold every message sent within the block and write them all at its end with one
    ``notifications_send``, in order: a set-based service whose steps notify people through
    several paths (the SLA engine's batch: its own messages, and the new owners' through
    ``CaseAssigned``) reads languages, hours and recent mail once and inserts once. Nothing
    is written when the block raises."""
    held: list[Message] = []
    token = _held.set(held)
    try:
        yield
    finally:
        _held.reset(token)
    notifications_send(held)


def _written(text: Text) -> str:
    return text() if callable(text) else text


def notification_send(
    *,
    recipients: Iterable[User | None],
    kind: NotificationKind,
    subject: Text,
    body: Text = "",
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
            body=partial(_assigned_text, event),
            case=event.case,
        )
        for event in events
        if event.by is None or event.owner.pk != event.by.pk
    )


def _assigned_text(event: CaseAssigned) -> str:
    return _("Assigned to you by %(by)s: %(reason)s") % {
        "by": display_name(event.by, nobody=_("the SLA engine")),
        "reason": event.reason,
    }


def mentioned_on_case_mentioned(event: CaseMentioned) -> None:
    """Tell each person a note mentions that it did, with the note (``cases`` has kept only
    those who may see the case, and never the note's author)."""
    case = event.case
    note = Truncator(event.note.body).chars(MENTION_EXCERPT)
    notification_send(
        recipients=event.mentioned,
        kind=NotificationKind.MENTIONED,
        subject=lambda: (
            _("You were mentioned on %(case)s %(title)s")
            % {"case": case.reference, "title": case.title}
        ),
        body=lambda: (
            _("%(author)s mentioned you in an internal note:")
            % {"author": display_name(event.by, nobody=_("Someone"))}
            + f"\n\n{note}"
        ),
        case=case,
    )


def owner_on_customer_replied(event: CustomerReplied) -> None:
    """Tell the case's owner (no owner: its team's lead) that the customer wrote, with the
    message; on a finished case, that they decide whether it is to be reopened."""
    case = event.case
    recipient = case.owner if case.owner is not None else (case.team.lead if case.team else None)
    notification_send(
        recipients=[recipient],
        kind=NotificationKind.CUSTOMER_REPLIED,
        subject=lambda: (
            _("Customer replied on %(case)s %(title)s")
            % {"case": case.reference, "title": case.title}
        ),
        body=partial(_replied_text, event),
        case=case,
    )


def _replied_text(event: CustomerReplied) -> str:
    case, message = event.case, event.event
    sender = message.data.get("sender", "") or _("The customer")
    if message.data.get("via") == CustomerChannel.STATUS_PAGE:
        wrote = _("%(sender)s wrote on the status page:") % {"sender": sender}
    else:
        wrote = _("%(sender)s wrote by email:") % {"sender": sender}
    parts = [wrote, Truncator(message.body).chars(CUSTOMER_EXCERPT)]
    files = len(message.data.get("attachments", []))
    if files:
        parts.append(
            ngettext("(%(n)s attached file)", "(%(n)s attached files)", files) % {"n": files}
        )
    if case.status in Status.FINISHED:
        parts.append(
            _("The case is %(status)s: reopen it if the problem is back.")
            % {"status": str(Status(case.status).label).lower()}
        )
    return "\n\n".join(p for p in parts if p)


def notifications_send(messages: Iterable[Message]) -> list[Notification]:
    """``notification_send`` for many messages at once: one insert for all the rows and one for
    all their emails. Each recipient reads the message in their language
    (``escalation.users.users_languages``, one query for all): a subject or body given as a
    function is written once per language of its recipients. Within
    ``notifications_together`` the messages are held for its one write (and none returned)."""
    messages = list(messages)
    held = _held.get()
    if held is not None:
        held.extend(messages)
        return []
    now = timezone.now()
    people_of = [
        {u.pk: u for u in message.recipients if u is not None and u.is_active}
        for message in messages
    ]
    languages = users_languages({pk for people in people_of for pk in people})
    rows: list[Notification] = []
    mail: list[tuple[User, Case | None, str, str]] = []
    for message, people in zip(messages, people_of, strict=True):
        case = message.case
        link = (
            f"{settings.SITE_URL}/cases/{case.reference}/"
            if case is not None
            else settings.SITE_URL
        )
        written: dict[str, tuple[str, str, str, str]] = {}
        for person in people.values():
            language = languages[person.pk]
            if language not in written:
                with translation.override(language):
                    subject, body = _written(message.subject)[:200], _written(message.body)
                text = f"{body}\n\n{link}\n" if body else f"{link}\n"
                written[language] = (subject, body, f"[Escalation] {subject}", text)
            subject, body, mail_subject, text = written[language]
            rows.append(
                Notification(
                    recipient_id=person.pk,
                    case_id=case.pk if case is not None else None,
                    kind=message.kind,
                    subject=subject,
                    body=body,
                    created_at=now,
                )
            )
            if getattr(person, "email", ""):
                mail.append((person, case, mail_subject, text))
    if not rows:
        return []
    with transaction.atomic():
        created = objects_insert(rows)
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
