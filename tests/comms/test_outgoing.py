"""A customer-facing update reaches the case's contact and its CC contacts by email, through the
outbox, at a real SMTP server (aiosmtpd): reference in the subject, the signed reply address,
our Message-ID, the status link, plain text and HTML. An internal note never leaves. Each
update's deliveries show on the timeline; a failed one shows on the case and is retried.

Personas of tests/conftest.py: alice (operator of the service desk, which holds the case), bob
(manager), charlie (operator of another team), erin (executive).
"""

from __future__ import annotations

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from cases.models import Case, CaseEvent, Contact, EventKind, Status
from cases.services import case_add_note
from comms.models import CaseCc, Delivery
from comms.outgoing import update_mail_queue
from comms.selectors import DeliveryState, deliveries_by_update
from comms.services import case_cc_add
from comms.status_links import case_for_status_token
from comms.threading import case_for_message_ids, case_for_reply_address
from escalation.errors import DomainError
from sla import tasks
from sla.models import MailStatus, OutgoingMail
from tests.cases.factories import case_in
from tests.conftest import client_for
from tests.factories import ContactFactory
from tests.sla.smtp import SmtpServer, smtp_server_fixture  # noqa: F401 - smtp_server

pytestmark = pytest.mark.django_db


@pytest.fixture
def case(service_desk, alice) -> Case:  # type: ignore[no-untyped-def]
    case = case_in(Status.IN_PROGRESS, team=service_desk, owner=alice, title="Checkout fails")
    case.contact = ContactFactory(customer=case.customer, name="Ana", email="ana@customer.example")
    case.save(update_fields=["contact"])
    return case


@pytest.fixture
def bo(case: Case) -> Contact:
    return ContactFactory(customer=case.customer, name="Bo", email="bo@customer.example")


def post_update(case: Case, by, body: str, capture, *, customer_facing: bool = True) -> CaseEvent:  # type: ignore[no-untyped-def]
    with capture(execute=True):
        return case_add_note(case=case, by=by, body=body, customer_facing=customer_facing)


def status_token(url: str) -> str:
    return url.rstrip("/").rsplit("/", 1)[-1]


# --- The mail at the SMTP server ---------------------------------------------------------------


def test_an_update_arrives_at_the_smtp_server_with_reference_reply_address_message_id_and_link(
    case: Case, alice, smtp_server: SmtpServer, django_capture_on_commit_callbacks
) -> None:
    update = post_update(
        case,
        alice,
        "We found the cause <b>& fix</b> it tonight.",
        django_capture_on_commit_callbacks,
    )
    [received] = smtp_server.received
    message = received.message
    assert message is not None
    assert received.to == "ana@customer.example"
    assert message["Subject"] == f"[{case.reference}] Checkout fails"
    assert case_for_reply_address(str(message["Reply-To"])) == case
    [delivery] = Delivery.objects.all()
    assert (delivery.event, delivery.recipient, delivery.cc) == (
        update,
        "ana@customer.example",
        False,
    )
    assert message["Message-ID"] == delivery.message_id
    assert case_for_message_ids([str(message["Message-ID"])]) == case
    assert message["To"] == "ana@customer.example" and message["Cc"] is None

    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert "Hello Ana," in text and "We found the cause <b>& fix</b> it tonight." in text
    assert "&lt;b&gt;&amp; fix&lt;/b&gt;" in html and "<b>& fix</b>" not in html
    [link] = [line for line in text.splitlines() if "/status/" in line]
    assert case_for_status_token(status_token(link.strip())) == case
    assert f'href="{link.strip()}"' in html
    assert delivery.mail.status == MailStatus.SENT


def test_an_internal_note_never_leaves(
    case: Case, alice, bo: Contact, smtp_server: SmtpServer, django_capture_on_commit_callbacks
) -> None:
    case_cc_add(case=case, by=alice, contact=bo)
    post_update(
        case,
        alice,
        "Root cause is our expired cert",
        django_capture_on_commit_callbacks,
        customer_facing=False,
    )
    assert smtp_server.received == [] and mail.outbox == []
    assert not OutgoingMail.objects.exists() and not Delivery.objects.exists()


