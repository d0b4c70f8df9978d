"""Hosted email's inbound webhooks (comms.webhook); no login: each provider's signature or
password is the key."""

from django.urls import path

from comms.webhook import inbound_webhook

app_name = "inbound"

urlpatterns = [
    path("<slug:provider>/", inbound_webhook, name="webhook"),
    # Mailgun posts the raw message (body-mime) to a URL that ends in "mime".
    path("<slug:provider>/mime/", inbound_webhook, name="webhook_mime"),
]
