"""The inbound webhook of hosted email: django-anymail receives the provider's post (its format,
its signature or basic auth), and hands the message here, to the same ``inbound_receive`` as
the IMAP fetch: ``/inbound/<provider>/`` (``comms.urls_inbound``; ``/inbound/mailgun/mime/``
for Mailgun's raw-MIME posts). A provider's webhook is off (404) until its security setting
is configured (``PROVIDERS``), so no post is taken unsigned or without a password.
"""

from __future__ import annotations

from typing import Any

from anymail.signals import AnymailInboundEvent
from anymail.webhooks.base import AnymailBaseWebhookView
from anymail.webhooks.mailgun import MailgunInboundWebhookView
from anymail.webhooks.postmark import PostmarkInboundWebhookView
from anymail.webhooks.sendgrid import SendGridInboundWebhookView
from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpRequest
from django.http.response import HttpResponseBase
from django.views.decorators.csrf import csrf_exempt

from comms.inbound import inbound_receive
from comms.models import InboundSource


def inbound_from_webhook(
    sender: Any, event: AnymailInboundEvent, esp_name: str, **kwargs: Any
) -> None:
    """anymail's ``inbound`` signal: receive the posted message (a provider that posts it again
    finds it received: the Message-ID is unique)."""
    message = event.message
    if message is None:
        return
    envelope = [message.envelope_recipient] if message.envelope_recipient else []
    inbound_receive(raw=message.as_bytes(), source=InboundSource.WEBHOOK, envelope_to=envelope)


# The providers whose inbound posts we take, each with the anymail setting without which its
# webhook is off (404): Mailgun signs its posts; Postmark and SendGrid only offer HTTP basic
# auth, so they need WEBHOOK_SECRET.
PROVIDERS: dict[str, tuple[type[AnymailBaseWebhookView], str]] = {
    "mailgun": (MailgunInboundWebhookView, "MAILGUN_WEBHOOK_SIGNING_KEY"),
    "postmark": (PostmarkInboundWebhookView, "WEBHOOK_SECRET"),
    "sendgrid": (SendGridInboundWebhookView, "WEBHOOK_SECRET"),
}


@csrf_exempt
@login_not_required
def inbound_webhook(request: HttpRequest, provider: str) -> HttpResponseBase:
    """anymail's inbound view of ``provider``, when its security setting is configured."""
    view_class, required = PROVIDERS.get(provider, (None, ""))
    if view_class is None or not settings.ANYMAIL.get(required):
        raise Http404("No such inbound webhook.")
    return view_class.as_view()(request)
