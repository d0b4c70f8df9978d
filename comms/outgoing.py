"""A customer-facing update, mailed to the case's contact and its CC contacts.

The update service (``cases.services.case_add_note(customer_facing=True)``) announces
``CustomerUpdatePosted`` inside its transaction; ``update_mail_queue`` then, in that same
transaction:

1. Collects the recipients: the case's contact, then its CC contacts, each address once
   (compared without regard to case), none without an address.
2. Renders one message (plain text and HTML, the status link, the signed reply address) and
   puts one outbox row per recipient, each with its own Message-ID, ``To``/``Cc`` headers that
   show everyone it went to, and ``References`` to that recipient's earlier updates of the case
   so their mail client keeps one thread.
3. Records a ``Delivery`` per recipient, pointing at its outbox row: the row's status is the
   delivery's (waiting, sent, failed), so the timeline shows what the outbox knows.

The rows commit with the update or not at all, and reach the broker after commit
(``sla.outbox``), so the request never waits on the mail server. An internal note announces no
such event: it never leaves.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q
from django.template.loader import render_to_string

from cases.events import CustomerUpdatePosted
from cases.models import Case, CaseEvent, Contact
from comms.models import CaseCc, Delivery
from comms.status_links import status_url_for
from comms.threading import message_id_for, reply_address_for
from sla.outbox import Mail, outbox_add

# How many earlier Message-IDs a mail's References names: enough to thread, short as a header.
REFERENCES_MAX = 10


@dataclass(frozen=True)
class Recipient:
    email: str
    name: str
    cc: bool


def update_recipients(*, case: Case) -> list[Recipient]:
    """Who a customer-facing update of ``case`` goes to: its contact, then its CC contacts by
    name, each address once. One query."""
    cc_ids = CaseCc.objects.filter(case=case).values("contact_id")
    rows = (
        Contact.objects.filter(Q(pk=case.contact_id) | Q(pk__in=cc_ids))
        .exclude(email="")
        .order_by("name", "pk")
        .values_list("pk", "name", "email")
    )
    ordered = sorted(rows, key=lambda row: row[0] != case.contact_id)  # stable: the contact first
    found: list[Recipient] = []
    seen: set[str] = set()
    for pk, name, email in ordered:
        if email.lower() not in seen:
            found.append(Recipient(email, name, cc=pk != case.contact_id))
            seen.add(email.lower())
    return found


def _earlier_message_ids(*, case: Case, emails: list[str]) -> dict[str, list[str]]:
    """Per recipient address (lower-cased), the Message-IDs of the case's last updates sent
    to it, oldest first. One query."""
    earlier: defaultdict[str, list[str]] = defaultdict(list)
    rows = (
        Delivery.objects.filter(case=case, recipient__in=emails)
        .order_by("-created_at", "-id")
        .values_list("recipient", "message_id")[: REFERENCES_MAX * len(emails)]
    )
    for recipient, message_id in rows:
        ids = earlier[recipient.lower()]
        if len(ids) < REFERENCES_MAX:
            ids.insert(0, message_id)
    return earlier


def update_mail_queue(*, case: Case, update: CaseEvent, now: datetime) -> list[Delivery]:
    """Put ``update`` (an UPDATE event of ``case``) in the outbox for each recipient and
    record the deliveries, in the caller's transaction (see the module docstring)."""
    recipients = update_recipients(case=case)
    if not recipients:
        return []
    context = {
        "case": case,
        "update": update,
        "status_url": status_url_for(case),
        "greeting": recipients[0].name if not recipients[0].cc else "",
    }
    text = render_to_string("comms/mail/update.txt", context)
    html = render_to_string("comms/mail/update.html", context)
    subject = f"[{case.reference}] {case.title}"
    reply_to = reply_address_for(case)
    shown_to = [r.email for r in recipients if not r.cc] or [recipients[0].email]
    shown_cc = [r.email for r in recipients if r.email not in shown_to]
    earlier = _earlier_message_ids(case=case, emails=[r.email for r in recipients])
    message_ids = [message_id_for(update.pk) for _ in recipients]
    mails = []
    for recipient, message_id in zip(recipients, message_ids, strict=True):
        headers = {"Reply-To": reply_to, "Message-ID": message_id, "To": ", ".join(shown_to)}
        if shown_cc:
            headers["Cc"] = ", ".join(shown_cc)
        references = earlier.get(recipient.email.lower())
        if references:
            headers["References"] = " ".join(references)
            headers["In-Reply-To"] = references[-1]
        mails.append(Mail(recipient.email, subject, text, html=html, headers=headers))
    rows = outbox_add(mails=mails, now=now)
    return Delivery.objects.bulk_create(
        Delivery(
            case=case,
            event=update,
            recipient=recipient.email,
            cc=recipient.cc,
            message_id=message_id,
            mail=row,
            created_at=now,
        )
        for recipient, message_id, row in zip(recipients, message_ids, rows, strict=True)
    )


def update_mail_on_update_posted(event: CustomerUpdatePosted) -> None:
    update_mail_queue(case=event.case, update=event.update, now=event.at)
