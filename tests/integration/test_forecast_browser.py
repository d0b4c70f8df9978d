"""Breach forecasts in a real browser: a manager sees the queue's forecast column, ticks
"likely to breach" to see only the risky cases, and opens one to read its probability and
reasons on the case page."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from cases.models import Severity, Status
from tests.factories import CaseFactory
from tests.forecasts.test_views import REASONS, risky_case
from tests.integration.test_sla_browser import log_in

pytestmark = [pytest.mark.integration, pytest.mark.browser]

SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"


@pytest.mark.django_db(transaction=True)
def test_a_manager_filters_the_queue_to_likely_breaches_and_reads_why(
    live_server, page: Page, bob, service_desk, password
) -> None:  # type: ignore[no-untyped-def]
    likely = risky_case(service_desk, probability=0.83)
    unlikely = risky_case(service_desk, probability=0.2, severity=Severity.S3)
    unscored = CaseFactory(status=Status.IN_PROGRESS, team=service_desk, title="Not scored yet")
    log_in(page, live_server.url, "bob", password)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    page.goto(f"{live_server.url}/cases/")
    expect(page.get_by_role("columnheader", name="Forecast")).to_be_visible()
    row = page.get_by_role("row").filter(has_text=likely.reference)
    expect(row.locator(".forecast-cell")).to_contain_text("83%")
    expect(page.get_by_role("row").filter(has_text=unlikely.reference)).to_contain_text("20%")
    expect(page.get_by_role("row").filter(has_text=unscored.reference)).to_be_visible()
    page.screenshot(path=SCREENSHOTS / "forecast-queue.png", full_page=True)

    page.get_by_label("Likely to breach").check()
    page.get_by_role("button", name="Apply filters").click()
    expect(page).to_have_url(re.compile(r"[?&]likely=1"))
    expect(page.get_by_label("Likely to breach")).to_be_checked()
    expect(page.get_by_role("row").filter(has_text=likely.reference)).to_be_visible()
    expect(page.get_by_role("row").filter(has_text=unlikely.reference)).to_have_count(0)
    expect(page.get_by_role("row").filter(has_text=unscored.reference)).to_have_count(0)
    page.screenshot(path=SCREENSHOTS / "forecast-queue-likely.png", full_page=True)

    page.get_by_role("row").filter(has_text=likely.reference).get_by_role("link").first.click()
    expect(page).to_have_url(f"{live_server.url}/cases/{likely.reference}/")
    risk = page.locator(".breach-risk").filter(has_text="likely to breach")
    expect(risk).to_contain_text("Resolution: 83% likely to breach")
    expect(risk.locator(".risk-reasons")).to_have_text("; ".join(REASONS))
    page.screenshot(path=SCREENSHOTS / "forecast-case-page.png", full_page=True)
