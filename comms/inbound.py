"""Mail from customers: read one message, decide what it is, post it on its case once.

Every way mail reaches us (the IMAP fetch, the inbound webhook) hands the raw message to
``inbound_receive``:

1. Parse it (stdlib ``email``, ``policy.default``): sender, subject, date, the text (the plain
   part, else the HTML part as text) with the quoted history of the thread cut off when it is
   recognisable, and the attachments.
2. Recognise noise, which is kept but never posted: our own mail coming back (our address in
   ``From``, our Message-ID shape), bounces (a delivery report, the mailer daemon, an empty
   ``Return-Path``) and auto-replies (``Auto-Submitted`` other than ``no``, ``Precedence``
   bulk/junk/list/auto_reply, ``X-Autoreply``/``X-Autorespond``).
3. Thread it: the signed reply address among its recipients (``comms.threading``), else the
   ``In-Reply-To``/``References`` of one of our deliveries. No case: mail to a switched-on
   team inbox raises a new case (``comms.mail_raise``); otherwise, or from a sender who is not
   a contact of the case's customer (nor a recipient of its updates): quarantine, for a
   manager.
4. In one transaction: write the ``InboundMessage`` row (its Message-ID is unique: a second
   delivery of the same mail, from a restart or another worker, finds the row and stops) and
   post the message with ``cases.services.case_customer_message``. A message the case refuses
   (closed, an empty text) is quarantined with the reason instead.

Files are checked as uploads are; a file of a type we do not keep (or past the number a
message may bring) is left out and named in the posted text, rather than quarantining a reply
for its signature's vCard. A mail without a Message-ID is known by a hash of its bytes.
"""

from __future__ import annotations

import hashlib
import html
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import getaddresses, parseaddr, parsedate_to_datetime

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.html import strip_tags

from cases.models import Case, Contact, CustomerChannel
from cases.services import case_customer_message
from cases.services.attachments import FILES_MAX, attachment_check
from comms.mail_raise import case_raise_from_mail, team_inbox_for
from comms.models import Delivery, InboundMessage, InboundSource, InboundState, TeamInbox
from comms.threading import (
    case_for_message_ids,
    case_id_for_reply_address,
    is_our_message_id,
    message_ids_in,
    reply_mailbox,
)
from escalation.errors import DomainError
from escalation.metrics import inbound_mail_count

logger = logging.getLogger(__name__)

SUBJECT_MAX = 255
REASON_MAX = 300
AUTO_PRECEDENCE = {"bulk", "junk", "list", "auto_reply"}
DAEMON_SENDERS = {"mailer-daemon", "postmaster", "mail-daemon", "mailerdaemon"}
# Headers that may name the address a message was sent to (a forwarder keeps the original).
RECIPIENT_HEADERS = ("To", "Cc", "Delivered-To", "X-Original-To", "Envelope-To", "X-Envelope-To")
# Where a reply's quoted history starts: "On <date>, <name> wrote:", Outlook's separators.
_QUOTE_HEADER = re.compile(
    r"^(On\s.{1,200}?\swrote:|-{2,}\s*Original Message\s*-{2,}|_{20,}|From:\s.+)\s*$",
    re.IGNORECASE | re.MULTILINE,
)


@dataclass(frozen=True)
class ParsedMail:
    message_id: str
    sender: str
    subject: str
    sent_at: datetime | None
    text: str
    recipients: list[str]
    thread_ids: list[str]
    attachments: list[tuple[str, str, bytes]] = field(default_factory=list)
    left_out: list[str] = field(default_factory=list)
    noise: tuple[InboundState, str] | None = None