def test_cc_contacts_get_their_own_copy_that_shows_everyone_it_went_to(
    case: Case, alice, bo: Contact, smtp_server: SmtpServer, django_capture_on_commit_callbacks
) -> None:
    case_cc_add(case=case, by=alice, contact=bo)
    case_cc_add(case=case, by=alice, name="Cy", email="cy@customer.example")
    post_update(case, alice, "Fixed.", django_capture_on_commit_callbacks)
    assert sorted(m.to for m in smtp_server.received) == [
        "ana@customer.example",
        "bo@customer.example",
        "cy@customer.example",
    ]
    for received in smtp_server.received:
        assert received.message is not None
        assert received.message["To"] == "ana@customer.example"
        assert received.message["Cc"] == "bo@customer.example, cy@customer.example"
    ids = {str(m.message["Message-ID"]) for m in smtp_server.received if m.message}
    assert len(ids) == 3 and ids == set(Delivery.objects.values_list("message_id", flat=True))
    assert list(Delivery.objects.order_by("cc", "id").values_list("recipient", "cc")) == [
        ("ana@customer.example", False),
        ("bo@customer.example", True),
        ("cy@customer.example", True),
    ]
    # The new address became a contact of the case's customer.
    assert Contact.objects.get(email="cy@customer.example").customer == case.customer


def test_a_later_update_refers_to_the_earlier_ones_so_the_customer_sees_one_thread(
    case: Case, alice, smtp_server: SmtpServer, django_capture_on_commit_callbacks
) -> None:
    post_update(case, alice, "Looking into it.", django_capture_on_commit_callbacks)
    post_update(case, alice, "Fixed.", django_capture_on_commit_callbacks)
    first, second = (m.message for m in smtp_server.received)
    assert first is not None and second is not None
    assert first["References"] is None
    assert second["In-Reply-To"] == first["Message-ID"] == second["References"]


def test_a_case_without_an_address_to_write_to_sends_nothing(
    service_desk, alice, django_capture_on_commit_callbacks
) -> None:
    case = case_in(Status.IN_PROGRESS, team=service_desk)
    case.contact = ContactFactory(customer=case.customer, email="")
    case.save(update_fields=["contact"])
    post_update(case, alice, "Fixed.", django_capture_on_commit_callbacks)
    assert not OutgoingMail.objects.exists() and not Delivery.objects.exists()


def test_without_a_contact_the_first_cc_contact_is_addressed(
    service_desk, alice, django_capture_on_commit_callbacks
) -> None:
    case = case_in(Status.IN_PROGRESS, team=service_desk)
    for name in ("Bo", "Cy"):
        contact = ContactFactory(customer=case.customer, name=name, email=f"{name}@x.example")
        case_cc_add(case=case, by=alice, contact=contact)
    post_update(case, alice, "Fixed.", django_capture_on_commit_callbacks)
    assert [(m.to, m.extra_headers["To"], m.extra_headers["Cc"]) for m in mail.outbox] == [
        (["Bo@x.example"], "Bo@x.example", "Cy@x.example"),
        (["Cy@x.example"], "Bo@x.example", "Cy@x.example"),
    ]


def test_a_rolled_back_update_leaves_no_mail_and_no_delivery(case: Case, alice) -> None:
    from django.db import transaction

    with pytest.raises(RuntimeError), transaction.atomic():
        case_add_note(case=case, by=alice, body="Fixed.", customer_facing=True)
        assert Delivery.objects.count() == 1
        raise RuntimeError("the request failed later")
    assert not OutgoingMail.objects.exists() and not Delivery.objects.exists()


# --- CC contacts: refusals ---------------------------------------------------------------------


def test_the_cases_own_contact_another_customers_contact_and_a_second_copy_are_refused(
    case: Case, alice, bo: Contact
) -> None:
    with pytest.raises(DomainError, match="the case's contact"):
        case_cc_add(case=case, by=alice, email="ANA@customer.example")
    with pytest.raises(DomainError, match="another customer"):
        case_cc_add(case=case, by=alice, contact=ContactFactory(email="z@other.example"))
    case_cc_add(case=case, by=alice, contact=bo)
    with pytest.raises(DomainError, match="already"):
        case_cc_add(case=case, by=alice, email="bo@customer.example")
    with pytest.raises(DomainError, match="not an email address"):
        case_cc_add(case=case, by=alice, email="bo at customer")
    assert CaseCc.objects.count() == 1
    # Each change is on the timeline, as an edited detail.
    [edit] = CaseEvent.objects.filter(case=case, kind=EventKind.EDITED)
    assert (edit.data["field"], edit.to_value) == ("CC contacts", "Bo <bo@customer.example>")


