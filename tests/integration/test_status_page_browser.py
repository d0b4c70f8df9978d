"""The customer opens the status link from the update mail in a real browser and replies there
with a file; a manager revokes the link on the case page and the old link says so."""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest
from django.core import mail
from playwright.sync_api import Page, expect

from cases.models import CaseEvent, EventKind, Status
from cases.services import case_add_note
from tests.factories import CaseFactory, ContactFactory
from tests.integration.test_accessibility import (
    DESKTOP,
    PHONE,
    axe_violations,
    describe,
    failed_responses,
    shoot,
)
from tests.integration.test_case_journeys import htmx_settled, log_in

pytestmark = [pytest.mark.integration, pytest.mark.browser]

LINK = re.compile(r"https?://\S+/status/[^/\s]+/")


@pytest.fixture(autouse=True)
def _own_rate_counters(settings: Any, tmp_path: Any) -> None:
    """This test's own request counters and files (the run's Redis cache is shared)."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": f"status-browser-{uuid.uuid4()}",
        }
    }
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.mark.django_db(transaction=True)
def test_the_customer_opens_the_link_from_the_mail_and_replies_with_a_file(
    live_server, page: Page, settings: Any, bob: Any, password: str, tmp_path: Any
) -> None:
    settings.SITE_URL = live_server.url
    contact = ContactFactory(name="Pat Jones", email="pat@customer.example")
    case = CaseFactory(
        customer=contact.customer,
        contact=contact,
        owner=bob,
        status=Status.WAITING,
        title="Checkout fails with error 502 for card payments",
    )
    case_add_note(case=case, by=bob, body="INTERNAL: gateway vendor blames our certificate.")
    case_add_note(
        case=case,
        by=bob,
        body="We found the cause: an expired certificate at the payment gateway.\n"
        "Could you send us the time of the last failed payment?",
        customer_facing=True,
    )
    sent = [m for m in mail.outbox if "pat@customer.example" in m.to]
    assert sent, "the update was not mailed to the contact"
    found = LINK.search(sent[-1].body)
    assert found, sent[-1].body
    link = found.group(0)

    failed = failed_responses(page)
    page.set_viewport_size(DESKTOP)
    page.goto(link)
    expect(page.get_by_role("heading", level=1)).to_contain_text(case.reference)
    expect(page.get_by_text("Waiting on customer")).to_be_visible()
    expect(page.get_by_text("an expired certificate at the payment gateway")).to_be_visible()
    expect(page.get_by_text("gateway vendor blames")).to_have_count(0)
    expect(page.get_by_text("We are waiting for your reply.")).to_be_visible()

    log = tmp_path / "checkout.log"
    log.write_text("2026-12-01 10:02:11 payment 502\n")
    page.get_by_label("Your message").fill("The last one failed at 10:02. Log attached.")
    page.get_by_label("Attach files").set_input_files(str(log))
    page.get_by_role("button", name="Send").click()

    expect(page.get_by_text("Thank you: your message is on the case.")).to_be_visible()
    expect(page.get_by_text("The last one failed at 10:02. Log attached.")).to_be_visible()
    expect(page.get_by_text("checkout.log")).to_be_visible()
    expect(page.get_by_text("In progress")).to_be_visible()
    violations = axe_violations(page)
    shoot(page, "status-page-replied")
    assert violations == [], describe(violations)

    page.set_viewport_size(PHONE)
    wide = page.evaluate("document.documentElement.scrollWidth > window.innerWidth")
    shoot(page, "status-page-phone")
    assert not wide, "the status page scrolls sideways on a phone"

    message = CaseEvent.objects.get(case=case, kind=EventKind.CUSTOMER_MESSAGE)
    assert message.data["via"] == "status_page"
    assert [a["name"] for a in message.data["attachments"]] == ["checkout.log"]
    case.refresh_from_db()
    assert case.status == Status.IN_PROGRESS
    assert failed == []

    # The manager revokes the link on the case page; the customer's old link says so.
    manager = page.context.browser.new_page()  # type: ignore[union-attr]
    manager.set_viewport_size(DESKTOP)
    log_in(manager, live_server.url, "bob", password)
    manager.goto(f"{live_server.url}/cases/{case.reference}/")
    panel = manager.locator("#status-link-panel")
    expect(panel.get_by_role("heading", name="Customer status page")).to_be_visible()
    htmx_settled(manager)
    panel.get_by_role("button", name="Revoke and issue a new link").click()
    expect(panel.get_by_text("The links sent so far no longer work.")).to_be_visible()
    new_link = panel.get_by_label(re.compile("Link for the customer")).input_value()
    assert new_link != link
    shoot(manager, "status-link-panel-revoked")
    manager.close()

    response = page.goto(link)
    assert response is not None and response.status == 410
    expect(page.get_by_role("heading", name="This link is no longer valid")).to_be_visible()
    violations = axe_violations(page)
    shoot(page, "status-page-revoked")
    assert violations == [], describe(violations)
    page.goto(new_link)
    expect(page.get_by_text("The last one failed at 10:02. Log attached.")).to_be_visible()
