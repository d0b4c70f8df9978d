"""The outbox: every email is a row written in the transaction of the change it tells about, and
sent after that commits by a worker on the mail queue, so a mail server that is slow, down or
refusing an address never fails, slows or half-does the change itself.

Each message is sent once, in layers:

1. The row (and its attachments) commits with the change or not at all; after commit its id
   goes to the broker (``mail_dispatch``), up to ``MAIL_TASK_IDS`` per task, in task
   ``sla.tasks.mail_send``, which sends them ``MAIL_BATCH`` at a time (``outbox_send_many``).
2. A worker claims its task's messages with one conditional UPDATE (pending, not sent: status
   ``sending``, one more attempt, claimed until about ``MAIL_CLAIM`` from now: an instant of its
   own, by which it then reads back the rows it won) before it sends them, so a task delivered
   twice, or two workers given the same ids, send each once. A send that fails releases its
   claim with the error and a back-off; after ``MAIL_MAX_ATTEMPTS`` the message stops, failed,
   and the admin shows it. Messages the worker claimed but did not try are released untouched.
3. The sent messages are marked sent together, with one conditional UPDATE on ``sent_at``.
4. Beat's ``mail_redispatch`` hands out again what the broker lost: messages whose next try was
   due ``MAIL_REDISPATCH_SECONDS`` ago, and messages whose worker died holding the claim.

At least once, not exactly once, in one window only: a worker killed (or cut off from the
database) after the mail server accepted messages and before step 3 leaves them claimed, and they
are sent again when the claim runs out (at most one ``MAIL_BATCH``). A claim lasts
the task time limit, so no living worker still holds one that ran out.
"""

from __future__ import annotations

import contextlib
import logging
import random
import smtplib
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import BadHeaderError, EmailMultiAlternatives, get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from escalation.bulk import objects_insert
from escalation.celery import app
from escalation.metrics import mail_failure_count
from sla.models import MailStatus, OutgoingAttachment, OutgoingMail

logger = logging.getLogger(__name__)

MAIL_SEND_TASK = "sla.tasks.mail_send"
# Messages claimed together, sent over one SMTP connection, marked sent together.
MAIL_BATCH = 20
# Ids per task, sent MAIL_BATCH at a time: a storm's thousands of notifications are a few
# tasks, not one publish per 20 messages (bench/sla_burst.py). A task still sending after
# MAIL_TASK_SECONDS hands the rest to a new task, far inside the task time limit.
MAIL_TASK_IDS = 500
MAIL_TASK_SECONDS = 60
MAIL_BACKOFF_MAX = timedelta(minutes=5)
MAIL_CLAIM = timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT)
REDISPATCH_LIMIT = 5_000
# Refusals that concern one message (its address, its content), not the connection.
MESSAGE_REFUSALS = (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused, smtplib.SMTPDataError)


@dataclass(frozen=True)
class Attachment:
    """A file sent with a message (a report's PDF): stored with it, attached when it is sent."""

    filename: str
    content: bytes
    content_type: str = "application/pdf"


@dataclass(frozen=True)
class Mail:
    """A message for the outbox: ``body`` is plain text, ``html`` its HTML alternative (none
    when blank); ``headers`` are further headers (``Reply-To``, ``Message-ID``, a ``Cc`` shown
    to the reader, ...). It is delivered to ``to`` alone, whatever the headers say."""

    to: str
    subject: str
    body: str
    html: str = ""
    headers: Mapping[str, str] = field(default_factory=dict)
    # Held until then (the reader's working hours, sla.quiet_hours); None: now.
    not_before: datetime | None = None
    # May be folded into a digest with other such mail to the same reader (a notification);
    # never a message with attachments.
    fold: bool = False
    attachments: Sequence[Attachment] = ()


def outbox_add(
    *, mails: Iterable[tuple[str, str, str] | Mail], now: datetime
) -> list[OutgoingMail]:
    """Put messages ((to, subject, body) or ``Mail``) in the outbox, with their attachments, in
    the caller's transaction; they are handed to workers once it commits."""
    wanted = [m if isinstance(m, Mail) else Mail(*m) for m in mails]
    rows = objects_insert(
        [
            OutgoingMail(
                to=mail.to,
                subject=mail.subject,
                body=mail.body,
                html=mail.html,
                headers=dict(mail.headers),
                created_at=now,
                next_attempt_at=mail.not_before or now,
                not_before=mail.not_before,
                fold=mail.fold and not mail.attachments,
            )
            for mail in wanted
        ]
    )
    OutgoingAttachment.objects.bulk_create(
        OutgoingAttachment(
            mail=row,
            filename=attachment.filename,
            content_type=attachment.content_type,
            content=attachment.content,
        )
        for row, mail in zip(rows, wanted, strict=True)
        for attachment in mail.attachments
    )
    # Held mail is handed out by the redispatch once its time has come.
    ids = [row.pk for row in rows if row.not_before is None]
    if ids:
        # Robust: with the broker down the change still answers; the redispatch sends it later.
        transaction.on_commit(lambda: mail_dispatch(ids), robust=True)
    return rows


