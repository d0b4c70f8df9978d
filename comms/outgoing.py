"""A customer-facing update, mailed to the case's contact and its CC contacts.

The update service (``cases.services.case_add_note(customer_facing=True)``) announces
``CustomerUpdatePosted`` inside its transaction; ``update_mail_queue`` then, in that same
transaction:

1. Collects the recipients: the case's contact, then its CC contacts, each address once
   (compared without regard to case), none without an address.
2. Renders one message per language of its recipients (plain text and HTML, the status link,
   the signed reply address; each in its contact's ``language``, the site's default for none)
   and puts one outbox row per recipient, each with its own Message-ID, ``To``/``Cc`` headers that
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
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db.models import F, Q, Window
from django.db.models.functions import Lower, RowNumber
from django.template.loader import get_template
from django.utils import translation

from cases.events import CustomerUpdatePosted
from cases.models import Case, CaseEvent, Contact
from comms.models import CaseCc, Delivery
from comms.status_links import status_urls_for
from comms.threading import message_id_for, reply_address_for
from sla.outbox import Mail, outbox_add

# How many earlier Message-IDs a mail's References names: enough to thread, short as a header.
REFERENCES_MAX = 10


@dataclass(frozen=True)
class Recipient:
    email: str
    name: str
    cc: bool
    # The contact's language ("" for the site's default).
    language: str = ""


def update_recipients(*, case: Case) -> list[Recipient]:
    """Who a customer-facing update of ``case`` goes to: its contact, then its CC contacts by
    name, each address once. Two queries."""
    return updates_recipients(cases=[case])[case.pk]


def updates_recipients(*, cases: Sequence[Case]) -> dict[int, list[Recipient]]:
    """``update_recipients`` of many cases, by case id: two queries, however many cases."""
    ccs: defaultdict[int, list[int]] = defaultdict(list)
    for case_id, contact_id in CaseCc.objects.filter(case__in=cases).values_list(
        "case_id", "contact_id"
    ):
        ccs[case_id].append(contact_id)
    wanted = {c.contact_id for c in cases if c.contact_id} | {i for v in ccs.values() for i in v}
    contacts = list(
        Contact.objects.filter(pk__in=wanted)
        .exclude(email="")
        .order_by("name", "pk")
        .values_list("pk", "name", "email", "language")
    )
    found: dict[int, list[Recipient]] = {}
    for case in cases:
        mine = {case.contact_id, *ccs[case.pk]}
        # Stable: the contact first, then the CC contacts by name.
        ordered = sorted(
            (r for r in contacts if r[0] in mine), key=lambda r: r[0] != case.contact_id
        )
        recipients: list[Recipient] = []
        seen: set[str] = set()
        for pk, name, email, language in ordered:
            if email.lower() not in seen:
                recipients.append(
                    Recipient(email, name, cc=pk != case.contact_id, language=language)
                )
                seen.add(email.lower())
        found[case.pk] = recipients
    return found


def _earlier_message_ids(*, addressed: Mapping[int, list[str]]) -> dict[tuple[int, str], list[str]]:
    """Per case and recipient address (lower-cased), the Message-IDs of the case's last
    ``REFERENCES_MAX`` updates sent to it, oldest first. One query."""
    earlier: defaultdict[tuple[int, str], list[str]] = defaultdict(list)
    wanted = Q()
    for case_id, emails in addressed.items():
        wanted |= Q(case_id=case_id, recipient__in=emails)
    if not addressed:
        return earlier
    rows = (
        Delivery.objects.filter(wanted)
        .annotate(
            newest=Window(
                RowNumber(),
                partition_by=[F("case_id"), Lower("recipient")],
                order_by=[F("created_at").desc(), F("id").desc()],
            )
        )
        .filter(newest__lte=REFERENCES_MAX)
        .order_by("case_id", "-created_at", "-id")
        .values_list("case_id", "recipient", "message_id")
    )
    for case_id, recipient, message_id in rows:
        earlier[(case_id, recipient.lower())].insert(0, message_id)
    return earlier


def update_mail_queue(*, case: Case, update: CaseEvent, now: datetime) -> list[Delivery]:
    """Put ``update`` (an UPDATE event of ``case``) in the outbox for each recipient and
    record the deliveries, in the caller's transaction (see the module docstring)."""
    return updates_mail_queue(updates=[(case, update)], now=now)


def updates_mail_queue(
    *, updates: Sequence[tuple[Case, CaseEvent]], now: datetime
) -> list[Delivery]:
    """``update_mail_queue`` of many updates (one a case) at once: the recipients, status
    links and earlier Message-IDs of all their cases read together, one insert of outbox rows
    and one of deliveries, whatever their number."""
    cases = [case for case, _ in updates]
    recipients = updates_recipients(cases=cases)
    updates = [(case, update) for case, update in updates if recipients[case.pk]]
    if not updates:
        return []
    status_urls = status_urls_for([case for case, _ in updates])
    earlier = _earlier_message_ids(
        addressed={case.pk: [r.email for r in recipients[case.pk]] for case, _ in updates}
    )
    text_template = get_template("comms/mail/update.txt")
    html_template = get_template("comms/mail/update.html")
    mails: list[Mail] = []
    planned: list[tuple[Case, CaseEvent, Recipient, str]] = []
    for case, update in updates:
        mine = recipients[case.pk]
        context = {
            "case": case,
            "update": update,
            "status_url": status_urls[case.pk],
            "greeting": mine[0].name if not mine[0].cc else "",
        }
        rendered: dict[str, tuple[str, str]] = {}
        for language in {r.language or settings.LANGUAGE_CODE for r in mine}:
            with translation.override(language):
                rendered[language] = (text_template.render(context), html_template.render(context))
        subject = f"[{case.reference}] {case.title}"
        reply_to = reply_address_for(case)
        shown_to = [r.email for r in mine if not r.cc] or [mine[0].email]
        shown_cc = [r.email for r in mine if r.email not in shown_to]
        for recipient in mine:
            message_id = message_id_for(update.pk)
            headers = {"Reply-To": reply_to, "Message-ID": message_id, "To": ", ".join(shown_to)}
            if shown_cc:
                headers["Cc"] = ", ".join(shown_cc)
            references = earlier.get((case.pk, recipient.email.lower()))
            if references:
                headers["References"] = " ".join(references)
                headers["In-Reply-To"] = references[-1]
            text, html = rendered[recipient.language or settings.LANGUAGE_CODE]
            mails.append(Mail(recipient.email, subject, text, html=html, headers=headers))
            planned.append((case, update, recipient, message_id))
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
        for (case, update, recipient, message_id), row in zip(planned, rows, strict=True)
    )


def update_mails_on_updates_posted(events: Sequence[CustomerUpdatePosted]) -> None:
    """The ``CustomerUpdatePosted`` handler (``subscribe_many``): all the updates of one
    announcement mailed together."""
    if events:
        updates_mail_queue(updates=[(e.case, e.update) for e in events], now=events[0].at)
