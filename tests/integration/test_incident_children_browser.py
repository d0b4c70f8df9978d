"""The parent's panel in a real browser: the first page of its affected cases with the counts
over all of them, and "More affected cases" appending the next page in place (HTMX)."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

from cases.models import Status
from incidents import selectors
from incidents.services import incident_declare
from tests.cases.factories import case_in
from tests.integration.test_accessibility import shoot
from tests.integration.test_case_journeys import htmx_settled, log_in

pytestmark = [pytest.mark.integration, pytest.mark.browser]


@pytest.mark.django_db(transaction=True)
def test_more_appends_the_next_affected_cases_in_place(
    live_server, page: Page, bob: Any, service_desk: Any, password: str, monkeypatch
) -> None:
    monkeypatch.setattr(selectors, "CHILDREN_PAGE", 3)
    parent = case_in(Status.IN_PROGRESS, team=service_desk, title="Payments down")
    incident_declare(case=parent, by=bob, lead=bob)
    for _ in range(5):
        case_in(Status.IN_PROGRESS, parent=parent, team=service_desk)
    log_in(page, live_server.url, bob.username, password)
    page.goto(live_server.url + reverse("cases:detail", args=[parent.reference]))
    rows = page.locator("#incident-children tbody tr[id^=child-]")
    expect(rows).to_have_count(3)
    expect(page.locator("#affected-count")).to_contain_text("5 cases")
    shoot(page, "incident-children-first-page")
    htmx_settled(page)
    page.get_by_role("link", name="More affected cases").click()
    expect(rows).to_have_count(5)
    expect(page.get_by_role("link", name="More affected cases")).to_have_count(0)
    shoot(page, "incident-children-all")
