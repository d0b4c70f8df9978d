"""The pages people work in, checked in a real browser: axe-core finds no serious or critical
accessibility problem, no page scrolls sideways on a phone, and the favicon is found.

axe-core is vendored under ``tests/integration/vendor/`` (see VERSIONS.md there). The pages send
a Content-Security-Policy without inline script, so axe is evaluated through DevTools
(``page.evaluate``), which the page's policy does not govern, instead of a script tag.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import Page, Response, ViewportSize, expect

from cases.models import Case, Severity, Status, Tier
from cases.services.raising import case_raise
from cases.services.triage import case_add_note, case_assign, case_change_severity
from sla.models import CaseClock, ClockKind, Notification, NotificationKind
from tests.factories import CaseFactory, CustomerFactory, ProductFactory
from tests.integration.test_reports_browser import last_weeks_cases
from tests.reviews.factories import CorrectiveActionFactory, ReviewFactory
from tests.reviews.factories import resolved_case as reviewed_case
from tests.sla.factories import SlaPolicyFactory

pytestmark = [pytest.mark.integration, pytest.mark.browser]

AXE = (Path(__file__).resolve().parent / "vendor" / "axe.min.js").read_text()
SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
DESKTOP: ViewportSize = {"width": 1400, "height": 900}
PHONE: ViewportSize = {"width": 390, "height": 844}
BLOCKING = ("serious", "critical")


@dataclass(frozen=True)
class World:
    case: Case
    week: str


def clock(case: Case, kind: str, *, due_in: timedelta, warn_in: timedelta) -> None:
    now = timezone.now()
    CaseClock.objects.create(
        case=case,
        kind=kind,
        target_seconds=3600,
        started_at=now - timedelta(hours=2),
        due_at=now + due_in,
        warn_at=now + warn_in,
    )


def build_world(alice: Any, bob: Any, service_desk: Any) -> World:
    """Enough of everything for every badge, table and list to show: cases of each severity
    and status with clocks breached, at risk and on track, a case whose timeline holds a raise,
    an assignment, notes, an update and a severity change, a review with an action, unread
    notifications with long subjects, and last week's report."""
    week = last_weeks_cases()
    for severity in Severity.values:
        SlaPolicyFactory(tier=Tier.PREMIUM, severity=severity)
    acme = CustomerFactory(name="Acme Retail International Holdings", tier=Tier.PREMIUM)
    webshop = ProductFactory(name="Webshop")
    case = case_raise(
        raised_by=alice,
        customer=acme,
        product=webshop,
        title="Checkout fails with error 502 for every shopper paying by card in the EU region",
        description="Since 09:10 every card payment ends in a 502 from the payment gateway.",
        tried="Cleared the CDN cache; restarted the checkout pods.",
        severity=Severity.S2,
        team=service_desk,
    )
    case = case_assign(case=case, by=bob, owner=alice, reason="Alice knows the gateway.")
    case_add_note(case=case, by=alice, body="The gateway's certificate expired at 09:00.")
    case_add_note(
        case=case, by=alice, body="We found the cause and are renewing it.", customer_facing=True
    )
    case_change_severity(case=case, by=bob, severity=Severity.S1, reason="All EU shoppers.")

    hour = timedelta(hours=1)
    states = [(-hour, -2 * hour), (hour / 2, -hour / 4), (5 * hour, 4 * hour)]
    statuses = [Status.NEW, Status.ACKNOWLEDGED, Status.IN_PROGRESS, Status.WAITING]
    for n, severity in enumerate(Severity.values):
        for m, (due_in, warn_in) in enumerate(states):
            other = CaseFactory(
                team=service_desk,
                severity=severity,
                status=statuses[(n + m) % len(statuses)],
                owner=alice if m else None,
                raised_by=alice,
                customer=acme,
                raised_at=timezone.now() - (n + m + 1) * hour,
            )
            clock(other, ClockKind.RESPONSE, due_in=due_in, warn_in=warn_in)
            clock(other, ClockKind.RESOLUTION, due_in=due_in + hour, warn_in=warn_in + hour)
    CaseFactory(team=service_desk, status=Status.RESOLVED, raised_by=alice, customer=acme)

    review = ReviewFactory(case=reviewed_case(team=service_desk, raised_by=alice, customer=acme))
    CorrectiveActionFactory(review=review, owner=bob, due_on=timezone.localdate() - timedelta(1))

    for user in (alice, bob):
        for n, kind in enumerate(NotificationKind.values[:3]):
            Notification.objects.create(
                recipient=user,
                case=case,
                kind=kind,
                subject=f"{case.reference} {kind}: {case.title}",
                body="Resolution: breached 25 minutes ago; reassigned to Level 2 payments.",
                created_at=timezone.now() - timedelta(minutes=10 * n),
            )
    return World(case=case, week=str(week))


