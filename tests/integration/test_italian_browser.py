"""Switching to Italian in a real browser: the profile's choice, then the queue and a case page
in Italian, with screenshots (var/screenshots/italian-*.png) to look at for overflowing text."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.utils import translation
from django.utils.translation import gettext, pgettext
from playwright.sync_api import Page, expect

from cases.models import Severity, Status
from cases.services import case_add_note
from tests.cases.factories import case_in

pytestmark = [pytest.mark.integration, pytest.mark.browser]

SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"


def it(message: str, context: str = "") -> str:
    with translation.override("it"):
        translated = pgettext(context, message) if context else gettext(message)
    assert translated != message, f"no Italian for {message!r}"
    return translated


def log_in(page: Page, base: str, username: str, password: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()


@pytest.mark.django_db(transaction=True)
def test_a_manager_switches_to_italian_and_works_the_queue_and_a_case_in_it(
    live_server, page: Page, bob, alice, service_desk, password
) -> None:
    case = case_in(
        Status.IN_PROGRESS,
        team=service_desk,
        owner=alice,
        severity=Severity.S2,
        title="Checkout fails with error 502",
    )
    case_add_note(case=case, by=alice, body="Looked at the payment logs.")
    page.set_viewport_size({"width": 1400, "height": 900})
    log_in(page, live_server.url, "bob", password)
    page.get_by_role("button", name="Bob").click()
    page.get_by_role("link", name="Profile and language").click()
    page.get_by_label("Italiano").check()
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("alert")).to_contain_text(it("Your language is saved."))
    expect(page.locator("html")).to_have_attribute("lang", "it")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / "italian-profile.png", full_page=True)

    page.get_by_role("navigation", name=it("Main", "navigation")).get_by_role(
        "link", name=it("Triage queue")
    ).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(it("Triage queue"))
    expect(page.get_by_role("columnheader", name=it("Owner / team"))).to_be_visible()
    expect(page.locator("#queue-rows")).to_contain_text(it("In progress"))
    page.screenshot(path=SCREENSHOTS / "italian-queue.png", full_page=True)

    page.get_by_role("link", name=case.reference).click()
    expect(page.get_by_role("heading", name=it("Timeline"), exact=True)).to_be_visible()
    expect(page.get_by_role("heading", name=it("Manage this case"), exact=True)).to_be_visible()
    expect(page.locator("#case-header")).to_contain_text(it("S2 High"))
    page.screenshot(path=SCREENSHOTS / "italian-case.png", full_page=True)

    # On a phone too: the longer Italian words must not push the page sideways.
    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the Italian case page scrolls sideways on a phone ({width}px)"
    page.screenshot(path=SCREENSHOTS / "italian-case-phone.png", full_page=True)
