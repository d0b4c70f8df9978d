"""A case's life in a real browser: an operator raises it, a manager finds, reassigns and
resolves it through the HTMX forms, and the timeline tells every step."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from cases.models import Case, Status
from escalation.roles import Role
from tests.cases.factories import root_cause
from tests.factories import (
    CaseFactory,
    ContactFactory,
    CustomerFactory,
    ProductFactory,
    TeamFactory,
    UserFactory,
)

pytestmark = [pytest.mark.integration, pytest.mark.browser]

SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
PHONE = {"width": 390, "height": 844}


def shoot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"{name}.png", full_page=True)


def log_in(page: Page, base_url: str, username: str, password: str) -> None:
    page.goto(f"{base_url}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("navigation", name="Main")).to_be_visible()


def htmx_settled(page: Page) -> None:
    """Wait until htmx has fetched, swapped in and wired up every fragment the page asked for.

    htmx binds the triggers of a swapped-in fragment when it settles (20 ms after the swap, later
    on a loaded machine); a control the test changes in that gap is visible but deaf, and the
    change is lost. The classes are htmx's own, documented ones."""
    page.wait_for_function(
        "() => !document.querySelector("
        "'.htmx-request, .htmx-swapping, .htmx-added, .htmx-settling')"
    )


@pytest.fixture
def world(alice, bob, service_desk):  # type: ignore[no-untyped-def]
    acme = CustomerFactory(name="Acme Retail", tier="premium")
    ContactFactory(customer=acme, name="Dana Fischer", email="dana@acme.example")
    CustomerFactory(name="Globex")
    webshop = ProductFactory(name="Webshop")
    level2 = TeamFactory(name="Level 2 payments", level="L2")
    dave = UserFactory(username="dave", first_name="Dave", last_name="Okafor", role=Role.OPERATOR)
    level2.members.add(dave)
    earlier = CaseFactory(
        customer=acme,
        product=webshop,
        title="Checkout page times out for some shoppers",
        raised_by=alice,
        team=service_desk,
        status=Status.IN_PROGRESS,
    )
    CaseFactory(customer=CustomerFactory(name="Initech"), raised_by=bob, team=service_desk)
    cause = root_cause("Expired certificate", "Configuration")
    return {"earlier": earlier, "cause": cause}