@pytest.fixture
def world(alice, bob, erin, service_desk) -> World:  # type: ignore[no-untyped-def]
    return build_world(alice, bob, service_desk)


@dataclass(frozen=True)
class Visit:
    """A page as one persona sees it (``None``: signed out)."""

    name: str
    username: str | None
    path: Callable[[World], str]


LOGIN = Visit("login", None, lambda w: "/accounts/login/")
QUEUE = Visit("queue", "bob", lambda w: "/cases/")
DASHBOARD = Visit("dashboard", "bob", lambda w: "/learning/")
MINE = Visit("mine", "alice", lambda w: "/cases/mine/")
WEEKLY = Visit("weekly", "erin", lambda w: f"/reports/weekly/{w.week}/")
CASE_MANAGER = Visit("case-manager", "bob", lambda w: f"/cases/{w.case.reference}/")
CASE_OPERATOR = Visit("case-operator", "alice", lambda w: f"/cases/{w.case.reference}/")
RAISE = Visit("raise", "alice", lambda w: "/cases/new/")
NOTIFICATIONS = Visit("notifications", "alice", lambda w: "/sla/notifications/")

AXE_PAGES = [
    LOGIN,
    QUEUE,
    DASHBOARD,
    MINE,
    WEEKLY,
    CASE_MANAGER,
    CASE_OPERATOR,
    RAISE,
    NOTIFICATIONS,
]
PHONE_PAGES = [CASE_MANAGER, CASE_OPERATOR, DASHBOARD, QUEUE, NOTIFICATIONS, WEEKLY, MINE, RAISE]


def failed_responses(page: Page) -> list[str]:
    """Every answer of 400 or more the page receives from now on (a missing favicon, too)."""
    failed: list[str] = []

    def on_response(response: Response) -> None:
        if response.status >= 400:
            failed.append(f"{response.status} {response.url}")

    page.on("response", on_response)
    return failed


def open_page(page: Page, base: str, visit: Visit, world: World, password: str) -> None:
    if visit.username is not None:
        page.goto(f"{base}/accounts/login/")
        page.get_by_label("Username").fill(visit.username)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Log in").click()
        expect(page.get_by_role("navigation", name="Main")).to_be_visible()
    page.goto(f"{base}{visit.path(world)}")
    page.wait_for_load_state("networkidle")  # HTMX fragments and charts are in


def shoot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"{name}.png", full_page=True)


def axe_violations(page: Page) -> list[dict[str, Any]]:
    """Run axe-core on the page as it stands, with every disclosure (``<details>``) open so the
    forms behind them are checked too (the case page fetches each action form when its
    disclosure opens: wait until they are all in); the violations that block people."""
    page.evaluate("document.querySelectorAll('details').forEach(d => { d.open = true; })")
    page.wait_for_load_state("networkidle")
    expect(page.locator(".case-action-body").get_by_text("Show the form")).to_have_count(0)
    page.evaluate(AXE)
    results = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    return [v for v in results["violations"] if v["impact"] in BLOCKING]


