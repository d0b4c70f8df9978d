"""Live pages in real browsers: a manager keeps the open queue open with a case ticked and a
bulk reason half typed; an operator raises a case in another browser; the manager's queue shows
it without a reload, her tick and her text intact, and her bell counts a new notification."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Page, expect

from cases.models import Case, Status
from sla.models import Notification, NotificationKind
from tests.factories import CaseFactory, CustomerFactory
from tests.integration.test_case_journeys import log_in

pytestmark = [pytest.mark.integration, pytest.mark.browser]

# The polls come every second here (LIVE_POLL_SECONDS); each wait below allows several.
WAIT_MS = 10_000


@pytest.mark.django_db(transaction=True)
def test_a_second_browser_sees_a_new_case_appear_in_the_open_queue_without_reloading(
    live_server, page: Page, browser: Browser, alice, bob, password, settings
) -> None:
    settings.LIVE_POLL_SECONDS = 1
    acme = CustomerFactory(name="Acme Retail")
    ticked = CaseFactory(title="Invoices print blank", raised_by=alice, status=Status.NEW)
    base = live_server.url

    # A: the manager's open queue, one case ticked and a bulk reason half typed (still focused).
    log_in(page, base, "bob", password)
    page.goto(f"{base}/cases/")
    rows = page.locator("#queue-rows")
    expect(rows).to_contain_text(ticked.reference)
    page.locator(f"#select-{ticked.pk}").check()
    reason = page.locator("#id_bulk-reason")
    if not reason.is_visible():  # the bulk bar is folded until asked for
        page.get_by_role("button", name="Bulk actions").click()
    reason.click()
    reason.press_sequentially("Moving these to the payments te")

    # B: an operator raises a case in a browser of her own.
    other = browser.new_context()
    try:
        operator = other.new_page()
        log_in(operator, base, "alice", password)
        operator.goto(f"{base}/cases/new/")
        operator.get_by_role("combobox", name="Customer").select_option(str(acme.pk))
        operator.get_by_label("Severity").select_option("S2")
        operator.get_by_label("Title").fill("Checkout fails with error 502")
        operator.get_by_label("Description").fill("Every order stops at the payment step.")
        operator.get_by_role("button", name="Raise escalation").click()
        expect(operator.get_by_role("alert")).to_contain_text("raised.")
    finally:
        other.close()
    raised = Case.objects.get(title="Checkout fails with error 502")

    # A, without a reload: the new case is listed; the tick, the text and the focus stayed.
    expect(rows).to_contain_text(raised.reference, timeout=WAIT_MS)
    expect(rows).to_contain_text(ticked.reference)
    expect(page.locator(f"#select-{ticked.pk}")).to_be_checked()
    expect(page.locator(f"#select-{raised.pk}")).not_to_be_checked()
    expect(reason).to_have_value("Moving these to the payments te")
    expect(reason).to_be_focused()

    # The bell counts a notification that arrives meanwhile.
    expect(page.get_by_test_id("unread-count")).to_have_count(0)
    Notification.objects.create(
        recipient=bob,
        case=raised,
        kind=NotificationKind.ASSIGNED,
        subject=f"{raised.reference} {raised.title}",
        created_at=raised.raised_at,
    )
    expect(page.get_by_test_id("unread-count")).to_have_text("1", timeout=WAIT_MS)
    expect(reason).to_have_value("Moving these to the payments te")
