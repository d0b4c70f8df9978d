"""The owner works the case in a real browser (issue #13): an L2 engineer finds the case the
SLA engine escalated to her in "My escalations", acknowledges it, sets it waiting on the
customer and back to in progress, and resolves it with a root cause and a summary, through the
case page's HTMX forms."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from cases.models import Case, EventKind, Level, Status
from cases.services import case_assign
from escalation.roles import Role
from tests.cases.factories import root_cause
from tests.factories import CaseFactory, CustomerFactory, TeamFactory, UserFactory
from tests.integration.test_case_journeys import SCREENSHOTS, htmx_settled, log_in

pytestmark = [pytest.mark.integration, pytest.mark.browser]


def shoot(page: Page, name: str) -> None:
    # caret="initial": hiding the caret leaves an empty style attribute on the page's inputs,
    # which htmx then copies onto the swapped-in ones, a refused inline style under the CSP.
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"{name}.png", full_page=True, caret="initial")


@pytest.fixture
def escalated(alice, service_desk) -> Case:  # type: ignore[no-untyped-def]
    """A new case of the service desk, escalated to Ines of level 2 as the SLA engine does it
    (``case_assign`` by the system, an escalation event), next to another of her team's cases."""
    level2 = TeamFactory(name="Level 2 payments", level=Level.L2)
    ines = UserFactory(username="ines", first_name="Ines", last_name="Park", role=Role.OPERATOR)
    level2.members.add(ines)
    acme = CustomerFactory(name="Acme Retail", tier="premium")
    case = CaseFactory(
        customer=acme, title="Card payments declined", raised_by=alice, team=service_desk
    )
    case = case_assign(
        case=case,
        by=None,
        owner=ines,
        team=level2,
        reason="First response target breached. Rule: next level.",
        event_kind=EventKind.ESCALATED,
    )
    CaseFactory(customer=acme, title="Refunds are slow", raised_by=alice, team=level2)
    root_cause("Expired certificate", "Configuration")
    return case


@pytest.mark.django_db(transaction=True)
def test_an_engineer_works_her_escalated_case_from_acknowledged_to_resolved(
    live_server, page: Page, escalated: Case, password: str
) -> None:
    base = live_server.url
    ref = escalated.reference

    # 1. "My escalations" holds her team's cases; "Assigned to you" narrows it to hers.
    log_in(page, base, "ines", password)
    page.goto(f"{base}/cases/mine/")
    rows = page.locator("table.queue-table tbody tr")
    expect(rows).to_have_count(2)
    page.get_by_role("link", name="Assigned to you").click()
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(ref)
    expect(rows.first).to_contain_text("You")
    shoot(page, "owner-1-my-escalations-assigned-to-you")
    rows.first.get_by_role("link", name=ref).click()
    expect(page).to_have_url(f"{base}/cases/{ref}/")

    # 2. The case page offers her the forms of working it, none of the managers'.
    actions = page.locator("#case-actions")
    expect(actions).to_contain_text("Work this case")
    expect(actions.locator("#action-severity")).to_have_count(0)
    expect(page.locator("#case-timeline")).to_contain_text("First response target breached")
    shoot(page, "owner-2-escalated-case")
    page.get_by_role("button", name="Acknowledge").click()
    expect(page.locator("#case-flash")).to_contain_text(f"{ref} acknowledged.")
    expect(page.locator("#case-header")).to_contain_text("Acknowledged")
    htmx_settled(page)

    # 3. Waiting on the customer, then back to in progress.
    for status, reason in (
        ("Waiting on customer", "Asked for the gateway logs"),
        ("In progress", ""),
    ):
        page.locator("#action-status summary").click()
        page.locator("#id_status-status").select_option(label=status)
        if reason:
            page.locator("#id_status-reason").fill(reason)
        htmx_settled(page)  # the fetched form is wired
        page.get_by_role("button", name="Set status").click()
        expect(page.locator("#case-flash")).to_contain_text(f"Status set to {status.lower()}.")
        expect(page.locator("#case-header")).to_contain_text(status)
        htmx_settled(page)
        if reason:
            shoot(page, "owner-3-waiting-on-customer")

    # 4. Resolved with a root cause and a summary; reopening stays with the managers.
    page.locator("#action-resolve summary").click()
    page.locator("#id_resolve-summary").fill("Renewed the gateway's TLS certificate.")
    page.locator("#id_resolve-root_cause").select_option(
        label="Configuration / Expired certificate"
    )
    shoot(page, "owner-4-resolve-form")
    htmx_settled(page)  # the fetched form is wired
    page.get_by_role("button", name="Resolve case").click()
    expect(page.locator("#case-flash")).to_contain_text(f"{ref} resolved.")
    expect(page.locator("#case-header")).to_contain_text("Resolved")
    expect(page.locator("#case-resolution")).to_contain_text("Renewed the gateway")
    expect(page.locator("#action-reopen")).to_have_count(0)
    timeline = page.locator("#case-timeline")
    expect(timeline).to_contain_text("Asked for the gateway logs")
    shoot(page, "owner-5-resolved-by-the-owner")

    escalated.refresh_from_db()
    assert (escalated.status, escalated.owner.username) == (Status.RESOLVED, "ines")
    worked = [EventKind.ACKNOWLEDGED, EventKind.STATUS, EventKind.RESOLVED]
    actors = escalated.events.filter(kind__in=worked).values_list("actor__username", flat=True)
    assert len(actors) == 4
    assert set(actors) == {"ines"}