def mail_dispatch(mail_ids: Sequence[int]) -> None:
    """Hand outbox ids to the mail workers, ``MAIL_TASK_IDS`` per task."""
    for start in range(0, len(mail_ids), MAIL_TASK_IDS):
        app.send_task(MAIL_SEND_TASK, args=[list(mail_ids[start : start + MAIL_TASK_IDS])])


def mail_backoff(attempts: int) -> timedelta:
    """How long a message waits after its ``attempts``-th failed try: doubling from
    ``MAIL_RETRY_SECONDS``, at most five minutes."""
    first = timedelta(seconds=settings.MAIL_RETRY_SECONDS)
    return min(MAIL_BACKOFF_MAX, first * 2 ** max(attempts - 1, 0))


def mail_retry_countdown(retries: int) -> float:
    """Seconds before a task retries its failed messages, spread over the second half of the
    back-off so messages that failed together do not all come back at once."""
    return mail_backoff(retries + 1).total_seconds() * random.uniform(0.5, 1.0)


def outbox_send_many(
    *, mail_ids: Sequence[int], seconds: float | None = None
) -> tuple[list[int], list[int]]:
    """``outbox_send`` for ``MAIL_BATCH`` messages at a time: (the ids to try again later, the
    ids not started). It starts no batch after ``seconds`` (default ``MAIL_TASK_SECONDS``;
    the caller hands those on), and none after a batch the mail server stopped (an outage):
    those are tried again with it."""
    ends = time.monotonic() + (MAIL_TASK_SECONDS if seconds is None else seconds)
    retry: list[int] = []
    for start in range(0, len(mail_ids), MAIL_BATCH):
        if start and time.monotonic() >= ends:
            return retry, list(mail_ids[start:])
        failed, stopped = _send(mail_ids=mail_ids[start : start + MAIL_BATCH])
        retry += failed
        if stopped:
            return retry + list(mail_ids[start + MAIL_BATCH :]), []
    return retry, []


def outbox_send(*, mail_ids: Sequence[int]) -> list[int]:
    """Send these messages over one connection, each once; the ids to try again later.

    1. Claim them all (see the module docstring): a message already sent, failed for good, held
       until later or by another worker is skipped.
    2. Send the claimed ones in the order of ``mail_ids``.
    3. Refused by the server for this message only (its address, its content) or not a valid
       message: record the error and go on with the next one. A permanent refusal (5xx), an
       invalid message or the last allowed attempt fails it for good; otherwise it is retried.
    4. Any other failure (server down, connection lost, timeout): record the error and stop;
       the claimed messages not tried yet are released as they were and retried with it, it
       last.
    5. However it ends, mark the messages sent so far sent (one UPDATE).
    """
    return _send(mail_ids=mail_ids)[0]


def _send(*, mail_ids: Sequence[int]) -> tuple[list[int], bool]:
    """``outbox_send``, and whether the mail server stopped it (step 4)."""
    retry: list[int] = []
    sent: list[int] = []
    claimed, riders = _riders(_claim(mail_ids=mail_ids))
    if not claimed:
        return retry, False
    files = _attachments(claimed)
    connection = get_connection(fail_silently=False)
    try:
        for position, mail in enumerate(claimed):
            folded = sorted([*riders.get(mail.pk, []), *_fold(mail)], key=_created)
            try:
                message = _message(mail, folded, files.get(mail.pk, []))
                connection.open()
                connection.send_messages([message])
            except (*MESSAGE_REFUSALS, BadHeaderError) as problem:
                _close_quietly(connection)
                _unfold(folded)
                if not _release(mail, problem=problem, permanent=_permanent(problem)):
                    retry.append(mail.pk)
                continue
            except Exception as problem:  # noqa: BLE001 - recorded on the message, retried
                _close_quietly(connection)
                logger.warning("outbox: sending stopped at mail %d: %s", mail.pk, problem)
                _unfold(folded)
                failed = _release(mail, problem=problem, permanent=False)
                untried = claimed[position + 1 :]
                _unclaim([*untried, *(r for m in untried for r in riders.get(m.pk, []))])
                return [*retry, *(m.pk for m in untried), *([] if failed else [mail.pk])], True
            sent += [other.pk for other in folded]
            sent.append(mail.pk)
    finally:
        _close_quietly(connection)
        _mark_sent(mail_ids=sent)
    return retry, False


