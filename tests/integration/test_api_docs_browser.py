"""The API docs (Swagger UI) work offline: every file comes from the app itself, and the page
lives within the Content-Security-Policy (the autouse fixture of this folder fails the test on a
violation)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.integration.test_sla_browser import log_in

pytestmark = [pytest.mark.integration, pytest.mark.browser]


@pytest.mark.django_db(transaction=True)
def test_the_api_docs_load_from_the_app_alone(live_server, page: Page, bob, password) -> None:
    foreign: list[str] = []
    page.on(
        "request",
        lambda r: foreign.append(r.url) if not r.url.startswith(live_server.url) else None,
    )
    log_in(page, live_server.url, "bob", password)
    page.goto(f"{live_server.url}/api/docs/")
    expect(page.get_by_role("heading", name="Escalation API")).to_be_visible()
    expect(page.get_by_text("/api/cases/").first).to_be_visible()
    assert foreign == []
