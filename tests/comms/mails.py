"""Customer mail as a mail server hands it over: raw RFC 5322 bytes, built with the stdlib."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from django.utils import timezone


def customer_mail(
    *,
    to: str,
    sender: str = "dana@customer.example",
    subject: str = "Re: [ESC-000001] Checkout fails",
    body: str = "Still failing for us after the restart.\n",
    message_id: str | None = None,
    headers: Mapping[str, str] | None = None,
    attachments: Sequence[tuple[str, str, bytes]] = (),
) -> bytes:
    """One mail from ``sender`` to ``to``; ``attachments`` are (name, type, content)."""
    message = EmailMessage()
    message["From"] = f"Dana Customer <{sender}>"
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = format_datetime(timezone.now())
    message["Message-ID"] = message_id or make_msgid(domain="customer.example")
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content(body)
    for name, content_type, content in attachments:
        maintype, _, subtype = content_type.partition("/")
        message.add_attachment(content, maintype=maintype, subtype=subtype, filename=name)
    return message.as_bytes()


def bounce_mail(*, to: str, original: bytes) -> bytes:
    """A delivery status report from the mailer daemon about ``original``."""
    message = EmailMessage()
    message["From"] = "Mail Delivery System <MAILER-DAEMON@mx.customer.example>"
    message["To"] = to
    message["Subject"] = "Undelivered Mail Returned to Sender"
    message["Message-ID"] = make_msgid(domain="mx.customer.example")
    message.set_content("This is the mail system. Your message could not be delivered.\n")
    message.make_mixed()
    message.set_type("multipart/report")
    message.set_param("report-type", "delivery-status")
    status = EmailMessage()
    status.set_content(
        "Reporting-MTA: dns; mx.customer.example\n\n"
        "Final-Recipient: rfc822; gone@customer.example\nAction: failed\nStatus: 5.1.1\n"
    )
    message.attach(status)
    return message.as_bytes()