def outbox_redispatch(*, now: datetime) -> int:
    """Hand out again what the broker lost; the number of messages handed out.

    1. A claim that ran out belongs to a dead worker: its message goes back to pending (or fails,
       when that was its last allowed attempt).
    2. Pending messages whose next try was due ``MAIL_REDISPATCH_SECONDS`` ago, and held
       messages whose time has come (never handed out yet: their next try is still their
       ``not_before``), are stamped due now (so the next run does not hand them out again
       while they wait in a backlog) and handed out after commit.
    """
    stale = now - timedelta(seconds=settings.MAIL_REDISPATCH_SECONDS)
    with transaction.atomic():
        held = OutgoingMail.objects.filter(status=MailStatus.SENDING, next_attempt_at__lte=now)
        held.filter(attempts__gte=settings.MAIL_MAX_ATTEMPTS).update(
            status=MailStatus.FAILED, last_error="The worker sending it stopped (last attempt)."
        )
        held.update(status=MailStatus.PENDING, next_attempt_at=stale)
        ids = list(
            OutgoingMail.objects.filter(
                Q(next_attempt_at__lte=stale)
                | Q(next_attempt_at__lte=now, next_attempt_at=F("not_before")),
                status=MailStatus.PENDING,
            )
            .order_by("next_attempt_at")
            .select_for_update(skip_locked=True)
            .values_list("pk", flat=True)[:REDISPATCH_LIMIT]
        )
        if ids:
            OutgoingMail.objects.filter(pk__in=ids).update(next_attempt_at=now)
            transaction.on_commit(lambda: mail_dispatch(ids), robust=True)
    return len(ids)


def outbox_resend(*, mail_ids: Sequence[int], now: datetime) -> int:
    """Give failed (or waiting) messages a fresh set of attempts, now; the number queued."""
    with transaction.atomic():
        ids = list(
            OutgoingMail.objects.filter(
                pk__in=list(mail_ids), status__in=[MailStatus.FAILED, MailStatus.PENDING]
            ).values_list("pk", flat=True)
        )
        OutgoingMail.objects.filter(pk__in=ids).update(
            status=MailStatus.PENDING, attempts=0, next_attempt_at=now, not_before=None
        )
        if ids:
            transaction.on_commit(lambda: mail_dispatch(ids), robust=True)
    return len(ids)


def _claim(*, mail_ids: Sequence[int]) -> list[OutgoingMail]:
    """The messages among ``mail_ids`` claimed for this worker, in that order (two statements
    however many): one conditional UPDATE stamps those still ours to send with a claim instant
    of this call's own (random microseconds apart from any other worker's), then the rows with
    that stamp are read back."""
    now = timezone.now()
    until = now + MAIL_CLAIM + timedelta(microseconds=random.randrange(1, 1_000_000))
    wanted = list(dict.fromkeys(mail_ids))
    claimed = OutgoingMail.objects.filter(
        Q(not_before__isnull=True) | Q(not_before__lte=now),
        pk__in=wanted,
        sent_at=None,
        status=MailStatus.PENDING,
    ).update(status=MailStatus.SENDING, attempts=F("attempts") + 1, next_attempt_at=until)
    if not claimed:
        return []
    rows = OutgoingMail.objects.filter(
        pk__in=wanted, status=MailStatus.SENDING, next_attempt_at=until
    ).in_bulk()
    return [rows[pk] for pk in wanted if pk in rows]


def _unclaim(mails: Sequence[OutgoingMail]) -> None:
    """Claimed messages this worker did not try: pending again, due now, the attempt not
    counted (one UPDATE)."""
    if mails:
        OutgoingMail.objects.filter(
            pk__in=[m.pk for m in mails],
            status=MailStatus.SENDING,
            next_attempt_at=mails[0].next_attempt_at,
        ).update(
            status=MailStatus.PENDING, attempts=F("attempts") - 1, next_attempt_at=timezone.now()
        )


