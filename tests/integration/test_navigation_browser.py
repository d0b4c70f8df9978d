"""The manager's bar fits one line at 1280 px, and its menus open and lead to their pages."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

pytestmark = [pytest.mark.integration, pytest.mark.browser]

SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"


@pytest.mark.django_db(transaction=True)
def test_a_managers_bar_fits_and_its_menus_lead_to_their_pages(
    live_server, page: Page, bob, password
) -> None:  # type: ignore[no-untyped-def]
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill("bob")
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    bar = page.locator("#main-nav")
    expect(bar.get_by_role("link", name="Triage queue")).to_be_visible()
    # One line: the bar is no taller than a single row of links.
    height = page.locator("nav.navbar").bounding_box()["height"]
    assert height < 70, height
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    bar.get_by_role("button", name="Reviews").click()
    expect(bar.get_by_role("link", name="Patterns")).to_be_visible()
    page.screenshot(path=SCREENSHOTS / "navigation-manager-1280.png")
    bar.get_by_role("link", name="Patterns").click()
    page.wait_for_url(f"**{reverse('reviews:patterns')}")
    expect(bar.get_by_role("button", name="Reviews")).to_have_class(
        "btn btn-link nav-link dropdown-toggle active"
    )
    # From the keyboard: the menu opens with Enter and its links take the focus.
    toggle = bar.get_by_role("button", name="Administration")
    toggle.focus()
    page.keyboard.press("Enter")
    page.keyboard.press("ArrowDown")
    expect(bar.get_by_role("link", name="SLA drafts")).to_be_focused()
