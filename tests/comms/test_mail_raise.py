"""Mail raises a case (comms.mail_raise): a switched-on team inbox turns a known contact's mail
into a new case for the team; a switched-off inbox, an unknown or ambiguous sender, an account
that may not raise cases and a refused file are refused (the caller quarantines the mail), and
write nothing. The inbox is configured in the Django admin."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from cases.models import Attachment, Case, EventKind, Severity, Source, Status
from comms.mail_raise import NO_SUBJECT, case_raise_from_mail, team_inbox_for
from comms.models import TeamInbox
from escalation.errors import DomainError
from tests.cases.web import media
from tests.factories import (
    CategoryFactory,
    ContactFactory,
    CustomerFactory,
    ProductFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db
__all__ = ["media"]

SENDER = "pat@acme.example"


@pytest.fixture
def contact(db: None) -> Any:
    return ContactFactory(customer=CustomerFactory(name="Acme"), name="Pat", email=SENDER)


@pytest.fixture
def inbox(alice, service_desk) -> TeamInbox:  # type: ignore[no-untyped-def]
    return TeamInbox.objects.create(
        team=service_desk,
        address="desk@escalation.example",
        enabled=True,
        raise_as=alice,
        severity=Severity.S2,
        product=ProductFactory(name="Webshop"),
        category=CategoryFactory(name="Payments"),
    )


def raise_from(inbox: TeamInbox, **kwargs: Any) -> Case:
    kwargs.setdefault("sender", SENDER)
    kwargs.setdefault("subject", "Checkout fails since this morning")
    kwargs.setdefault("body", "Every order stops at the payment step.")
    return case_raise_from_mail(inbox=inbox, **kwargs)


def test_a_contacts_mail_raises_a_new_case_for_the_team(alice, contact, inbox, media) -> None:
    case = raise_from(inbox, attachments=[("error.png", "image/png", b"\x89PNG....")])

    case.refresh_from_db()
    assert (case.title, case.description) == (
        "Checkout fails since this morning",
        "Every order stops at the payment step.",
    )
    assert (case.customer, case.contact, case.team, case.raised_by) == (
        contact.customer,
        contact,
        inbox.team,
        alice,
    )
    assert (case.status, case.source, case.severity) == (Status.NEW, Source.EMAIL, Severity.S2)
    assert (case.product, case.category) == (inbox.product, inbox.category)
    assert case.owner is None  # the team's operators check it, as any new case
    assert list(case.events.values_list("kind", flat=True)) == [
        EventKind.RAISED,
        EventKind.ATTACHMENT,
    ]
    assert Attachment.objects.get(case=case).original_name == "error.png"


def test_the_sender_is_matched_whatever_its_case(contact, inbox) -> None:
    assert raise_from(inbox, sender="  Pat@ACME.example ").contact == contact


def test_an_odd_subject_becomes_a_clean_title_and_no_text_is_said(contact, inbox) -> None:
    case = raise_from(inbox, subject="Re:\r\n\tcheckout \x07 down " + "x" * 300, body="")
    assert case.title.startswith("Re: checkout down xxx") and len(case.title) == 200
    assert case.description == "(The mail had no text.)"
    assert raise_from(inbox, subject="  ").title == NO_SUBJECT


@pytest.mark.parametrize(
    ("setup", "says"),
    [
        ("switched_off", "does not raise cases: it is switched off"),
        ("unknown", "is not the address of a customer contact"),
        ("two_customers", "contacts of 2 customers"),
        ("inactive_customer", "is not the address of a customer contact"),
        ("may_not_raise", "may not raise cases"),
        ("bad_file", "are not accepted"),
    ],
)
def test_a_mail_that_may_not_raise_a_case_is_refused_and_raises_nothing(
    contact, inbox, media, setup, says
) -> None:
    kwargs: dict[str, Any] = {}
    if setup == "switched_off":
        inbox.enabled = False
    elif setup == "unknown":
        kwargs["sender"] = "stranger@elsewhere.example"
    elif setup == "two_customers":
        ContactFactory(customer=CustomerFactory(name="Other"), email=SENDER.upper())
    elif setup == "inactive_customer":
        contact.customer.is_active = False
        contact.customer.save()
    elif setup == "may_not_raise":
        inbox.raise_as = UserFactory(username="robot")  # no role
    elif setup == "bad_file":
        kwargs["attachments"] = [("x.html", "text/html", b"<script>")]
    with pytest.raises(DomainError, match=says):
        raise_from(inbox, **kwargs)
    assert not Case.objects.exists() and not Attachment.objects.exists()


def test_several_contacts_of_one_customer_are_no_ambiguity(contact, inbox) -> None:
    ContactFactory(customer=contact.customer, name="Pat again", email=SENDER)
    assert raise_from(inbox).customer == contact.customer


def test_the_inbox_is_found_among_a_mails_recipients_only_when_switched_on(
    inbox, service_desk, alice
) -> None:
    off = TeamInbox.objects.create(
        team=service_desk, address="off@escalation.example", raise_as=alice
    )
    assert off.enabled is False  # off by default
    assert team_inbox_for(["someone@else.example", "Desk@Escalation.example"]) == inbox
    assert team_inbox_for(["off@escalation.example"]) is None
    assert team_inbox_for(["", "nobody@escalation.example"]) is None
    assert team_inbox_for([]) is None


# --- The admin --------------------------------------------------------------------------------


@pytest.fixture
def admin_client(db: None) -> Client:
    client = Client()
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    return client


def test_an_admin_adds_an_inbox_off_by_default_in_lower_case(
    admin_client, alice, service_desk
) -> None:
    response = admin_client.post(
        "/admin/comms/teaminbox/add/",
        {
            "address": "Network@Escalation.example",
            "team": service_desk.pk,
            "raise_as": alice.pk,
            "severity": Severity.S3,
        },
    )
    assert response.status_code == 302, response.content.decode()
    inbox = TeamInbox.objects.get()
    assert (inbox.address, inbox.enabled, inbox.team) == (
        "network@escalation.example",
        False,
        service_desk,
    )


def test_the_admin_offers_only_people_who_may_raise_cases(
    admin_client, alice, bob, erin, nora, service_desk
) -> None:
    page = admin_client.get("/admin/comms/teaminbox/add/").content.decode()
    assert f'value="{alice.pk}"' in page and f'value="{bob.pk}"' in page
    assert f'value="{erin.pk}"' not in page and f'value="{nora.pk}"' not in page
    response = admin_client.post(
        "/admin/comms/teaminbox/add/",
        {
            "address": "x@escalation.example",
            "team": service_desk.pk,
            "raise_as": erin.pk,
            "severity": Severity.S3,
        },
    )
    assert response.status_code == 200 and not TeamInbox.objects.exists()


def test_only_staff_reach_the_inbox_admin(alice) -> None:
    client = Client()
    client.force_login(alice)
    # alice is an operator, not staff: sent to the admin's login.
    assert client.get("/admin/comms/teaminbox/").status_code == 302
