"""Customer mail in (comms.inbound): threading, noise, quarantine, idempotency, attachments."""

from __future__ import annotations

import pytest
from django.utils import timezone

from cases.models import Case, CaseEvent, EventKind, Status
from comms.inbound import inbound_receive, reply_text
from comms.models import Delivery, InboundMessage, InboundSource, InboundState
from comms.threading import (
    case_for_reply_address,
    case_id_for_reply_address,
    message_id_for,
    reply_address_for,
)
from sla.models import OutgoingMail
from tests.comms.mails import bounce_mail, customer_mail
from tests.factories import CaseFactory, ContactFactory
from tests.threads import in_threads

DANA = "dana@customer.example"


@pytest.fixture
def case(db: None) -> Case:
    contact = ContactFactory(name="Dana Customer", email=DANA)
    return CaseFactory(customer=contact.customer, contact=contact, status=Status.WAITING)


def receive(raw: bytes) -> InboundMessage:
    return inbound_receive(raw=raw, source=InboundSource.IMAP)


def messages(case: Case) -> list[CaseEvent]:
    return list(case.events.filter(kind=EventKind.CUSTOMER_MESSAGE))


def test_reply_address_names_its_case_and_survives_lower_casing(case: Case, settings) -> None:  # type: ignore[no-untyped-def]
    address = reply_address_for(case)
    local, _, domain = settings.COMMS_REPLY_ADDRESS.partition("@")
    assert address.startswith(f"{local}+{case.pk}.") and address.endswith(f"@{domain}")
    assert case_for_reply_address(address) == case
    assert case_id_for_reply_address(f"Support <{address.lower()}>") == case.pk
    assert len(address.partition("@")[0]) <= 64


def test_altered_or_foreign_reply_addresses_name_no_case(case: Case) -> None:
    address = reply_address_for(case)
    local, _, domain = address.partition("@")
    tag = local.partition("+")[2]
    other_id = case.pk + 1
    assert case_id_for_reply_address(address.replace(f"+{case.pk}.", f"+{other_id}.")) is None
    altered = "y" if local[-1] == "x" else "x"  # the signature may end in "x" itself
    assert case_id_for_reply_address(f"{local[:-1]}{altered}@{domain}") is None
    assert case_id_for_reply_address(f"someone+{tag}@{domain}") is None
    assert case_id_for_reply_address(f"{local}@elsewhere.example") is None
    assert case_id_for_reply_address("not an address") is None


def test_a_reply_to_the_reply_address_is_posted_on_its_case(case: Case) -> None:
    raw = customer_mail(
        to=reply_address_for(case), body="Still failing.\n\nOn Mon, Bob wrote:\n> hi\n"
    )
    message = receive(raw)
    assert message.state == InboundState.POSTED
    [event] = messages(case)
    assert message.event == event
    assert event.body == "Still failing."
    assert event.data["via"] == "email" and event.data["sender"] == DANA
    case.refresh_from_db()
    assert case.status == Status.IN_PROGRESS


def test_the_same_mail_received_twice_is_posted_once(case: Case) -> None:
    raw = customer_mail(to=reply_address_for(case))
    first, second = receive(raw), receive(raw)
    assert first.pk == second.pk
    assert len(messages(case)) == 1
    assert InboundMessage.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_workers_receiving_the_same_mail_at_once_post_it_once() -> None:
    contact = ContactFactory(name="Dana Customer", email=DANA)
    case = CaseFactory(customer=contact.customer, contact=contact, status=Status.WAITING)
    raw = customer_mail(to=reply_address_for(case))
    rows: list[InboundMessage] = []
    errors = in_threads(lambda: rows.append(receive(raw)), lambda: rows.append(receive(raw)))
    assert errors == []
    assert len({row.pk for row in rows}) == 1
    assert InboundMessage.objects.count() == 1
    assert len(messages(case)) == 1


def test_attachments_are_kept_and_refused_types_named(case: Case) -> None:
    raw = customer_mail(
        to=reply_address_for(case),
        attachments=[
            ("trace.log", "text/plain", b"502 at 10:04\n"),
            ("setup.exe", "application/octet-stream", b"MZ\x90\x00"),
        ],
    )
    receive(raw)
    [event] = messages(case)
    assert [a["name"] for a in event.data["attachments"]] == ["trace.log"]
    assert case.attachments.get().file.read() == b"502 at 10:04\n"
    assert "setup.exe" in event.body and "Files not kept" in event.body


