"""A customer writes to a case: the one service every inbound path (mail fetched over IMAP, the
inbound webhook, the status page) calls to put a customer message on the timeline."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.events import CustomerReplied, announce
from cases.models import Attachment, Case, CaseEvent, CustomerChannel, EventKind, Status
from cases.services.attachments import (
    FILES_MAX,
    attachment_check,
    attachment_store,
    attachments_discard,
)
from cases.services.common import case_lock, case_touch_and_sync
from cases.timeline import event_record
from escalation.errors import DomainError
from escalation.text import TEXT_MAX, text_clean

# The status event's reason when a customer's message ends the wait on them.
CUSTOMER_REPLIED = "Customer replied"
SENDER_MAX = 254  # an email address at its longest (RFC 5321)
MESSAGE_ID_MAX = 998  # a mail header line at its longest (RFC 5322)


def customer_body_clean(body: str) -> tuple[str, int]:
    """The message's text within ``TEXT_MAX``: a longer one (a mail quoting a long thread) is
    cut with a note saying so rather than refused, so a real reply is never lost for its
    length. Returns (text, characters cut)."""
    text = (body or "").replace("\r\n", "\n").strip()
    cut = 0
    if len(text) > TEXT_MAX:
        keep = TEXT_MAX - 100
        cut = len(text) - keep
        text = f"{text[:keep].rstrip()}\n\n[Message shortened: {cut:,} more characters were cut.]"
    return text_clean(text, field="body", label=_("Message"), max_length=TEXT_MAX), cut


def case_customer_message(
    *,
    case: Case,
    sender: str,
    body: str,
    via: str,
    attachments: Sequence[tuple[str, str, bytes]] = (),
    message_id: str = "",
    at: datetime | None = None,
) -> CaseEvent:
    """Post what the customer wrote on ``case``'s timeline, as a customer message.

    ``via`` is a ``CustomerChannel``; ``attachments`` are (file name, content type, content),
    checked as uploads are; ``at`` is when the customer wrote (default now, never later).

    1. Check everything before writing: the sender, the text (cut with a note past
       ``TEXT_MAX``), each file (a refused file refuses the whole message: nothing is written,
       so the inbound path can quarantine it whole).
    2. Lock the case. A closed case takes no more messages: refused, saying why (mail is
       quarantined for a manager, who may raise a new case; the status page shows the error).
       A resolved case takes it (the owner is told and decides whether to reopen), but its
       status and clocks stay as they are.
    3. A message already posted (same non-empty ``message_id`` on this case) is returned as it
       is: a retried delivery posts nothing twice.
    4. Store the files (on the customer's behalf: no uploader), write the customer message;
       a case waiting on the customer is in progress again (a status event, "Customer
       replied"); an open case notes the contact, from which its update clock runs again.
    5. Announce ``CaseChanged`` (the clocks re-align) and ``CustomerReplied`` (the owner is
       told), in this transaction: a failure anywhere rolls everything back and removes the
       stored files.
    """
    if via not in CustomerChannel.values:
        raise DomainError(
            _("%(via)s is not a way a customer writes to a case.") % {"via": repr(via)}, field="via"
        )
    sender = text_clean(
        sender,
        field="sender",
        label=_("Sender"),
        max_length=SENDER_MAX,
        required=True,
        multiline=False,
    )
    message_id = text_clean(
        message_id,
        field="message_id",
        label=_("Message-ID"),
        max_length=MESSAGE_ID_MAX,
        multiline=False,
    )
    text, cut = customer_body_clean(body)
    if not text and not attachments:
        raise DomainError(_("The message is empty."), field="body")
    if len(attachments) > FILES_MAX:
        raise DomainError(
            _("A message may bring at most %(max)s files, not %(count)s.")
            % {"max": FILES_MAX, "count": len(attachments)},
            field="attachments",
        )
    uploads = [
        SimpleUploadedFile(name, content, content_type=content_type)
        for name, content_type, content in attachments
    ]
    checked = [attachment_check(upload) for upload in uploads]

    stored: list[Attachment] = []
    try:
        with transaction.atomic():
            case = case_lock(case)
            if case.status == Status.CLOSED:
                raise DomainError(
                    _("%(case)s is closed: it takes no more messages; a new case has to be raised.")
                    % {"case": case.reference}
                )
            if message_id:
                posted = case.events.filter(
                    kind=EventKind.CUSTOMER_MESSAGE, data__message_id=message_id
                ).first()
                if posted is not None:
                    return posted
            now = timezone.now()
            wrote_at = min(at, now) if at is not None else now
            for upload, (name, content_type) in zip(uploads, checked, strict=True):
                stored.append(
                    attachment_store(
                        case=case, by=None, upload=upload, name=name, content_type=content_type
                    )
                )
            message = event_record(
                case=case,
                actor=None,
                kind=EventKind.CUSTOMER_MESSAGE,
                to_value=sender,
                body=text,
                data={
                    "sender": sender,
                    "via": via,
                    "message_id": message_id,
                    "at": wrote_at.isoformat(),
                    "status": case.status,
                    "cut": cut,
                    "attachments": [
                        {
                            "id": a.pk,
                            "token": a.token,
                            "name": a.original_name,
                            "size": a.size,
                            "type": a.content_type,
                        }
                        for a in stored
                    ],
                },
            )
            fields = _customer_contact(case, at=wrote_at)
            case_touch_and_sync(case, now=now, fields=fields)
            announce(CustomerReplied(case=case, at=wrote_at, event=message))
    except BaseException:
        attachments_discard(stored)
        raise
    return message


def _customer_contact(case: Case, *, at: datetime) -> list[str]:
    """Note the customer's contact on an open case, and end its wait on the customer; the
    fields changed (a finished case keeps its status and stopped clocks)."""
    if case.status not in Status.OPEN:
        return []
    fields = []
    if case.last_customer_contact_at is None or at > case.last_customer_contact_at:
        case.last_customer_contact_at = at
        fields.append("last_customer_contact_at")
    if case.status == Status.WAITING:
        case.status = Status.IN_PROGRESS
        fields.append("status")
        event_record(
            case=case,
            actor=None,
            kind=EventKind.STATUS,
            from_value=Status.WAITING,
            to_value=Status.IN_PROGRESS,
            reason=CUSTOMER_REPLIED,
        )
    return fields
