"""Which case a customer's email belongs to: the signed reply address, then our Message-IDs.

Every update mail says ``Reply-To: support+<token>@example.com`` (from ``COMMS_REPLY_ADDRESS``):
the token is the case id signed with ``django.core.signing`` (own salt, no expiry: a customer
may answer a month-old mail), so a reply lands on its case and a made-up or altered token on
none. Some mail servers lower-case the local part of an address, so the signature is compared
without regard to case (a 22-character signature keeps well over 100 bits that way) and kept
short enough for the 64-character limit of a local part.

A mail client that drops the reply address still quotes our Message-ID in ``In-Reply-To`` /
``References``: ``message_id_for`` makes one per update mail, and each delivery keeps it
(``comms.models.Delivery.message_id``), so the fallback finds the case through a delivery we
recorded, never by reading an id out of a header a sender can write.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Sequence
from email.utils import getaddresses

from django.conf import settings
from django.core import signing
from django.utils.crypto import constant_time_compare

from cases.models import Case
from comms.models import Delivery

SALT = "comms.reply-address"
SIGNATURE_LENGTH = 22
# The tag after "+": the case id, a dot, the signature (base64url, so no dot in it).
_TAG = re.compile(rf"^([1-9][0-9]{{0,11}})\.([A-Za-z0-9_-]{{{SIGNATURE_LENGTH}}})$")
MESSAGE_ID_PREFIX = "case-event-"


def _signer() -> signing.Signer:
    return signing.Signer(salt=SALT, sep=".")


def _signature(case_id: int) -> str:
    return _signer().sign(str(case_id)).rpartition(".")[2][:SIGNATURE_LENGTH]


def reply_mailbox() -> tuple[str, str]:
    """The local part and domain of ``COMMS_REPLY_ADDRESS``, the domain lower-cased."""
    local, _, domain = settings.COMMS_REPLY_ADDRESS.rpartition("@")
    return local, domain.lower()


def reply_domain() -> str:
    return reply_mailbox()[1]


def reply_address_for(case: Case) -> str:
    """The address a customer's answer about ``case`` goes to: ``support+<id>.<sig>@domain``."""
    local, domain = reply_mailbox()
    return f"{local}+{case.pk}.{_signature(case.pk)}@{domain}"


def case_id_for_reply_address(address: str) -> int | None:
    """The case id an address signed by ``reply_address_for`` names; None for any other
    address (another mailbox, no tag, a tag that fails its signature). No query."""
    local, domain = reply_mailbox()
    for _, plain in getaddresses([address]):
        base, at, their_domain = plain.rpartition("@")
        their_local, plus, tag = base.partition("+")
        if not (at and plus) or their_domain.lower() != domain:
            continue
        if their_local.lower() != local.lower():
            continue
        match = _TAG.match(tag)
        if match is None:
            continue
        case_id = int(match.group(1))
        if constant_time_compare(match.group(2).lower(), _signature(case_id).lower()):
            return case_id
    return None


def case_for_reply_address(address: str) -> Case | None:
    """The case of a signed reply address (see ``case_id_for_reply_address``), if it exists."""
    case_id = case_id_for_reply_address(address)
    if case_id is None:
        return None
    return Case.objects.filter(pk=case_id).first()


def message_id_for(event_id: int) -> str:
    """A fresh Message-ID for the mail of the timeline event ``event_id`` (an update):
    ``<case-event-<id>.<random>@<reply domain>>``; the random part keeps it unguessable."""
    return f"<{MESSAGE_ID_PREFIX}{event_id}.{secrets.token_hex(8)}@{reply_domain()}>"


def is_our_message_id(message_id: str) -> bool:
    """Whether a Message-ID has the shape ``message_id_for`` gives ours (our own mail coming
    back: a copy, a loop). Shape only: a sender can write it, so it never threads a message."""
    text = message_id.strip().strip("<>").lower()
    local, _, domain = text.rpartition("@")
    return local.startswith(MESSAGE_ID_PREFIX) and domain == reply_domain()


def message_ids_in(header: str) -> list[str]:
    """The ``<...>`` ids of an In-Reply-To or References header, in order."""
    return re.findall(r"<[^<>\s]+>", header)


def case_for_message_ids(ids: Sequence[str]) -> Case | None:
    """The case of the latest of ``ids`` that one of our deliveries carried; None when none did.

    ``ids`` in header order (References lists the oldest first), so the newest known one wins.
    """
    wanted = [value.strip() for value in ids if value.strip()][-50:]
    if not wanted:
        return None
    found = dict(
        Delivery.objects.filter(message_id__in=wanted).values_list("message_id", "case_id")
    )
    for value in reversed(wanted):
        if value in found:
            return Case.objects.filter(pk=found[value]).first()
    return None