def mail_parse(raw: bytes) -> ParsedMail:
    """Read one RFC 5322 message (see the module docstring, steps 1 and 2)."""
    message = message_from_bytes(raw, policy=policy.default)
    assert isinstance(message, EmailMessage)
    message_id = _header(message, "Message-ID").strip()
    if not message_id or len(message_id) > 998:
        message_id = f"<sha256-{hashlib.sha256(raw).hexdigest()}@no-message-id.invalid>"
    sender = parseaddr(_header(message, "From"))[1].strip().lower()
    recipients = [
        address.lower()
        for _, address in getaddresses([_header(message, name) for name in RECIPIENT_HEADERS])
        if address
    ]
    thread_ids = message_ids_in(_header(message, "References"))
    thread_ids += [
        i for i in message_ids_in(_header(message, "In-Reply-To")) if i not in thread_ids
    ]
    attachments, left_out = _attachments(message)
    return ParsedMail(
        message_id=message_id,
        sender=sender,
        subject=" ".join(_header(message, "Subject").split())[:SUBJECT_MAX],
        sent_at=_sent_at(message),
        text=reply_text(_body_text(message)),
        recipients=recipients,
        thread_ids=thread_ids,
        attachments=attachments,
        left_out=left_out,
        noise=_noise(message, sender=sender, message_id=message_id),
    )


def reply_text(text: str) -> str:
    """The new part of a reply: the text above the first recognisable quote header ("On ...
    wrote:", an Outlook separator) and without a trailing block of ``>`` lines. Conservative:
    when nothing would be left, the whole text."""
    text = text.replace("\r\n", "\n").strip()
    match = _QUOTE_HEADER.search(text)
    new = text[: match.start()] if match else text
    lines = new.rstrip().split("\n")
    while lines and (lines[-1].startswith(">") or not lines[-1].strip()):
        lines.pop()
    kept = "\n".join(lines).strip()
    return kept or text


def _header(message: EmailMessage, name: str) -> str:
    # A malformed header reads as its raw text rather than failing the whole message.
    try:
        values = message.get_all(name) or []
    except (TypeError, ValueError, IndexError):
        return ""
    return (
        ", ".join(str(value) for value in values)
        if name != "Subject"
        else str(values[0] if values else "")
    )


def _sent_at(message: EmailMessage) -> datetime | None:
    try:
        sent = parsedate_to_datetime(_header(message, "Date"))
    except (TypeError, ValueError, IndexError):
        return None
    return sent if sent.tzinfo else sent.replace(tzinfo=UTC)


def _body_text(message: EmailMessage) -> str:
    body = message.get_body(preferencelist=("plain", "html"))
    if body is None:
        return ""
    try:
        content = body.get_content()
    except (LookupError, UnicodeError, ValueError):
        payload = body.get_payload(decode=True)
        content = payload.decode("utf-8", "replace") if isinstance(payload, bytes) else ""
    if not isinstance(content, str):
        return ""
    if body.get_content_type() == "text/html":
        content = html.unescape(strip_tags(re.sub(r"(?i)<br\s*/?>|</p>|</div>", "\n", content)))
    return content


def _attachments(message: EmailMessage) -> tuple[list[tuple[str, str, bytes]], list[str]]:
    """The files we keep, as (name, type, content), and a line for each one left out."""
    kept: list[tuple[str, str, bytes]] = []
    left_out: list[str] = []
    for part in message.iter_attachments():
        assert isinstance(part, EmailMessage)
        content_type = part.get_content_type()
        name = part.get_filename() or ("message.eml" if content_type == "message/rfc822" else "")
        if content_type == "message/rfc822":
            inner = part.get_payload(0) if part.is_multipart() else None
            content = inner.as_bytes() if isinstance(inner, EmailMessage) else b""
        else:
            payload = part.get_payload(decode=True)
            content = payload if isinstance(payload, bytes) else b""
        name = name or "attachment"
        if len(kept) >= FILES_MAX:
            left_out.append(f"{name}: a message brings at most {FILES_MAX} files")
            continue
        try:
            attachment_check(SimpleUploadedFile(name, content, content_type=content_type))
        except DomainError as refusal:
            left_out.append(refusal.message)
            continue
        kept.append((name, content_type, content))
    return kept, left_out


