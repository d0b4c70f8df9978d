"""Mail raises a case: a team's inbox address (``TeamInbox``, switched on by an admin) turns a
mail from a known customer contact that threads to no case into a new case for the team, which
its operators then check like any new case. Anything else goes back to the caller, which
quarantines it (``comms.inbound``): an unknown sender never raises a case."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction

from cases.models import Case, Contact, Source
from cases.models.case import TITLE_MAX
from cases.services import case_raise
from cases.services.customer import customer_body_clean
from comms.models import TeamInbox
from escalation.errors import DomainError

NO_SUBJECT = "(no subject)"
NO_TEXT = "(The mail had no text.)"


def team_inbox_for(addresses: Iterable[str]) -> TeamInbox | None:
    """The switched-on team inbox among a mail's recipients (To, Cc, Delivered-To), if any."""
    folded = {a.strip().lower() for a in addresses if a and a.strip()}
    if not folded:
        return None
    return (
        TeamInbox.objects.select_related("team", "raise_as", "product", "category")
        .filter(address__in=folded, enabled=True)
        .order_by("address")
        .first()
    )


def contact_for_sender(sender: str) -> Contact:
    """The one active customer's contact with ``sender``'s address; refused when there is none
    or when contacts of several customers share it (no guessing whose case it is)."""
    address = sender.strip()
    contacts = list(
        Contact.objects.select_related("customer")
        .filter(email__iexact=address, customer__is_active=True)
        .order_by("id")
    )
    if not address or not contacts:
        raise DomainError(f"{address or 'The sender'} is not the address of a customer contact.")
    customers = {c.customer_id for c in contacts}
    if len(customers) > 1:
        raise DomainError(
            f"{address} is the address of contacts of {len(customers)} customers: "
            "a manager decides whose case it is."
        )
    return contacts[0]


def subject_title(subject: str) -> str:
    """A mail's subject as a case title: one line, printable characters only, within the limit
    (a title must not be refused for how a mail client folded or encoded it)."""
    text = " ".join("".join(c if c.isprintable() else " " for c in subject or "").split())
    if len(text) > TITLE_MAX:
        text = text[: TITLE_MAX - 1].rstrip() + "…"
    return text or NO_SUBJECT


def case_raise_from_mail(
    *,
    inbox: TeamInbox,
    sender: str,
    subject: str,
    body: str,
    attachments: Sequence[tuple[str, str, bytes]] = (),
) -> Case:
    """Raise a new case from a mail sent to ``inbox`` by a customer contact.

    1. Refuse (``DomainError``, for the caller to quarantine the mail saying why) when the
       inbox is switched off, or the sender is not one customer's contact.
    2. Raise the case through ``cases.services.case_raise`` (source email, the inbox's team,
       severity, product and category; raised by the inbox's ``raise_as`` account): the
       subject is its title, the mail's text its description (long text cut with a note),
       the mail's files its attachments, checked as uploads are.
    3. All in one transaction, inside the caller's: the caller's record of the mail (unique
       by its Message-ID, ``comms.models.InboundMessage``) commits with the case, so a mail
       fetched twice raises one case.
    """
    if not inbox.enabled:
        raise DomainError(f"Mail to {inbox.address} does not raise cases: it is switched off.")
    contact = contact_for_sender(sender)
    description, _ = customer_body_clean(body)
    uploads = [
        SimpleUploadedFile(name, content, content_type=content_type)
        for name, content_type, content in attachments
    ]
    try:
        with transaction.atomic():
            return case_raise(
                raised_by=inbox.raise_as,
                customer=contact.customer,
                contact=contact,
                title=subject_title(subject),
                description=description or NO_TEXT,
                severity=inbox.severity,
                product=inbox.product,
                category=inbox.category,
                source=Source.EMAIL,
                team=inbox.team,
                attachments=uploads,
            )
    except PermissionDenied:
        raise DomainError(
            f"{inbox.raise_as} may not raise cases: give {inbox.address} an operator or "
            "manager to raise them as."
        ) from None
