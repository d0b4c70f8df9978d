"""The inbound webhook of hosted email (django-anymail), Mailgun's raw-MIME format, signed."""

from __future__ import annotations

import hashlib
import hmac
import time

import pytest
from django.test import Client

from cases.models import Case, EventKind, Status
from comms.models import InboundMessage, InboundSource, InboundState
from comms.threading import reply_address_for
from tests.comms.mails import customer_mail
from tests.factories import CaseFactory, ContactFactory

SIGNING_KEY = "mailgun-signing-key"
URL = "/inbound/mailgun/mime/"
BASIC = "inbound:webhook-password"


@pytest.fixture
def case(db: None) -> Case:
    contact = ContactFactory(name="Dana Customer", email="dana@customer.example")
    return CaseFactory(customer=contact.customer, contact=contact, status=Status.WAITING)


@pytest.fixture(autouse=True)
def _anymail(settings) -> None:  # type: ignore[no-untyped-def]
    settings.ANYMAIL = {"MAILGUN_WEBHOOK_SIGNING_KEY": SIGNING_KEY, "WEBHOOK_SECRET": BASIC}


def mailgun_post(raw: bytes, *, recipient: str, key: str = SIGNING_KEY) -> dict[str, str]:
    timestamp, token = str(int(time.time())), "a" * 50
    signature = hmac.new(key.encode(), f"{timestamp}{token}".encode(), hashlib.sha256).hexdigest()
    return {
        "body-mime": raw.decode(),
        "recipient": recipient,
        "sender": "dana@customer.example",
        "timestamp": timestamp,
        "token": token,
        "signature": signature,
    }


def post(data: dict[str, str], *, auth: str = BASIC):  # type: ignore[no-untyped-def]
    import base64

    header = "Basic " + base64.b64encode(auth.encode()).decode()
    return Client().post(URL, data, HTTP_AUTHORIZATION=header)


def test_a_signed_mailgun_post_is_posted_on_its_case_once(case: Case) -> None:
    address = reply_address_for(case)
    data = mailgun_post(customer_mail(to="Support <support@example.com>"), recipient=address)
    assert post(data).status_code == 200
    assert post(data).status_code == 200  # the provider retries: still one message
    [event] = case.events.filter(kind=EventKind.CUSTOMER_MESSAGE)
    assert event.data["via"] == "email"
    message = InboundMessage.objects.get()
    assert (message.source, message.state) == (InboundSource.WEBHOOK, InboundState.POSTED)


def test_a_wrong_signature_or_password_is_refused(case: Case) -> None:
    raw = customer_mail(to=reply_address_for(case))
    forged = mailgun_post(raw, recipient=reply_address_for(case), key="not-the-key")
    assert post(forged).status_code == 400
    good = mailgun_post(raw, recipient=reply_address_for(case))
    assert post(good, auth="inbound:wrong").status_code == 400
    assert not InboundMessage.objects.exists()
    assert not case.events.filter(kind=EventKind.CUSTOMER_MESSAGE).exists()
