"""An executive opens the contracts list in a real browser, then a customer's statement with
its burn-down chart, and downloads the statement as CSV."""

from __future__ import annotations

import csv
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from contracts.months import Month
from tests.contracts.factories import ContractFactory, resolution
from tests.factories import CustomerFactory

pytestmark = [pytest.mark.integration, pytest.mark.browser]

SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"


@pytest.mark.django_db(transaction=True)
def test_an_executive_reads_a_statement_and_downloads_it(
    live_server, page: Page, erin, password
) -> None:  # type: ignore[no-untyped-def]
    now = timezone.now()
    moment = max(Month.containing(now).start() + timedelta(minutes=1), now - timedelta(hours=1))
    acme = CustomerFactory(name="Acme")
    ContractFactory(customer=acme)
    for n in range(40):
        resolution(acme, at=moment, breached=n < 3)
    calm = CustomerFactory(name="Calm Co")
    ContractFactory(customer=calm)
    resolution(calm, at=moment, breached=False)
    page.set_viewport_size({"width": 1400, "height": 900})
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("response", lambda r: errors.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    page.goto(f"{live_server.url}/accounts/login/?next=/contracts/")
    page.get_by_label("Username").fill("erin")
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    month = Month.containing(now)
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Contracts, {month.label}")
    acme_row = page.locator(f'#statements tr[data-customer="{acme.pk}"]')
    expect(acme_row).to_contain_text("92.5%")
    expect(acme_row).to_contain_text("Missed")
    expect(acme_row).to_contain_text("EUR 1,800.00")
    expect(page.locator(f'#statements tr[data-customer="{calm.pk}"]')).to_contain_text("On track")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / "contracts-index.png", full_page=True)

    acme_row.get_by_role("link", name="Acme").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Acme, {month.label}")
    expect(page.locator("#compliance")).to_have_text("92.5%")
    expect(page.locator("#credit")).to_have_text("EUR 1,800.00")
    expect(page.locator('svg[data-chart="burndown"]')).to_be_visible()
    expect(page.locator("#budget")).to_contain_text("The commitment of 95% is missed")
    page.screenshot(path=SCREENSHOTS / "contracts-statement.png", full_page=True)

    with page.expect_download() as download_info:
        page.get_by_role("link", name="statement", exact=True).click()
    download = download_info.value
    assert download.suggested_filename == f"statement-{month}-customer-{acme.pk}-summary.csv"
    rows = dict(csv.reader(Path(download.path()).read_text().splitlines()))
    assert rows["Compliance (%)"] == "92.5"
    assert rows["Credit owed (EUR)"] == "1800.00"
    assert errors == []


@pytest.mark.django_db(transaction=True)
def test_a_manager_sees_the_customer_at_risk_on_the_dashboard(
    live_server, page: Page, bob, password
) -> None:  # type: ignore[no-untyped-def]
    now = timezone.now()
    moment = max(Month.containing(now).start() + timedelta(minutes=1), now - timedelta(hours=1))
    acme = CustomerFactory(name="Acme")
    ContractFactory(customer=acme)
    for n in range(20):
        resolution(acme, at=moment, breached=n == 0)
    page.set_viewport_size({"width": 1400, "height": 900})
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill("bob")
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    panel = page.locator("#contracts-panel")
    expect(panel.get_by_role("heading")).to_have_text(
        f"Contracts at risk, {Month.containing(now).label}"
    )
    expect(panel).to_contain_text("Acme")
    expect(panel).to_contain_text("At risk")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    panel.screenshot(path=SCREENSHOTS / "contracts-dashboard.png")
