"""The queue's folded bulk bar in a real browser: its team and owner pickers are fetched when
it is first opened (the queue page reads neither list), and a bulk assignment through them
works."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from cases.models import Case, Status
from tests.factories import CaseFactory
from tests.integration.test_case_journeys import log_in

pytestmark = [pytest.mark.integration, pytest.mark.browser]

SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"


def test_a_manager_opens_the_bulk_bar_and_assigns_with_its_fetched_pickers(
    live_server, page: Page, bob, alice, password, service_desk
) -> None:
    case = CaseFactory(title="Invoices print blank", status=Status.NEW, team=service_desk)
    base = live_server.url
    log_in(page, base, "bob", password)
    page.goto(f"{base}/cases/")
    pickers = page.locator("#bulk-pickers")
    # Folded: placeholders only, no list read yet.
    expect(pickers.locator("select[disabled]")).to_have_count(2)
    expect(pickers.locator("option")).to_have_count(2)

    page.get_by_role("button", name="Bulk actions").click()
    team = pickers.get_by_role("combobox", name="Team")
    expect(team).to_be_enabled()
    owner = pickers.get_by_role("combobox", name="Owner")
    expect(owner.locator("option", has_text="Alice")).to_have_count(1)
    page.locator(f"#select-{case.pk}").check()
    page.get_by_label("Bulk action").select_option("assign")
    owner.select_option(str(alice.pk))
    page.locator("#id_bulk-reason").fill("She knows the customer")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / "bulk-bar-pickers.png", full_page=True)
    page.get_by_role("button", name="Apply", exact=True).click()

    expect(page.get_by_role("alert").filter(has_text="1 case changed")).to_be_visible()
    assert Case.objects.get(pk=case.pk).owner == alice