def describe(violations: list[dict[str, Any]]) -> str:
    lines = []
    for violation in violations:
        lines.append(
            f"{violation['id']} ({violation['impact']}, {len(violation['nodes'])} nodes): "
            f"{violation['help']} {violation['helpUrl']}"
        )
        for node in violation["nodes"]:
            target = " ".join(str(part) for part in node["target"])
            summary = " ".join((node.get("failureSummary") or "").split())
            lines.append(f"  {target}: {summary}")
    return "\n".join(lines)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("visit", AXE_PAGES, ids=[v.name for v in AXE_PAGES])
def test_axe_finds_no_serious_or_critical_violation(
    live_server, page: Page, world: World, password: str, visit: Visit
) -> None:
    page.set_viewport_size(DESKTOP)
    failed = failed_responses(page)
    open_page(page, live_server.url, visit, world, password)
    violations = axe_violations(page)
    shoot(page, f"a11y-{visit.name}")
    assert violations == [], f"{visit.name} ({page.url}):\n{describe(violations)}"
    assert failed == []


OVERFLOWING = """() => {
  const width = window.innerWidth;
  // Inside a scrolling (or clipping) box, such as .table-responsive, the box scrolls, not the page.
  const scrolls = el => {
    for (let up = el.parentElement; up && up !== document.body; up = up.parentElement) {
      if (getComputedStyle(up).overflowX !== 'visible') return true;
    }
    return false;
  };
  const wide = [...document.querySelectorAll('body *')].filter(el => {
    const box = el.getBoundingClientRect();
    return box.right > width + 0.5 && box.width > 1 && !scrolls(el);
  });
  // The innermost elements that stick out: their parents stick out because of them.
  const innermost = wide.filter(el => !wide.some(other => other !== el && el.contains(other)));
  return {
    scrollWidth: document.documentElement.scrollWidth,
    innerWidth: width,
    elements: innermost.slice(0, 12).map(el => {
      const name = el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
        [...el.classList].map(c => '.' + c).join('');
      return `${name} (right edge ${Math.round(el.getBoundingClientRect().right)} px)`;
    }),
  };
}"""


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("visit", PHONE_PAGES, ids=[v.name for v in PHONE_PAGES])
def test_on_a_phone_no_page_scrolls_sideways_and_axe_finds_nothing_serious(
    live_server, page: Page, world: World, password: str, visit: Visit
) -> None:
    page.set_viewport_size(PHONE)
    open_page(page, live_server.url, visit, world, password)
    page.evaluate("document.querySelectorAll('details').forEach(d => { d.open = true; })")
    shoot(page, f"phone-{visit.name}")
    found = page.evaluate(OVERFLOWING)
    assert found["scrollWidth"] <= found["innerWidth"], (
        f"{visit.name} ({page.url}) is {found['scrollWidth']} px wide in a "
        f"{found['innerWidth']} px window; sticking out: {', '.join(found['elements'])}"
    )
    # What scrolls in its own box on a phone must still be reachable (scrollable-region-focusable).
    violations = axe_violations(page)
    assert violations == [], f"{visit.name} at 390 px ({page.url}):\n{describe(violations)}"


@pytest.mark.django_db(transaction=True)
def test_the_browser_finds_the_icon_signed_out_and_signed_in(
    live_server, page: Page, alice, password: str
) -> None:
    failed = failed_responses(page)
    # Chromium fetches the icon a page links (and reports it); the /favicon.ico it asks for when
    # a page links none is not reported to the page, so that one is fetched below.
    with page.expect_response(lambda r: "favicon" in r.url, timeout=10_000) as signed_out:
        page.goto(f"{live_server.url}/accounts/login/")
    assert signed_out.value.status == 200
    assert signed_out.value.headers["content-type"].startswith("image/svg+xml")
    page.get_by_label("Username").fill("alice")
    page.get_by_label("Password").fill(password)
    with page.expect_response(lambda r: "favicon" in r.url, timeout=10_000) as signed_in:
        page.get_by_role("button", name="Log in").click()
    assert signed_in.value.status == 200

    legacy = page.request.get(f"{live_server.url}/favicon.ico")  # follows the redirect
    assert legacy.ok
    assert legacy.headers["content-type"].startswith("image/svg+xml")
    assert failed == []
