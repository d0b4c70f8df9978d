"""A customer's reply is placed in the IMAP mailbox (dovecot), fetched twice by the beat task
and posted once; a stranger's mail waits in the quarantine, where a manager attaches it to the
case in a real browser; both are on the case page."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page, expect

from cases.models import EventKind, Status
from comms import tasks
from comms.imap import LOCK_KEY
from comms.threading import reply_address_for
from tests.comms.imap import ImapServer, imap_server_fixture  # noqa: F401 - fixture
from tests.comms.mails import customer_mail
from tests.factories import CaseFactory, ContactFactory
from tests.integration.test_accessibility import (
    DESKTOP,
    axe_violations,
    describe,
    failed_responses,
    shoot,
)
from tests.integration.test_case_journeys import log_in

pytestmark = [pytest.mark.integration, pytest.mark.browser]


@pytest.mark.django_db(transaction=True)
def test_a_reply_is_fetched_once_and_a_manager_releases_a_strangers_mail(
    live_server,
    page: Page,
    settings: Any,
    bob: Any,
    password: str,
    imap_server: ImapServer,
    tmp_path: Any,
) -> None:
    settings.COMMS_IMAP_URL = imap_server.url
    settings.MEDIA_ROOT = tmp_path / "media"
    contact = ContactFactory(name="Pat Jones", email="pat@customer.example")
    case = CaseFactory(
        customer=contact.customer,
        contact=contact,
        owner=bob,
        status=Status.WAITING,
        title="Checkout fails with error 502 for card payments",
    )
    imap_server.append(
        customer_mail(
            to=reply_address_for(case),
            sender="pat@customer.example",
            body="The last one failed at 10:02, log attached.\n\nOn Mon, Bob wrote:\n> Any news?\n",
            attachments=[("checkout.log", "text/plain", b"10:02:11 payment 502\n")],
        ),
        customer_mail(
            to="support@example.com",
            sender="sam.colleague@customer.example",
            subject="Checkout still broken here too",
            body="Same 502 on our second shop since this morning.\n",
        ),
    )
    from django.core.cache import cache

    cache.delete(LOCK_KEY)
    tasks.imap_fetch()
    tasks.imap_fetch()
    assert case.events.filter(kind=EventKind.CUSTOMER_MESSAGE).count() == 1
    case.refresh_from_db()
    assert case.status == Status.IN_PROGRESS

    failed = failed_responses(page)
    page.set_viewport_size(DESKTOP)
    log_in(page, live_server.url, "bob", password)
    page.get_by_role("button", name="Administration").click()  # the bar's menu
    page.get_by_role("link", name="Quarantined mail").click()
    item = page.locator("li", has_text="Checkout still broken here too")
    expect(item.get_by_text("sam.colleague@customer.example")).to_be_visible()
    violations = axe_violations(page)
    shoot(page, "quarantine")
    assert violations == [], describe(violations)
    item.get_by_label("Case reference").fill(case.reference)
    item.get_by_role("button", name="Attach to case").click()
    expect(page.get_by_text(f"is on {case.reference}")).to_be_visible()
    expect(page.get_by_text("Nothing is in quarantine.")).to_be_visible()

    page.goto(f"{live_server.url}/cases/{case.reference}/")
    expect(page.get_by_text("The last one failed at 10:02, log attached.")).to_be_visible()
    files = page.get_by_role("list", name="Files sent with this message")
    expect(files.get_by_role("link", name="checkout.log")).to_be_visible()
    expect(page.get_by_text("Same 502 on our second shop since this morning.")).to_be_visible()
    shoot(page, "case-customer-mail")
    assert case.events.filter(kind=EventKind.CUSTOMER_MESSAGE).count() == 2
    assert failed == []