@pytest.mark.django_db(transaction=True)
def test_a_case_is_raised_triaged_resolved_and_its_timeline_tells_every_step(
    live_server, page: Page, browser: Browser, world, password, tmp_path
) -> None:
    base = live_server.url

    # 1. The operator raises the case and is warned of a possible duplicate while typing.
    log_in(page, base, "alice", password)
    page.goto(f"{base}/cases/new/")
    page.get_by_role("combobox", name="Customer").select_option(label="Acme Retail (Premium)")
    expect(page.get_by_label("Contact")).to_contain_text("Dana Fischer")
    page.get_by_label("Contact").select_option(label="Dana Fischer")
    page.get_by_label("Product", exact=True).select_option(label="Webshop")
    page.get_by_label("Severity").select_option("S2")
    page.get_by_label("Impact").select_option("site")
    page.get_by_label("Title").press_sequentially("Checkout fails with error 502")
    hint = page.locator(".duplicate-hints")
    expect(hint).to_contain_text(world["earlier"].reference)
    expect(hint).to_contain_text("Checkout page times out")
    page.get_by_label("Description").fill("Every order stops at the payment step since 09:10.")
    page.get_by_label("What was tried").fill("Cleared the CDN cache; restarted the pods.")
    log = tmp_path / "gateway.txt"
    log.write_text("502 Bad Gateway upstream=payments\n")
    page.get_by_label("Files").set_input_files(str(log))
    shoot(page, "journey-1-raise-form-with-duplicate-hint")
    page.get_by_role("button", name="Raise escalation").click()

    expect(page).to_have_url(re.compile(r"/cases/ESC-\d+/$"))
    case = Case.objects.get(title="Checkout fails with error 502")
    expect(page).to_have_url(f"{base}/cases/{case.reference}/")
    expect(page.get_by_role("alert")).to_contain_text(f"Escalation {case.reference} raised.")
    expect(page.locator("#case-header")).to_contain_text("Acme Retail")
    expect(page.locator("#case-side")).to_contain_text("gateway.txt")
    shoot(page, "journey-2-raised-case-page")

    # 2. The manager finds it in the queue by filtering on the customer.
    manager = browser.new_context(viewport={"width": 1366, "height": 900})
    mpage = manager.new_page()
    log_in(mpage, base, "bob", password)
    mpage.goto(f"{base}/cases/")
    mpage.get_by_label("Customer", exact=True).select_option(label="Acme Retail")
    mpage.get_by_role("button", name="Apply filters").click()
    expect(mpage).to_have_url(re.compile(r"customer=\d+"))
    rows = mpage.locator("table.queue-table tbody tr")
    expect(rows).to_have_count(2)
    new_row = rows.filter(has_text=case.reference)
    expect(new_row).to_have_class(re.compile("unassigned-new"))
    expect(new_row).to_contain_text("Unassigned")
    shoot(mpage, "journey-3-queue-filtered-by-customer")

    # 3. ... acknowledges, reassigns and resolves it through the HTMX forms.
    new_row.get_by_role("link", name=case.reference).click()
    expect(mpage).to_have_url(f"{base}/cases/{case.reference}/")
    mpage.get_by_role("button", name="Acknowledge").click()
    expect(mpage.locator("#case-flash")).to_contain_text(f"{case.reference} acknowledged.")
    expect(mpage.locator("#case-header")).to_contain_text("Acknowledged")

    htmx_settled(mpage)
    mpage.locator("#action-assign summary").click()
    mpage.locator("#id_assign-team").select_option(label="Level 2 payments")
    mpage.locator("#id_assign-owner").select_option(label="Dave Okafor")
    mpage.locator("#id_assign-reason").fill("Payment gateway specialists")
    shoot(mpage, "journey-4a-assign-form-fetched-when-opened")
    htmx_settled(mpage)  # the fetched form is wired
    mpage.get_by_role("button", name="Assign").click()
    expect(mpage.locator("#case-flash")).to_contain_text("assigned to Dave Okafor")
    expect(mpage.locator("#case-header")).to_contain_text("Level 2 payments")
    shoot(mpage, "journey-4-reassigned-in-place")
    htmx_settled(mpage)

    mpage.locator("#action-resolve summary").click()
    mpage.locator("#id_resolve-summary").fill("Renewed the gateway's TLS certificate.")
    cause = mpage.locator("#id_resolve-root_cause")
    cause.select_option(label="Configuration / Expired certificate")
    htmx_settled(mpage)  # the fetched form is wired
    mpage.get_by_role("button", name="Resolve case").click()
    expect(mpage.locator("#case-flash")).to_contain_text(f"{case.reference} resolved.")
    expect(mpage.locator("#case-header")).to_contain_text("Resolved")
    expect(mpage.locator("#case-resolution")).to_contain_text("Renewed the gateway")
    expect(mpage.locator("#case-actions")).to_contain_text("Reopen")

    # 4. The timeline shows every step, oldest first, and can be turned around.
    timeline = mpage.locator("#case-timeline")
    for step in ("Raised", "Attachment added", "Acknowledged", "Assigned", "Resolved"):
        expect(timeline).to_contain_text(step)
    expect(timeline).to_contain_text("Payment gateway specialists")
    badges = timeline.locator(".event-badge").all_inner_texts()
    # Resolving schedules the post-incident review and queues the customer's satisfaction
    # survey in the outbox, in the same transaction; the timeline records both.
    steps = ["Raised", "Attachment added", "Acknowledged", "Assigned", "Resolved", "Review"]
    assert badges == [*steps, "Customer satisfaction"]
    shoot(mpage, "journey-5-resolved-with-timeline")
    mpage.get_by_role("link", name="Newest first").click()
    expect(mpage).to_have_url(re.compile(r"\?order=newest$"))
    expect(timeline.locator(".event-badge").first).to_have_text("Customer satisfaction")

    # The operator sees the same story on her page.
    page.reload()
    expect(page.locator("#case-timeline")).to_contain_text("Renewed the gateway")
    manager.close()


@pytest.mark.django_db(transaction=True)
def test_pages_read_well_on_a_phone(live_server, browser: Browser, world, password) -> None:
    base = live_server.url
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    phone = context.new_page()
    log_in(phone, base, "bob", password)
    earlier = world["earlier"]
    for name, path in (
        ("phone-queue", "/cases/"),
        ("phone-case", f"/cases/{earlier.reference}/"),
        ("phone-raise", "/cases/new/"),
    ):
        phone.goto(f"{base}{path}")
        expect(phone.locator("main")).to_be_visible()
        # Nothing but the table scroller may be wider than the screen.
        overflow = phone.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{name} scrolls sideways by {overflow}px"
        shoot(phone, name)
    context.close()


@pytest.mark.django_db(transaction=True)
def test_an_action_works_without_javascript(live_server, browser: Browser, world, password) -> None:
    base = live_server.url
    context = browser.new_context(java_script_enabled=False)
    plain = context.new_page()
    log_in(plain, base, "bob", password)
    earlier = world["earlier"]
    plain.goto(f"{base}/cases/{earlier.reference}/")
    plain.locator("#action-severity summary").click()
    # Folded forms are fetched by htmx when opened; without JS a link opens the page with it.
    plain.locator("#action-severity").get_by_role("link", name="Show the form").click()
    plain.locator("#id_severity-severity").select_option("S1")
    plain.locator("#id_severity-reason").fill("Whole shop is down")
    plain.get_by_role("button", name="Change severity").click()
    expect(plain).to_have_url(f"{base}/cases/{earlier.reference}/")
    expect(plain.get_by_role("alert")).to_contain_text("Severity set to S1.")
    expect(plain.locator("#case-timeline")).to_contain_text("Whole shop is down")
    shoot(plain, "no-js-severity-changed")
    context.close()