def _riders(
    claimed: list[OutgoingMail],
) -> tuple[list[OutgoingMail], dict[int, list[OutgoingMail]]]:
    """Held notifications of one batch to the same reader go out as one digest: the first of
    them carries the others (its riders), which leave the batch's list."""
    leaders: dict[str, OutgoingMail] = {}
    riders: dict[int, list[OutgoingMail]] = {}
    kept = []
    for mail in claimed:
        if mail.fold and mail.not_before is not None:
            leader = leaders.setdefault(mail.to, mail)
            if leader is not mail:
                riders.setdefault(leader.pk, []).append(mail)
                continue
        kept.append(mail)
    return kept, riders


def _created(mail: OutgoingMail) -> tuple[datetime, int]:
    return mail.created_at, mail.pk


def _fold(mail: OutgoingMail) -> list[OutgoingMail]:
    """A held notification's mail takes along the other held notifications to the same
    reader whose time has come (claimed like it, rows no other worker holds): one digest."""
    if not mail.fold or mail.not_before is None:
        return []
    now = timezone.now()
    with transaction.atomic():
        others = list(
            OutgoingMail.objects.filter(
                to=mail.to,
                fold=True,
                status=MailStatus.PENDING,
                sent_at=None,
                not_before__lte=now,
            )
            .exclude(pk=mail.pk)
            .order_by("created_at", "pk")
            .select_for_update(skip_locked=True)
        )
        OutgoingMail.objects.filter(pk__in=[o.pk for o in others]).update(
            status=MailStatus.SENDING, next_attempt_at=mail.next_attempt_at
        )
    return others


def _unfold(folded: list[OutgoingMail]) -> None:
    """The digest was not sent: its other messages wait again, as they were."""
    OutgoingMail.objects.filter(pk__in=[o.pk for o in folded], status=MailStatus.SENDING).update(
        status=MailStatus.PENDING, next_attempt_at=timezone.now()
    )


def _attachments(claimed: Sequence[OutgoingMail]) -> dict[int, list[OutgoingAttachment]]:
    """The attachments of the claimed messages, by message (one query however many)."""
    files: dict[int, list[OutgoingAttachment]] = {}
    for attachment in OutgoingAttachment.objects.filter(mail__in=[m.pk for m in claimed]):
        files.setdefault(attachment.mail_id, []).append(attachment)
    return files


def _message(
    mail: OutgoingMail, folded: list[OutgoingMail], files: Sequence[OutgoingAttachment]
) -> EmailMultiAlternatives:
    """The message to send: the mail itself with its files, or a digest of it and the ones it
    folded (notifications, which carry no files)."""
    if not folded:
        message = EmailMultiAlternatives(
            mail.subject,
            mail.body,
            settings.DEFAULT_FROM_EMAIL,
            [mail.to],
            headers=mail.headers or None,
        )
        if mail.html:
            message.attach_alternative(mail.html, "text/html")
        for file in files:
            message.attach(file.filename, bytes(file.content), file.content_type)
        return message
    parts = [mail, *folded]
    body = "\n\n".join(f"{part.subject}\n{part.body}" for part in parts)
    return EmailMultiAlternatives(
        f"[Escalation] {len(parts)} notifications",
        body,
        settings.DEFAULT_FROM_EMAIL,
        [mail.to],
    )


def _mark_sent(*, mail_ids: Sequence[int]) -> None:
    if mail_ids:
        OutgoingMail.objects.filter(pk__in=list(mail_ids), sent_at=None).update(
            status=MailStatus.SENT, sent_at=timezone.now(), last_error=""
        )


def _release(mail: OutgoingMail, *, problem: BaseException, permanent: bool) -> bool:
    """Record a failed attempt on our claim; True when the message failed for good."""
    final = permanent or mail.attempts >= settings.MAIL_MAX_ATTEMPTS
    now = timezone.now()
    OutgoingMail.objects.filter(
        pk=mail.pk, status=MailStatus.SENDING, next_attempt_at=mail.next_attempt_at
    ).update(
        status=MailStatus.FAILED if final else MailStatus.PENDING,
        next_attempt_at=now if final else now + mail_backoff(mail.attempts),
        last_error=f"{type(problem).__name__}: {problem}"[:500],
    )
    mail_failure_count(final=final)
    return final


def _permanent(problem: BaseException) -> bool:
    """An invalid message, or the server's final answer (5xx) for this message."""
    if isinstance(problem, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _ in problem.recipients.values())
    if isinstance(problem, smtplib.SMTPResponseException):
        return problem.smtp_code >= 500
    return True


def _close_quietly(connection: BaseEmailBackend) -> None:
    # A connection that failed may fail again while closing; the next message opens a new one.
    with contextlib.suppress(smtplib.SMTPException, OSError):
        connection.close()
