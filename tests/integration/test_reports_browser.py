"""An executive opens last week's report in a real browser, sees the figures and the charts,
and downloads a table as CSV."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from cases.models import Severity, Tier
from reports.weeks import IsoWeek
from tests.factories import CustomerFactory, TeamFactory
from tests.reports.factories import ClockKind, ReportCaseFactory, breached_clock, met_clock
from tests.reports.factories import resolved_case as resolved

pytestmark = [pytest.mark.integration, pytest.mark.browser]

SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"


def last_weeks_cases() -> IsoWeek:
    """Three cases raised last week (two resolved, one breached) and one the week before."""
    week = IsoWeek.containing(timezone.now()).previous()
    monday = week.start()
    desk = TeamFactory(name="Service desk")
    acme = CustomerFactory(name="Acme", tier=Tier.STRATEGIC)
    first = resolved(
        raised_at=monday + timedelta(hours=9),
        resolved_at=monday + timedelta(hours=15),
        team=desk,
        customer=acme,
        severity=Severity.S1,
    )
    met_clock(
        first, ClockKind.RESPONSE, stopped_at=monday + timedelta(hours=9, minutes=20), elapsed=1200
    )
    met_clock(
        first, ClockKind.RESOLUTION, stopped_at=monday + timedelta(hours=15), elapsed=6 * 3600
    )
    second = resolved(
        raised_at=monday + timedelta(days=1, hours=10),
        resolved_at=monday + timedelta(days=3, hours=11),
        team=desk,
        severity=Severity.S2,
    )
    met_clock(second, ClockKind.RESOLUTION, stopped_at=second.resolved_at, elapsed=9 * 3600)
    third = ReportCaseFactory(
        raised_at=monday + timedelta(days=2, hours=14), team=desk, customer=acme
    )
    breached_clock(third, ClockKind.RESPONSE, breached_at=monday + timedelta(days=2, hours=16))
    ReportCaseFactory(raised_at=monday - timedelta(days=3), team=desk)
    return week


@pytest.mark.django_db(transaction=True)
def test_an_executive_reads_last_weeks_report_and_downloads_a_table(
    live_server, page: Page, erin, password
) -> None:  # type: ignore[no-untyped-def]
    week = last_weeks_cases()
    page.set_viewport_size({"width": 1400, "height": 900})
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("response", lambda r: errors.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    page.goto(f"{live_server.url}/accounts/login/?next=/reports/")
    page.get_by_label("Username").fill("erin")
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Weekly reports")).to_be_visible()

    expect(page.locator("#weeks")).to_contain_text(week.label)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / "reports-index.png", full_page=True)
    page.get_by_role("link", name=week.label).click()
    expect(page).to_have_url(f"{live_server.url}/reports/weekly/{week}/")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Escalations, {week.label}")
    expect(page.locator('[data-figure="raised"] .headline-value')).to_have_text("3")
    expect(page.locator('[data-figure="resolved"] .headline-value')).to_have_text("2")
    expect(page.locator('[data-figure="breaches"] .headline-value')).to_have_text("1")
    expect(page.locator('[data-figure="resolve_p50"] .headline-value')).to_have_text("7.5 h")
    chart = page.locator("canvas#chart-raised_resolved")
    expect(chart).to_be_visible()
    expect(chart).to_have_attribute("data-chart-ready", "true")

    with page.expect_download() as download_info:
        page.get_by_role("link", name="CSV of by team").click()
    download = download_info.value
    assert download.suggested_filename == f"escalations-{week}-by_team.csv"
    lines = Path(download.path()).read_text().splitlines()
    assert lines[0].startswith("Team,Raised,Resolved,Open at end,Breaches")
    assert lines[1].startswith("Service desk,3,2,")

    assert errors == []
    page.screenshot(path=SCREENSHOTS / "reports-weekly.png", full_page=True)
    # The print stylesheet: no navigation or filters, the data tables open.
    page.evaluate("window.dispatchEvent(new Event('beforeprint'))")
    page.emulate_media(media="print")
    expect(page.get_by_role("navigation", name="Main")).to_be_hidden()
    expect(page.get_by_role("form", name="Filter the report")).to_be_hidden()
    page.screenshot(path=SCREENSHOTS / "reports-weekly-print.png", full_page=True)
