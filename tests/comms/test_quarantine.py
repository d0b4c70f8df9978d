"""The managers' quarantine: an unknown sender's mail waits there until a manager attaches it
to a case or discards it; nobody else may."""

from __future__ import annotations

import pytest
from django.urls import reverse

from cases.models import Case, EventKind, Status
from comms.inbound import inbound_receive
from comms.models import InboundMessage, InboundSource, InboundState
from comms.threading import reply_address_for
from tests.comms.mails import customer_mail
from tests.conftest import client_for
from tests.factories import CaseFactory, ContactFactory


@pytest.fixture
def case(db: None) -> Case:
    contact = ContactFactory(name="Dana Customer", email="dana@customer.example")
    return CaseFactory(customer=contact.customer, contact=contact, status=Status.WAITING)


@pytest.fixture
def stranger_mail(case: Case) -> InboundMessage:
    raw = customer_mail(
        to="support@example.com",
        sender="new.person@customer.example",
        subject="Checkout broken again",
        body="Hello, our checkout fails since this morning.\n",
        attachments=[("screen.png", "image/png", b"\x89PNG\r\n\x1a\nfake")],
    )
    message = inbound_receive(raw=raw, source=InboundSource.IMAP)
    assert message.state == InboundState.QUARANTINED
    return message


def test_managers_see_quarantined_mail_with_sender_subject_and_snippet(
    bob,
    stranger_mail: InboundMessage,  # type: ignore[no-untyped-def]
) -> None:
    response = client_for(bob).get(reverse("comms:quarantine"))
    html = response.content.decode()
    assert response.status_code == 200
    assert "new.person@customer.example" in html and "Checkout broken again" in html
    assert "our checkout fails since this morning" in html


def test_a_manager_attaches_a_quarantined_mail_to_a_case(
    bob,
    case: Case,
    stranger_mail: InboundMessage,  # type: ignore[no-untyped-def]
) -> None:
    url = reverse("comms:quarantine_attach", args=[stranger_mail.pk])
    response = client_for(bob).post(url, {"reference": case.reference})
    assert response.status_code == 302
    [event] = case.events.filter(kind=EventKind.CUSTOMER_MESSAGE)
    assert event.data["sender"] == "new.person@customer.example"
    assert [a["name"] for a in event.data["attachments"]] == ["screen.png"]
    stranger_mail.refresh_from_db()
    assert (stranger_mail.state, stranger_mail.case, stranger_mail.event) == (
        InboundState.RELEASED,
        case,
        event,
    )
    assert stranger_mail.handled_by == bob
    # Gone from the list; a second attach (another tab) is refused, nothing posted twice.
    assert (
        "Checkout broken again"
        not in client_for(bob).get(reverse("comms:quarantine")).content.decode()
    )
    assert client_for(bob).post(url, {"reference": case.reference}).status_code == 404
    assert case.events.filter(kind=EventKind.CUSTOMER_MESSAGE).count() == 1


def test_an_unknown_reference_is_refused_and_the_mail_stays(
    bob,
    stranger_mail: InboundMessage,  # type: ignore[no-untyped-def]
) -> None:
    url = reverse("comms:quarantine_attach", args=[stranger_mail.pk])
    response = client_for(bob).post(url, {"reference": "ESC-999999"})
    assert response.status_code == 400
    assert "There is no case ESC-999999" in response.content.decode()
    stranger_mail.refresh_from_db()
    assert stranger_mail.state == InboundState.QUARANTINED


def test_a_closed_case_refuses_the_mail_and_it_stays_in_quarantine(
    bob,
    case: Case,
    stranger_mail: InboundMessage,  # type: ignore[no-untyped-def]
) -> None:
    Case.objects.filter(pk=case.pk).update(status=Status.CLOSED)
    url = reverse("comms:quarantine_attach", args=[stranger_mail.pk])
    response = client_for(bob).post(url, {"reference": case.reference})
    assert response.status_code == 400 and "is closed" in response.content.decode()
    stranger_mail.refresh_from_db()
    assert stranger_mail.state == InboundState.QUARANTINED


def test_a_manager_discards_a_quarantined_mail_which_is_kept(
    bob,
    stranger_mail: InboundMessage,  # type: ignore[no-untyped-def]
) -> None:
    response = client_for(bob).post(reverse("comms:quarantine_discard", args=[stranger_mail.pk]))
    assert response.status_code == 302
    stranger_mail.refresh_from_db()
    assert stranger_mail.state == InboundState.DISCARDED and stranger_mail.handled_by == bob


def test_operators_and_executives_may_not_decide_about_quarantined_mail(
    alice,
    erin,
    case: Case,
    stranger_mail: InboundMessage,  # type: ignore[no-untyped-def]
) -> None:
    for user in (alice, erin):
        client = client_for(user)
        assert client.get(reverse("comms:quarantine")).status_code == 403
        attach = reverse("comms:quarantine_attach", args=[stranger_mail.pk])
        assert client.post(attach, {"reference": case.reference}).status_code == 403
        discard = reverse("comms:quarantine_discard", args=[stranger_mail.pk])
        assert client.post(discard).status_code == 403
    stranger_mail.refresh_from_db()
    assert stranger_mail.state == InboundState.QUARANTINED
    assert not case.events.filter(kind=EventKind.CUSTOMER_MESSAGE).exists()


def test_a_valid_token_from_an_unknown_sender_is_offered_with_its_case(
    bob,
    case: Case,  # type: ignore[no-untyped-def]
) -> None:
    raw = customer_mail(to=reply_address_for(case), sender="colleague@customer.example")
    message = inbound_receive(raw=raw, source=InboundSource.IMAP)
    html = client_for(bob).get(reverse("comms:quarantine")).content.decode()
    assert message.state == InboundState.QUARANTINED
    assert f'value="{case.reference}"' in html
