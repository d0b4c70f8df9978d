"""The dashboard's customers at risk, fetched when the page loads, in a real browser: shown with
the card's count, and fetched again when a live refresh brings a new board."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from cases import services
from cases.models import Severity
from tests.factories import CategoryFactory, CustomerFactory, ProductFactory
from tests.integration.test_case_journeys import log_in

pytestmark = [pytest.mark.integration, pytest.mark.browser]

WAIT_MS = 10_000  # the polls come every second here (LIVE_POLL_SECONDS)


@pytest.mark.django_db(transaction=True)
def test_the_customers_at_risk_load_again_after_a_live_refresh_of_the_dashboard(
    live_server, page: Page, alice, bob, password, settings
) -> None:
    settings.LIVE_POLL_SECONDS = 1
    base = live_server.url
    log_in(page, base, "bob", password)
    page.goto(f"{base}/learning/")
    panel = page.get_by_role("region", name="Customers at risk")
    expect(panel).to_contain_text("No customer is at risk.")
    count = page.locator("#customers-at-risk-count")
    expect(count).to_have_text("0")

    # An open S1 case makes its customer at risk; the live poll brings the new board.
    services.case_raise(
        raised_by=alice,
        customer=CustomerFactory(name="Acme Retail"),
        title="Checkout down for everyone",
        description="Every order stops at the payment step.",
        severity=Severity.S1,
        product=ProductFactory(name="Shop"),
        category=CategoryFactory(name="Outage"),
    )
    expect(panel).to_contain_text("Acme Retail", timeout=WAIT_MS)
    expect(panel).to_contain_text("1 open S1 case")
    expect(count).to_have_text("1")
    expect(page.locator("#dashboard-live")).to_contain_text("Open cases breached or at risk")