def _noise(
    message: EmailMessage, *, sender: str, message_id: str
) -> tuple[InboundState, str] | None:
    """Our own mail, a bounce or an auto-reply, with the reason; None for a person's mail."""
    local, domain = reply_mailbox()
    ours = {
        settings.COMMS_REPLY_ADDRESS.lower(),
        parseaddr(settings.DEFAULT_FROM_EMAIL)[1].lower(),
    }
    sender_local, _, sender_domain = sender.rpartition("@")
    if sender in ours or (
        sender_domain == domain and sender_local.partition("+")[0] == local.lower()
    ):
        return InboundState.OWN, f"Sent from our own address {sender}."
    if is_our_message_id(message_id):
        return InboundState.OWN, "Our own Message-ID: one of our mails came back."
    report = message.get_content_type() == "multipart/report"
    if report and str(message.get_param("report-type", "")).lower() == "delivery-status":
        return InboundState.BOUNCE, "A delivery status report (bounce)."
    if sender_local in DAEMON_SENDERS:
        return InboundState.BOUNCE, f"Sent by the mail system ({sender})."
    if _header(message, "Return-Path").strip() == "<>" or _header(message, "X-Failed-Recipients"):
        return InboundState.BOUNCE, "A notice from the mail system (empty Return-Path)."
    auto = _header(message, "Auto-Submitted").strip().lower()
    if auto and auto.split(";")[0].strip() != "no":
        return InboundState.AUTO_REPLY, f"Auto-Submitted: {auto}"[:REASON_MAX]
    precedence = _header(message, "Precedence").strip().lower()
    if precedence in AUTO_PRECEDENCE:
        return InboundState.AUTO_REPLY, f"Precedence: {precedence}"
    for name in ("X-Autoreply", "X-Autorespond"):
        if _header(message, name):
            return InboundState.AUTO_REPLY, f"{name} header."
    return None


def _thread(mail: ParsedMail) -> Case | None:
    """The case the mail answers: the signed reply address, else a delivery it refers to."""
    for address in mail.recipients:
        case_id = case_id_for_reply_address(address)
        if case_id is not None:
            case = Case.objects.filter(pk=case_id).first()
            if case is not None:
                return case
    return case_for_message_ids(mail.thread_ids)


def sender_known(*, case: Case, sender: str) -> bool:
    """Whether ``sender`` is a contact of the case's customer or got one of its updates."""
    if not sender:
        return False
    contacts = Contact.objects.filter(customer_id=case.customer_id, email__iexact=sender)
    deliveries = Delivery.objects.filter(case_id=case.pk, recipient__iexact=sender)
    return contacts.values("pk").union(deliveries.values("pk")).exists()


def posted_text(mail: ParsedMail) -> str:
    """The text posted on the case: the reply, and the files that were left out."""
    if not mail.left_out:
        return mail.text
    notes = "\n".join(f"- {line}" for line in mail.left_out)
    return f"{mail.text}\n\n[Files not kept:\n{notes}]".strip()


def inbound_receive(
    *,
    raw: bytes,
    source: InboundSource,
    envelope_to: Sequence[str] = (),
    now: datetime | None = None,
) -> InboundMessage:
    """Take one raw email in (see the module docstring); the row saying what became of it.
    ``envelope_to``: the addresses it was delivered to, when the provider tells (a webhook).
    Safe to call again with the same message: the row of the first call is returned."""
    mail = mail_parse(raw)
    if envelope_to:
        mail = replace(mail, recipients=[*(a.lower() for a in envelope_to), *mail.recipients])
    known = InboundMessage.objects.filter(message_id=mail.message_id).first()
    if known is not None:
        return known
    now = now or timezone.now()
    state, reason = mail.noise or (InboundState.QUARANTINED, "")
    case, inbox = None, None
    if mail.noise is None:
        case = _thread(mail)
        if case is None:
            inbox = team_inbox_for(mail.recipients)
            if inbox is None:
                reason = "No valid reply address and no thread of ours."
        elif not sender_known(case=case, sender=mail.sender):
            reason = (
                f"{mail.sender or 'No sender'} is not a contact of {case.reference}'s customer."
            )
    row = InboundMessage(
        message_id=mail.message_id,
        source=source,
        received_at=now,
        sender=mail.sender[:254],
        subject=mail.subject,
        text=posted_text(mail),
        raw=raw,
        state=state,
        reason=reason[:REASON_MAX],
        case=case,
    )
    try:
        with transaction.atomic():
            if mail.noise is None and not reason:
                if case is not None:
                    _post(row, case=case, mail=mail)
                elif inbox is not None:
                    _raise(row, inbox=inbox, mail=mail)
            # Last, so the unique Message-ID refuses a message another worker has just
            # received: everything this call did rolls back with it.
            row.save(force_insert=True)
    except IntegrityError:
        first = InboundMessage.objects.filter(message_id=mail.message_id).first()
        if first is None:
            raise
        return first
    inbound_mail_count(source=source, state=row.state)
    return row