def test_in_reply_to_one_of_our_deliveries_threads_without_the_address(case: Case) -> None:
    now = timezone.now()
    update = CaseEvent.objects.create(case=case, created_at=now, kind=EventKind.UPDATE, body="x")
    mail = OutgoingMail.objects.create(
        to=DANA, subject="s", body="b", created_at=now, next_attempt_at=now
    )
    ours = message_id_for(update.pk)
    Delivery.objects.create(
        case=case, event=update, recipient=DANA, message_id=ours, mail=mail, created_at=now
    )
    raw = customer_mail(to="support@example.com", headers={"In-Reply-To": ours, "References": ours})
    assert receive(raw).state == InboundState.POSTED
    assert len(messages(case)) == 1


@pytest.mark.parametrize(
    "headers",
    [
        {"Auto-Submitted": "auto-replied"},
        {"Precedence": "bulk"},
        {"Precedence": "auto_reply"},
        {"X-Autoreply": "yes"},
    ],
)
def test_auto_replies_are_recognised_and_not_posted(case: Case, headers: dict[str, str]) -> None:
    message = receive(customer_mail(to=reply_address_for(case), headers=headers))
    assert message.state == InboundState.AUTO_REPLY
    assert messages(case) == []


def test_auto_submitted_no_is_a_person(case: Case) -> None:
    message = receive(customer_mail(to=reply_address_for(case), headers={"Auto-Submitted": "no"}))
    assert message.state == InboundState.POSTED


def test_bounces_are_recognised_and_not_posted(case: Case) -> None:
    original = customer_mail(to="gone@customer.example")
    assert receive(bounce_mail(to=reply_address_for(case), original=original)).state == (
        InboundState.BOUNCE
    )
    empty_return = customer_mail(to=reply_address_for(case), headers={"Return-Path": "<>"})
    assert receive(empty_return).state == InboundState.BOUNCE
    assert messages(case) == []


def test_our_own_mail_coming_back_is_ignored(case: Case, settings) -> None:  # type: ignore[no-untyped-def]
    own = customer_mail(to=reply_address_for(case), sender=settings.COMMS_REPLY_ADDRESS)
    assert receive(own).state == InboundState.OWN
    looped = customer_mail(to=reply_address_for(case), message_id=message_id_for(7))
    assert receive(looped).state == InboundState.OWN
    assert messages(case) == []


def test_mail_without_a_valid_token_is_quarantined(case: Case) -> None:
    address = reply_address_for(case)
    forged = address.replace(f"+{case.pk}.", f"+{case.pk + 1}.")
    for to in ("support@example.com", forged):
        message = receive(customer_mail(to=to))
        assert message.state == InboundState.QUARANTINED
        assert message.case is None and "No valid reply address" in message.reason
    assert messages(case) == []


def test_an_unknown_sender_with_a_valid_token_is_quarantined(case: Case) -> None:
    message = receive(customer_mail(to=reply_address_for(case), sender="mallory@evil.example"))
    assert message.state == InboundState.QUARANTINED
    assert message.case == case and "not a contact" in message.reason
    assert messages(case) == []


def test_a_closed_case_refuses_the_mail_into_quarantine(case: Case) -> None:
    Case.objects.filter(pk=case.pk).update(status=Status.CLOSED)
    message = receive(customer_mail(to=reply_address_for(case)))
    assert message.state == InboundState.QUARANTINED
    assert "closed" in message.reason


def test_quoted_history_is_cut_conservatively() -> None:
    assert reply_text("Thanks!\n\nOn Tue, 1 Dec 2026, Bob wrote:\n> old") == "Thanks!"
    assert reply_text("Fine\n-----Original Message-----\nFrom: x") == "Fine"
    assert reply_text("New text\n> quoted\n> more\n") == "New text"
    assert reply_text("> only a quote") == "> only a quote"
    assert reply_text("a > b in the middle\nstays") == "a > b in the middle\nstays"
