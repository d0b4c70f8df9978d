"""The month's contract statements mailed to their subscribers once the month is frozen."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.urls import reverse

from contracts.delivery import statements_deliver
from contracts.models import MonthlyStatement
from contracts.tasks import monthly_statements_deliver
from reports.models import DeliveryOutcome, ReportDelivery, SubscriptionKind
from reports.subscriptions import subscription_set
from tests.conftest import client_for
from tests.contracts.factories import ContractFactory, resolution
from tests.factories import CustomerFactory

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


def test_subscribers_get_last_months_statements_once(customers: list[Any], erin: Any) -> None:
    subscription_set(user=erin, kind=SubscriptionKind.MONTHLY_STATEMENTS, active=True, now=NOW)
    assert monthly_statements_deliver.run() == 1
    [message] = mail.outbox
    assert message.to == ["erin@example.com"]
    assert message.subject == "Contract statements, November 2026"
    acme, beta = customers
    assert [(name, mimetype) for name, _, mimetype in message.attachments] == [
        (f"statement-2026-11-customer-{acme.pk}.pdf", "application/pdf"),
        (f"statement-2026-11-customer-{beta.pk}.pdf", "application/pdf"),
    ]
    assert all(content.startswith(b"%PDF") for _, content, _ in message.attachments)
    assert "- Acme: commitment missed" in message.body
    assert "- Beta: commitment met" in message.body
    # Frozen by the delivery if the freeze had not run yet, like a first viewer would.
    assert MonthlyStatement.objects.count() == 2
    [delivery] = ReportDelivery.objects.all()
    assert (delivery.period, delivery.outcome, delivery.sent_at) == (
        "2026-11",
        DeliveryOutcome.SENT,
        NOW,
    )
    # The beat running twice sends nothing more.
    assert statements_deliver(now=NOW).sent == 0
    assert len(mail.outbox) == 1


def test_weekly_subscribers_do_not_get_the_statements(customers: list[Any], bob: Any) -> None:
    subscription_set(user=bob, kind=SubscriptionKind.WEEKLY_REPORT, active=True, now=NOW)
    statements_deliver(now=NOW)
    assert mail.outbox == []


def test_the_statement_pdf_page_prints_what_the_mail_attaches(
    customers: list[Any], bob: Any
) -> None:
    acme = customers[0]
    url = reverse("contracts:statement_pdf", kwargs={"customer_id": acme.pk, "month": "2026-11"})
    response = client_for(bob).get(url)
    assert response.status_code == 200 and response.content.startswith(b"%PDF")
