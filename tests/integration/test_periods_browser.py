"""A manager opens last month's report from the list of weeks in a real browser, sees its
figures and charts, follows a figure to its cases, asks for a range the wrong way round and is
told so, and reads the people page."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from cases.models import Severity, Tier
from reports.periods import MONTH, ReportPeriod
from tests.factories import CustomerFactory, TeamFactory
from tests.reports.factories import ClockKind, ReportCaseFactory, breached_clock, met_clock
from tests.reports.factories import resolved_case as resolved

pytestmark = [pytest.mark.integration, pytest.mark.browser]

SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"


def last_months_cases(owner) -> ReportPeriod:  # type: ignore[no-untyped-def]
    """Three cases raised last month (two resolved by ``owner``, one breached) and one the
    month before."""
    month = ReportPeriod.containing(timezone.now(), MONTH).previous()
    start = month.start()
    desk = TeamFactory(name="Service desk")
    acme = CustomerFactory(name="Acme", tier=Tier.STRATEGIC)
    first = resolved(
        raised_at=start + timedelta(days=2, hours=9),
        resolved_at=start + timedelta(days=2, hours=15),
        team=desk,
        customer=acme,
        severity=Severity.S1,
        owner=owner,
    )
    met_clock(
        first, ClockKind.RESPONSE, stopped_at=first.raised_at + timedelta(minutes=20), elapsed=1200
    )
    second = resolved(
        raised_at=start + timedelta(days=9, hours=10),
        resolved_at=start + timedelta(days=11, hours=11),
        team=desk,
        severity=Severity.S2,
        owner=owner,
    )
    met_clock(
        second,
        ClockKind.RESPONSE,
        stopped_at=second.raised_at + timedelta(minutes=40),
        elapsed=2400,
    )
    third = ReportCaseFactory(
        raised_at=start + timedelta(days=16, hours=14), team=desk, customer=acme
    )
    breached_clock(third, ClockKind.RESPONSE, breached_at=third.raised_at + timedelta(hours=2))
    ReportCaseFactory(raised_at=start - timedelta(days=3), team=desk)
    return month


@pytest.mark.django_db(transaction=True)
def test_a_manager_reads_last_months_report_and_the_people_page(
    live_server, page: Page, bob, alice, password
) -> None:  # type: ignore[no-untyped-def]
    month = last_months_cases(alice)
    page.set_viewport_size({"width": 1400, "height": 900})
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("response", lambda r: errors.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    page.goto(f"{live_server.url}/accounts/login/?next=/reports/")
    page.get_by_label("Username").fill("bob")
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()

    page.locator("#other-periods").get_by_role("link", name=month.label).click()
    expect(page).to_have_url(f"{live_server.url}/reports/{month}/")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Escalations, {month.label}")
    expect(page.locator('[data-figure="raised"] .headline-value')).to_have_text("3")
    expect(page.locator('[data-figure="resolved"] .headline-value')).to_have_text("2")
    expect(page.locator('[data-figure="breaches"] .headline-value')).to_have_text("1")
    expect(page.locator("#period-state")).to_contain_text("never frozen")
    # Chart.js drew the charts (a canvas it has drawn on has a width set by it).
    expect(page.locator("#chart-raised_resolved")).to_be_visible()
    page.wait_for_function(
        "document.getElementById('chart-raised_resolved').getAttribute('style') !== null"
    )
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / "reports-period.png", full_page=True)

    page.locator('[data-figure="breaches"] .headline-value a').click()
    expect(page.locator("#figure-count")).to_contain_text("1")
    page.screenshot(path=SCREENSHOTS / "reports-period-cases.png", full_page=True)

    bad_range = f"{live_server.url}/reports/range/?start=2026-03-08&end=2026-03-02"
    page.goto(bad_range)
    expect(page.locator("#range-form")).to_contain_text("must not be after its end")
    errors.remove(f"400 {bad_range}")  # the form with its error is a 400, as it should be

    page.goto(f"{live_server.url}/reports/")
    page.locator("#manager-pages").get_by_role("link", name="People").click()
    page.get_by_label("Period").fill(str(month))
    page.get_by_role("button", name="Apply").click()
    row = page.locator(f'#people tr[data-person="{alice.pk}"]')
    expect(row.locator('[data-figure="handled"]')).to_have_text("2")
    page.screenshot(path=SCREENSHOTS / "reports-people.png", full_page=True)
    row.locator('[data-figure="handled"] a').click()
    expect(page.locator("#figure-count")).to_contain_text("2")
    assert not errors, errors
