"""Writes of comms' outgoing side: a case's CC contacts, the managers' reply templates, sending
failed update mail again. (The update mail itself: ``comms.outgoing``.)"""

from __future__ import annotations

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from cases.models import Case, Contact, EventKind, Status, Team
from cases.permissions import can_work
from cases.timeline import event_record
from comms.macros import placeholder_problems
from comms.models import CaseCc, ReplyTemplate
from comms.selectors import DeliveryState, case_failed_deliveries
from escalation.errors import DomainError
from escalation.roles import is_manager
from escalation.text import TEXT_MAX, text_clean
from sla.outbox import outbox_resend

# The timeline names a CC change as an edited detail of this name.
CC_FIELD = gettext_noop("CC contacts")
CC_MAX = 20


def _require_work(by: User, case: Case) -> None:
    if not can_work(by, case):
        raise PermissionDenied(_("You may not change who this case's updates go to."))


def _cc_label(contact: Contact) -> str:
    return f"{contact.name} <{contact.email}>"


def case_cc_add(
    *, case: Case, by: User, name: str = "", email: str = "", contact: Contact | None = None
) -> CaseCc:
    """Copy ``case``'s customer-facing updates to one more contact of its customer: an
    existing ``contact``, or a new one made from ``name`` and ``email``. The timeline says so."""
    _require_work(by, case)
    if case.status == Status.CLOSED:
        raise DomainError(
            _("%(reference)s is closed: its contacts cannot change.")
            % {"reference": case.reference}
        )
    with transaction.atomic():
        case = (
            Case.objects.select_for_update(of=("self",)).select_related("contact").get(pk=case.pk)
        )
        if contact is None:
            email = email.strip()
            if not email:
                raise DomainError(_("Choose a contact or give an email address."), field="email")
            try:
                validate_email(email)
            except ValidationError:
                raise DomainError(
                    _("%(email)r is not an email address.") % {"email": email}, field="email"
                ) from None
            contact = Contact.objects.filter(
                customer_id=case.customer_id, email__iexact=email
            ).first()
            if contact is None:
                clean = text_clean(
                    name, field="name", label=_("The name"), max_length=200, multiline=False
                )
                contact = Contact.objects.create(
                    customer_id=case.customer_id, name=clean or email, email=email
                )
        if contact.customer_id != case.customer_id:
            raise DomainError(_("That contact belongs to another customer."), field="contact")
        if not contact.email:
            raise DomainError(
                _("%(name)s has no email address.") % {"name": contact.name}, field="contact"
            )
        if case.contact is not None and case.contact.email.lower() == contact.email.lower():
            raise DomainError(
                _("%(email)s is the case's contact: the updates go there anyway.")
                % {"email": contact.email},
                field="contact",
            )
        if CaseCc.objects.filter(case=case).count() >= CC_MAX:
            raise DomainError(_("A case has at most %(limit)s CC contacts.") % {"limit": CC_MAX})
        try:
            with transaction.atomic():
                cc = CaseCc.objects.create(
                    case=case, contact=contact, added_by=by, added_at=timezone.now()
                )
        except IntegrityError:
            raise DomainError(
                _("%(name)s already gets this case's updates.") % {"name": contact.name},
                field="contact",
            ) from None
        event_record(
            case=case,
            actor=by,
            kind=EventKind.EDITED,
            to_value=_cc_label(contact),
            data={"field": CC_FIELD, "contact": contact.pk},
        )
    return cc


def case_cc_remove(*, case: Case, cc_id: int, by: User) -> None:
    """Stop copying ``case``'s updates to one of its CC contacts; the timeline says so."""
    _require_work(by, case)
    with transaction.atomic():
        case = Case.objects.select_for_update().get(pk=case.pk)
        cc = CaseCc.objects.filter(case=case, pk=cc_id).select_related("contact").first()
        if cc is None:
            raise DomainError(_("That contact gets no copies of this case's updates."))
        cc.delete()
        event_record(
            case=case,
            actor=by,
            kind=EventKind.EDITED,
            from_value=_cc_label(cc.contact),
            data={"field": CC_FIELD, "contact": cc.contact_id},
        )


def case_deliveries_resend(*, case: Case, by: User) -> int:
    """Give the case's update mail that failed for good a fresh set of tries, now; the
    number of messages queued again."""
    _require_work(by, case)
    failed = [
        d.mail_id for d in case_failed_deliveries(case=case) if d.state == DeliveryState.FAILED
    ]
    return outbox_resend(mail_ids=failed, now=timezone.now())


def _require_manager(by: User) -> None:
    if not is_manager(by):
        raise PermissionDenied(_("Only escalation managers keep the reply templates."))


def reply_template_save(
    *, by: User, name: str, body: str, team: Team | None, template: ReplyTemplate | None = None
) -> ReplyTemplate:
    """Create (``template`` None) or change a reply template. Refused: a placeholder that is
    not one, and a name its team (or the shared templates) already uses."""
    _require_manager(by)
    name = text_clean(
        name, field="name", label=_("The name"), max_length=100, required=True, multiline=False
    )
    body = text_clean(body, field="body", label=_("The text"), max_length=TEXT_MAX, required=True)
    problems = placeholder_problems(body)
    if problems:
        raise DomainError(" ".join(problems), field="body")
    if template is None:
        template = ReplyTemplate()
    template.name, template.body, template.team = name, body, team
    template.updated_by, template.updated_at = by, timezone.now()
    try:
        with transaction.atomic():
            template.save()
    except IntegrityError:
        if team:
            text = _("%(team)s's templates already have one named %(name)r.")
        else:
            text = _("The shared templates already have one named %(name)r.")
        raise DomainError(
            text % {"team": team.name if team else "", "name": name}, field="name"
        ) from None
    return template


def reply_template_delete(*, by: User, template: ReplyTemplate) -> None:
    _require_manager(by)
    template.delete()
