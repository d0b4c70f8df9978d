"""Who may open the pages of comms' incoming side (see tests/access.py)."""

from __future__ import annotations

from typing import Any

from tests.access import MANAGER, PERSONAS, Rule, World

POST_ONLY = frozenset({405})


def _mailgun(world: World) -> dict[str, Any]:
    return {"provider": "mailgun"}


def _message(world: World) -> dict[str, Any]:
    from django.utils import timezone

    from comms.models import InboundMessage, InboundSource, InboundState

    message = InboundMessage.objects.create(
        message_id="<access@customer.example>",
        source=InboundSource.IMAP,
        received_at=timezone.now(),
        raw=b"Subject: x\r\n\r\nx\r\n",
        state=InboundState.QUARANTINED,
    )
    return {"pk": message.pk}


RULES = {
    "comms:quarantine": Rule(allowed=frozenset({MANAGER})),
    "comms:quarantine_attach": Rule(
        allowed=frozenset({MANAGER}), kwargs=_message, ok_statuses=POST_ONLY
    ),
    "comms:quarantine_discard": Rule(
        allowed=frozenset({MANAGER}), kwargs=_message, ok_statuses=POST_ONLY
    ),
    # The provider's signature or password is the key, not a login: a GET is refused by the
    # webhook itself (404 while the provider is not configured, else 405), whoever asks.
    "inbound:webhook": Rule(
        allowed=frozenset(PERSONAS), kwargs=_mailgun, ok_statuses=frozenset({404, 405})
    ),
    "inbound:webhook_mime": Rule(
        allowed=frozenset(PERSONAS), kwargs=_mailgun, ok_statuses=frozenset({404, 405})
    ),
}
