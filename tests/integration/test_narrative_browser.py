"""An executive opens last week's report, reads its opening summary, follows a sentence to the
cases behind it, and subscribes to the weekly PDF by email."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from reports.models import ReportSubscription, SubscriptionKind
from tests.integration.test_reports_browser import last_weeks_cases

pytestmark = [pytest.mark.integration, pytest.mark.browser]

SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"


@pytest.mark.django_db(transaction=True)
def test_an_executive_reads_the_summary_follows_a_sentence_and_subscribes(
    live_server, page: Page, erin, password
) -> None:  # type: ignore[no-untyped-def]
    week = last_weeks_cases()
    page.set_viewport_size({"width": 1400, "height": 900})
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("response", lambda r: errors.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    page.goto(f"{live_server.url}/accounts/login/?next=/reports/weekly/{week}/")
    page.get_by_label("Username").fill("erin")
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()

    summary = page.locator("#summary")
    expect(summary.get_by_role("heading", name="In short")).to_be_visible()
    strategic = summary.locator('[data-sentence="strategic"]')
    expect(strategic).to_contain_text("1 case of a strategic customer breached its SLA")
    expect(summary.locator('[data-sentence="fastest_s1"]')).to_contain_text(
        "Success story", ignore_case=False
    )
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / "narrative-summary.png")

    strategic.get_by_role("link").click()
    expect(page).to_have_url(
        f"{live_server.url}/reports/weekly/{week}/cases/?metric=breached_cases&dimension=tier&group=strategic"
    )
    expect(page.locator("table tbody tr")).to_have_count(1)
    page.screenshot(path=SCREENSHOTS / "narrative-cases.png")

    page.goto(f"{live_server.url}/reports/")
    weekly = page.locator('[data-subscription="weekly_report"]')
    expect(weekly).to_contain_text("Not subscribed")
    weekly.get_by_role("button", name="Subscribe").click()
    expect(page.get_by_text("You will receive the Weekly report (PDF) by email.")).to_be_visible()
    expect(page.locator('[data-subscription="weekly_report"]')).to_contain_text("Subscribed")
    page.screenshot(path=SCREENSHOTS / "narrative-subscribed.png")
    assert ReportSubscription.objects.get(user=erin).kind == SubscriptionKind.WEEKLY_REPORT
    assert errors == []