# --- Deliveries on the timeline; a failure shows and is retried --------------------------------


def page(client, case: Case) -> str:  # type: ignore[no-untyped-def]
    response = client.get(reverse("cases:detail", args=[case.reference]))
    assert response.status_code == 200
    return response.content.decode()


def panel(client, case: Case) -> str:  # type: ignore[no-untyped-def]
    response = client.get(reverse("comms:case_panel", args=[case.reference]))
    assert response.status_code == 200
    return response.content.decode()


def test_the_timeline_says_to_whom_each_update_went_and_that_it_arrived(
    case: Case, alice, bo: Contact, smtp_server: SmtpServer, django_capture_on_commit_callbacks
) -> None:
    case_cc_add(case=case, by=alice, contact=bo)
    post_update(case, alice, "Fixed.", django_capture_on_commit_callbacks)
    html = page(client_for(alice), case)
    assert "Sent to</span> ana@customer.example" in html
    assert "CC</span> bo@customer.example" in html
    assert html.count(">delivered</span>") == 2


def test_a_delivery_that_fails_while_the_mail_server_is_down_shows_on_the_case_and_is_retried(
    case: Case, alice, smtp_server: SmtpServer, django_capture_on_commit_callbacks
) -> None:
    smtp_server.stop()
    post_update(case, alice, "Fixed.", django_capture_on_commit_callbacks)
    [delivery] = Delivery.objects.select_related("mail")
    assert (delivery.mail.status, delivery.mail.attempts) == (MailStatus.PENDING, 1)
    client = client_for(alice)
    assert ">failed, retrying</span>" in page(client, case)
    shown = panel(client, case)
    assert "Update mail that did not arrive" in shown and "ana@customer.example" in shown

    smtp_server.start()
    tasks.mail_send([delivery.mail_id])  # the task's retry
    assert [m.to for m in smtp_server.received] == ["ana@customer.example"]
    assert ">delivered</span>" in page(client, case)
    assert "did not arrive" not in panel(client, case)


def test_a_delivery_that_failed_for_good_is_sent_again_from_the_case(
    case: Case, alice, smtp_server: SmtpServer, settings, django_capture_on_commit_callbacks
) -> None:
    smtp_server.refuse["ana@customer.example"] = "550 No such user"
    post_update(case, alice, "Fixed.", django_capture_on_commit_callbacks)
    [delivery] = Delivery.objects.select_related("mail")
    assert delivery.mail.status == MailStatus.FAILED
    client = client_for(alice)
    assert ">failed</span>" in page(client, case)
    assert "Send the failed mail again" in panel(client, case)

    del smtp_server.refuse["ana@customer.example"]
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("comms:resend", args=[case.reference]))
    assert response.status_code == 302
    assert [m.to for m in smtp_server.received] == ["ana@customer.example"]
    delivery.mail.refresh_from_db()
    assert delivery.mail.status == MailStatus.SENT


def test_the_timeline_polls_an_updates_deliveries_until_its_mail_is_settled(
    case: Case, alice, charlie, smtp_server: SmtpServer, django_capture_on_commit_callbacks
) -> None:
    smtp_server.stop()
    update = post_update(case, alice, "Fixed.", django_capture_on_commit_callbacks)
    url = reverse("comms:update_deliveries", args=[case.reference, update.pk])
    assert f'hx-get="{url}"' in page(client_for(alice), case)
    polled = client_for(alice).get(url).content.decode()
    assert "failed, retrying" in polled and 'hx-trigger="every 15s"' in polled

    smtp_server.start()
    tasks.mail_send(list(Delivery.objects.values_list("mail_id", flat=True)))
    settled = client_for(alice).get(url).content.decode()
    assert ">delivered</span>" in settled and "hx-trigger" not in settled
    assert client_for(charlie).get(url).status_code == 404