def inbound_keep_unreadable(
    *, raw: bytes, source: InboundSource, problem: BaseException
) -> InboundMessage:
    """Quarantine a message ``inbound_receive`` failed on (a malformed mail it could not
    read), so it does not block the mailbox: kept for a manager, known by its bytes' hash."""
    message_id = f"<sha256-{hashlib.sha256(raw).hexdigest()}@unreadable.invalid>"
    row, _ = InboundMessage.objects.get_or_create(
        message_id=message_id,
        defaults={
            "source": source,
            "received_at": timezone.now(),
            "raw": raw,
            "state": InboundState.QUARANTINED,
            "reason": f"Could not be read: {type(problem).__name__}: {problem}"[:REASON_MAX],
        },
    )
    return row


def inbound_post(*, message: InboundMessage, case: Case) -> InboundMessage:
    """Post a stored message on ``case`` (a manager releasing it from quarantine), in the
    caller's transaction; refused with a ``DomainError`` as the case refuses it."""
    try:
        mail = mail_parse(bytes(message.raw))
    except Exception as problem:  # a mail we cannot read cannot be posted
        raise DomainError(f"This mail cannot be read ({problem}): discard it.") from problem
    event = case_customer_message(
        case=case,
        sender=mail.sender or message.sender or "unknown sender",
        body=posted_text(mail),
        via=CustomerChannel.EMAIL,
        attachments=mail.attachments,
        message_id=mail.message_id,
        at=mail.sent_at,
    )
    message.case, message.event = case, event
    return message


def _post(row: InboundMessage, *, case: Case, mail: ParsedMail) -> None:
    """Post the message on ``case`` (the service's own transaction is a savepoint in ours: a
    refusal undoes only its part, and the message stays quarantined saying why)."""
    try:
        event = case_customer_message(
            case=case,
            sender=mail.sender,
            body=posted_text(mail),
            via=CustomerChannel.EMAIL,
            attachments=mail.attachments,
            message_id=mail.message_id,
            at=mail.sent_at,
        )
    except DomainError as refusal:
        row.reason = f"{case.reference} refused it: {refusal.message}"[:REASON_MAX]
        return
    row.state, row.event = InboundState.POSTED, event


def _raise(row: InboundMessage, *, inbox: TeamInbox, mail: ParsedMail) -> None:
    """Raise a new case from mail to a team inbox (``comms.mail_raise``, a savepoint in ours)."""
    try:
        case = case_raise_from_mail(
            inbox=inbox,
            sender=mail.sender,
            subject=mail.subject,
            body=posted_text(mail),
            attachments=mail.attachments,
        )
    except DomainError as refusal:
        row.reason = f"Mail to {inbox.address} raised no case: {refusal.message}"[:REASON_MAX]
        return
    row.state, row.case = InboundState.RAISED, case


def inbound_counts(messages: Sequence[InboundMessage]) -> dict[str, int]:
    """How many of ``messages`` ended in each state (for logs and the fetch's result)."""
    counts: dict[str, int] = {}
    for message in messages:
        counts[message.state] = counts.get(message.state, 0) + 1
    return counts
