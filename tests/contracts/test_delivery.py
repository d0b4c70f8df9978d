"""The month's contract statements mailed to their subscribers once the month is frozen."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from contracts.delivery import statements_deliver
from contracts.models import MonthlyStatement
from contracts.tasks import monthly_statements_deliver
from reports.models import DeliveryOutcome, SubscriptionKind
from reports.subscriptions import deliveries_of, subscription_set
from sla.models import MailStatus, OutgoingMail
from sla.outbox import outbox_send
from tests.conftest import client_for
from tests.contracts.factories import ContractFactory, resolution
from tests.factories import CustomerFactory
from tests.sla.smtp import SmtpServer, smtp_server_fixture  # noqa: F401 - smtp_server

ZONE = ZoneInfo("Europe/Amsterdam")
# The 1st of December, after the freeze: November's statements go out.
NOW = datetime(2026, 12, 1, 7, 0, tzinfo=ZONE)
pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _now(time_machine: Any) -> None:
    time_machine.move_to(NOW, tick=False)


@pytest.fixture
def customers(db: None) -> list[Any]:
    """Acme missed its commitment in November (1 of 2 in target), Beta met it."""
    acme, beta = CustomerFactory(name="Acme"), CustomerFactory(name="Beta")
    for customer in (acme, beta):
        ContractFactory(customer=customer)
    resolution(acme, at=datetime(2026, 11, 10, 10, tzinfo=ZONE), breached=True)
    resolution(acme, at=datetime(2026, 11, 11, 10, tzinfo=ZONE), breached=False)
    resolution(beta, at=datetime(2026, 11, 12, 10, tzinfo=ZONE), breached=False)
    return [acme, beta]


def outbox_run() -> None:
    """What the mail workers do with the queued messages."""
    pending = OutgoingMail.objects.filter(status=MailStatus.PENDING).order_by("pk")
    outbox_send(mail_ids=list(pending.values_list("pk", flat=True)))


def test_subscribers_get_last_months_statements_once(
    customers: list[Any], erin: Any, smtp_server: SmtpServer
) -> None:
    subscription_set(user=erin, kind=SubscriptionKind.MONTHLY_STATEMENTS, active=True, now=NOW)
    assert monthly_statements_deliver.run() == 1
    # The beat running twice queues nothing more.
    assert statements_deliver(now=NOW).queued == 0
    outbox_run()
    outbox_run()
    [received] = smtp_server.received
    assert received.to == "erin@example.com"
    assert received.subject == "Contract statements, November 2026"
    assert received.message is not None
    files = list(received.message.iter_attachments())
    acme, beta = customers
    assert [(f.get_filename(), f.get_content_type()) for f in files] == [
        (f"statement-2026-11-customer-{acme.pk}.pdf", "application/pdf"),
        (f"statement-2026-11-customer-{beta.pk}.pdf", "application/pdf"),
    ]
    assert all(f.get_content().startswith(b"%PDF") for f in files)
    assert "- Acme: commitment missed" in received.body
    assert "- Beta: commitment met" in received.body
    # Frozen by the delivery if the freeze had not run yet, like a first viewer would.
    assert MonthlyStatement.objects.count() == 2
    [delivery] = deliveries_of(period="2026-11", kind=SubscriptionKind.MONTHLY_STATEMENTS)
    assert (delivery.outcome, delivery.mail_status, delivery.mail_sent_at) == (
        DeliveryOutcome.SENDING,
        MailStatus.SENT,
        NOW,
    )


def test_weekly_subscribers_do_not_get_the_statements(customers: list[Any], bob: Any) -> None:
    subscription_set(user=bob, kind=SubscriptionKind.WEEKLY_REPORT, active=True, now=NOW)
    assert statements_deliver(now=NOW).queued == 0
    assert not OutgoingMail.objects.exists()


def test_the_statement_pdf_page_prints_what_the_mail_attaches(
    customers: list[Any], bob: Any
) -> None:
    acme = customers[0]
    url = reverse("contracts:statement_pdf", kwargs={"customer_id": acme.pk, "month": "2026-11"})
    response = client_for(bob).get(url)
    assert response.status_code == 200 and response.content.startswith(b"%PDF")
