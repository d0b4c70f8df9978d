"""A saved view in a real browser: a manager filters the queue to breached S1/S2 cases, saves
the view, opens it from the navigation on another page and lands on the same list; then she
clicks the dashboard's count of the service desk's breached cases and lands on that list
again."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from cases.models import Severity, Status
from tests.factories import CaseFactory
from tests.sla.factories import breached

pytestmark = [pytest.mark.integration, pytest.mark.browser]

SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
HOUR = timedelta(hours=1)


def references(page: Page) -> list[str]:
    return page.locator("table.queue-table tbody td:nth-child(2) a").all_inner_texts()


def test_a_manager_saves_a_filtered_queue_and_reopens_it_from_the_navigation(
    live_server, page: Page, bob, password, service_desk, other_team
) -> None:
    # The service desk's breached cases are exactly the breached S1/S2 ones.
    desk = {"status": Status.NEW, "team": service_desk}
    wanted = [
        breached(CaseFactory(title="Payments down", severity=Severity.S1, **desk)),
        breached(CaseFactory(title="Slow search", severity=Severity.S2, **desk)),
    ]
    breached(
        CaseFactory(
            title="Typo on invoice", severity=Severity.S3, status=Status.NEW, team=other_team
        )
    )
    CaseFactory(title="Login fails for one user", severity=Severity.S1, **desk)

    base = live_server.url
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("Username").fill("bob")
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.goto(f"{base}/cases/")

    filters = page.get_by_role("search", name="Filter cases")
    filters.get_by_label("S1 Critical").check()
    filters.get_by_label("S2 High").check()
    filters.locator("summary", has_text="More filters").click()
    filters.get_by_label("SLA state").select_option("breached")
    filters.get_by_role("button", name="Apply filters").click()
    expect(page.locator("table.queue-table tbody tr")).to_have_count(2)
    listed = references(page)
    assert sorted(listed) == sorted(case.reference for case in wanted)

    page.locator("#save-view summary").click()
    save = page.get_by_role("form", name="Save this view")
    save.get_by_label("Name").fill("Breached S1/S2")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / "saved-views-queue-form.png", full_page=True)
    save.get_by_role("button", name="Save view").click()
    saved = page.get_by_role("alert").filter(has_text="View “Breached S1/S2” saved.")
    expect(saved).to_be_visible()

    # Elsewhere, then back through the navigation.
    page.goto(f"{base}/cases/views/")
    nav = page.get_by_role("navigation", name="Main")
    nav.get_by_role("button", name="Saved views").click()
    page.screenshot(path=SCREENSHOTS / "saved-views-nav.png")
    nav.get_by_role("link", name="Breached S1/S2").click()

    expect(page.get_by_role("heading", name="Triage queue")).to_be_visible()
    expect(page.locator("table.queue-table tbody tr")).to_have_count(2)
    assert references(page) == listed
    filters = page.get_by_role("search", name="Filter cases")
    expect(filters.get_by_label("S1 Critical")).to_be_checked()
    expect(filters.get_by_label("S3 Medium")).not_to_be_checked()
    nav.get_by_role("button", name="Saved views").click()
    expect(nav.get_by_role("link", name="Breached S1/S2")).to_have_attribute("aria-current", "page")
    expect(nav.get_by_role("link", name="Triage queue")).not_to_have_attribute(
        "aria-current", "page"
    )
    page.screenshot(path=SCREENSHOTS / "saved-views-opened.png", full_page=True)

    # The dashboard: the service desk's breached count leads to the same cases.
    nav.get_by_role("link", name="Dashboard").click()
    board = page.get_by_role("region", name="Open cases by SLA state")
    expect(board.get_by_role("columnheader", name="Breached")).to_be_visible()
    desk_row = board.get_by_role("row").filter(
        has=page.get_by_role("rowheader", name="Service desk")
    )
    states = [text.strip() for text in board.get_by_role("columnheader").all_text_contents()]
    cell = desk_row.get_by_role("cell").nth(states.index("Breached") - 1)
    expect(cell).to_have_text("2")
    page.screenshot(path=SCREENSHOTS / "saved-views-dashboard.png", full_page=True)
    cell.get_by_role("link").click()
    expect(page.get_by_role("heading", name="Triage queue")).to_be_visible()
    expect(page.locator("table.queue-table tbody tr")).to_have_count(2)
    assert references(page) == listed
    page.screenshot(path=SCREENSHOTS / "saved-views-from-dashboard.png", full_page=True)
