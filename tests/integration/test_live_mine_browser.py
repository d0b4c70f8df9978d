"""'My escalations' is live in a real browser: an operator keeps the page open, a case of her
team is raised elsewhere, and it appears without a reload, in the scope she chose."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from cases.models import Status
from tests.factories import CaseFactory
from tests.integration.test_case_journeys import log_in

pytestmark = [pytest.mark.integration, pytest.mark.browser]

SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
# The polls come every second here (LIVE_POLL_SECONDS); the wait allows several.
WAIT_MS = 10_000


@pytest.mark.django_db(transaction=True)
def test_an_operator_sees_a_new_case_of_her_team_appear_without_reloading(
    live_server, page: Page, alice, password, service_desk, settings
) -> None:
    settings.LIVE_POLL_SECONDS = 1
    CaseFactory(title="Invoices print blank", team=service_desk, status=Status.NEW)
    resolved = CaseFactory(title="Old outage", team=service_desk, status=Status.RESOLVED)
    base = live_server.url
    log_in(page, base, "alice", password)
    page.goto(f"{base}/cases/mine/?status=open")
    rows = page.locator("#mine-rows")
    expect(rows).to_contain_text("Invoices print blank")

    new = CaseFactory(title="Checkout fails with error 502", team=service_desk)
    expect(rows).to_contain_text(new.reference, timeout=WAIT_MS)
    # The refresh kept her scope (open cases only).
    expect(rows).not_to_contain_text(resolved.reference)
    expect(page).to_have_url(f"{base}/cases/mine/?status=open")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / "mine-live.png", full_page=True)