def test_the_timeline_reads_the_deliveries_of_all_its_updates_with_one_query(
    case: Case, alice, bo: Contact, django_assert_num_queries
) -> None:
    case_cc_add(case=case, by=alice, contact=bo)
    for n in range(5):
        case_add_note(case=case, by=alice, body=f"Update {n}", customer_facing=True)
    case_add_note(case=case, by=alice, body="Internal", customer_facing=False)
    events = list(CaseEvent.objects.filter(case=case))
    with django_assert_num_queries(1):
        found = deliveries_by_update(events=events)
    assert sorted(len(v) for v in found.values()) == [2] * 5
    assert {d.state for v in found.values() for d in v} == {DeliveryState.SENDING}
    with django_assert_num_queries(0):
        deliveries_by_update(events=[e for e in events if e.kind == EventKind.NOTE])


def test_the_status_of_a_delivery_follows_its_outbox_row(case: Case, alice) -> None:
    update = case_add_note(case=case, by=alice, body="Fixed.", customer_facing=True)
    [delivery] = Delivery.objects.all()
    expected = [
        (MailStatus.PENDING, 0, DeliveryState.SENDING),
        (MailStatus.SENDING, 1, DeliveryState.SENDING),
        (MailStatus.PENDING, 1, DeliveryState.RETRYING),
        (MailStatus.SENDING, 2, DeliveryState.RETRYING),
        (MailStatus.FAILED, 12, DeliveryState.FAILED),
        (MailStatus.SENT, 3, DeliveryState.SENT),
    ]
    for status, attempts, state in expected:
        OutgoingMail.objects.filter(pk=delivery.mail_id).update(status=status, attempts=attempts)
        [view] = deliveries_by_update(events=[update])[update.pk]
        assert view.state == state, (status, attempts)


def test_the_request_hands_the_mail_to_the_broker_after_commit(
    case: Case, alice, monkeypatch
) -> None:
    from sla import outbox

    handed: list[tuple[str, list[list[int]]]] = []
    monkeypatch.setattr(outbox, "mail_dispatch", lambda ids: handed.append(("ids", [list(ids)])))
    response = client_for(alice).post(
        reverse("cases:note", args=[case.reference]),
        {"note-body": "Fixed.", "note-visibility": "customer"},
    )
    assert response.status_code == 302
    [delivery] = Delivery.objects.all()
    # pytest-django runs the test in a transaction: on_commit ran nothing yet, the row waits.
    assert handed == [] and delivery.mail.status == MailStatus.PENDING


def test_update_mail_queue_is_a_no_op_for_a_case_nobody_can_be_written_to(
    service_desk, alice
) -> None:
    case = case_in(Status.IN_PROGRESS, team=service_desk)
    update = CaseEvent.objects.create(
        case=case, kind=EventKind.UPDATE, body="x", created_at=timezone.now()
    )
    assert update_mail_queue(case=case, update=update, now=timezone.now()) == []
    assert not OutgoingMail.objects.exists()


def test_an_update_posted_through_the_api_is_mailed_and_a_note_is_not(
    case: Case, bob, django_capture_on_commit_callbacks
) -> None:
    from tests.cases.test_api import api_for

    url = reverse("cases_api:notes", args=[case.reference])
    with django_capture_on_commit_callbacks(execute=True):
        for customer_facing in (False, True):
            body = {"body": f"facing {customer_facing}", "customer_facing": customer_facing}
            assert api_for(bob).post(url, body, format="json").status_code == 201
    [sent] = mail.outbox
    assert sent.to == ["ana@customer.example"] and "facing True" in sent.body
    assert Delivery.objects.get().event.body == "facing True"


def test_the_admin_lists_deliveries_and_templates_read_only(case: Case, alice) -> None:
    from tests.factories import UserFactory

    case_add_note(case=case, by=alice, body="Fixed.", customer_facing=True)
    admin = client_for(UserFactory(username="root", is_staff=True, is_superuser=True))
    listed = admin.get(reverse("admin:comms_delivery_changelist"))
    assert listed.status_code == 200 and "ana@customer.example" in listed.content.decode()
    assert admin.get(reverse("admin:comms_delivery_add")).status_code == 403
    assert admin.get(reverse("admin:comms_replytemplate_changelist")).status_code == 200
