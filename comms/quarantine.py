"""The quarantine: mail we could not put on a case by itself (no valid reply address or thread,
a sender who is not the customer's, a case that refused it). Managers review it: attach a
message to a case (it is posted there as the customer's) or discard it (kept, marked so).

Each decision claims the message with a conditional UPDATE on its state, so two managers
deciding at once decide it once; attaching posts in the same transaction, so a case that
refuses the message leaves it in quarantine.
"""

from __future__ import annotations

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.models import Case
from comms.inbound import inbound_post
from comms.models import InboundMessage, InboundState
from escalation.errors import DomainError
from escalation.roles import is_manager

SNIPPET_CHARS = 240


def quarantine_list() -> QuerySet[InboundMessage]:
    """The quarantined messages, newest first, without their raw bytes."""
    return (
        InboundMessage.objects.filter(state=InboundState.QUARANTINED)
        .select_related("case")
        .defer("raw")
        .order_by("-received_at", "-id")
    )


def _claim(message: InboundMessage, *, state: InboundState, by: User) -> None:
    if not is_manager(by):
        raise DomainError(_("Only escalation managers decide about quarantined mail."))
    claimed = InboundMessage.objects.filter(pk=message.pk, state=InboundState.QUARANTINED).update(
        state=state, handled_by=by, handled_at=timezone.now()
    )
    if not claimed:
        raise DomainError(_("Someone has already decided about this message."))


def quarantine_release(*, message: InboundMessage, reference: str, by: User) -> InboundMessage:
    """Post a quarantined message on the case ``reference`` names, as the customer's."""
    case_id = Case.pk_from_reference(reference)
    case = Case.objects.filter(pk=case_id).first() if case_id else None
    if case is None:
        raise DomainError(
            _("There is no case %(reference)s.")
            % {"reference": reference.strip() or _("(none given)")},
            field="reference",
        )
    with transaction.atomic():
        _claim(message, state=InboundState.RELEASED, by=by)
        message = InboundMessage.objects.get(pk=message.pk)
        inbound_post(message=message, case=case)
        message.save(update_fields=["case", "event"])
    return message


def quarantine_discard(*, message: InboundMessage, by: User) -> None:
    """Set a quarantined message aside for good (it stays listed as discarded)."""
    with transaction.atomic():
        _claim(message, state=InboundState.DISCARDED, by=by)
