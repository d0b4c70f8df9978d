"""Each count of the manager's dashboard links to the list of the cases it counts."""

from __future__ import annotations

import re
from datetime import timedelta
from html.parser import HTMLParser

import pytest
from django.urls import reverse
from django.utils import timezone

from cases.models import Severity, Status
from sla.models import CaseClock, ClockKind
from sla.services import cases_sla_marks_refresh
from tests.conftest import client_for
from tests.factories import CaseFactory, TeamFactory, UserFactory
from tests.reviews.factories import CorrectiveActionFactory, ReviewFactory

pytestmark = pytest.mark.django_db

HOUR = timedelta(hours=1)
DASHBOARD = reverse("reviews:dashboard")
CUSTOMERS = reverse("reviews:dashboard_customers")


class Links(HTMLParser):
    """(href, text) of the links in the dashboard's summary cards and SLA table."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[tuple[str, str]] = []
        self._href: str | None = None
        self._text = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self._href, self._text = dict(attrs).get("href") or "", ""

    def handle_data(self, data: str) -> None:
        if self._href is not None:
            self._text += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self._href is not None:
            self.links.append((self._href.replace("&amp;", "&"), self._text.strip()))
            self._href = None


def section(page: str, heading_id: str) -> str:
    start = page.index(f'id="{heading_id}"')
    return page[start : page.index("</section>", start)]


def links_in(html: str) -> list[tuple[str, str]]:
    parser = Links()
    parser.feed(html)
    return parser.links


def open_case(team, *, due_in: timedelta | None = None, warn_in: timedelta | None = None, **kw):  # type: ignore[no-untyped-def]
    case = CaseFactory(team=team, status=Status.IN_PROGRESS, **kw)
    if due_in is not None:
        now = timezone.now()
        CaseClock.objects.create(
            case=case,
            kind=ClockKind.RESOLUTION,
            target_seconds=3600,
            started_at=now - 2 * HOUR,
            due_at=now + due_in,
            warn_at=now + (warn_in if warn_in is not None else due_in - HOUR),
        )
        cases_sla_marks_refresh(case_ids=[case.pk])  # not stored by the clock sync
    return case


def some_work(team) -> None:  # type: ignore[no-untyped-def]
    open_case(team, due_in=-HOUR)  # breached
    open_case(team, due_in=-HOUR, owner=UserFactory())  # breached, assigned
    open_case(team, due_in=HOUR / 2, warn_in=-HOUR / 4)  # at risk
    open_case(team, due_in=5 * HOUR)  # on track
    open_case(team)  # no clock


def queue_count(client, href: str) -> int:  # type: ignore[no-untyped-def]
    response = client.get(href)
    assert response.status_code == 200, href
    page = response.context["page"]
    assert not page.errors, href
    # The queue's own count says the same as its rows (these lists fit on one page).
    assert page.count_exact and page.count == len(page.rows), href
    return len(page.rows)


def test_every_sla_count_of_a_one_team_manager_lists_its_cases(bob) -> None:  # type: ignore[no-untyped-def]
    platform = TeamFactory(name="Platform", lead=bob)
    some_work(platform)
    some_work(TeamFactory(name="Elsewhere"))  # not bob's: never in his lists
    client = client_for(bob)
    page = client.get(DASHBOARD).content.decode()
    table = links_in(section(page, "sla-heading"))
    # Five states and the total, for Platform and for the totals row.
    assert len(table) == 12
    for href, text in table:
        assert href.startswith("/cases/?"), href
        assert queue_count(client, href) == int(text), href
    cards = dict((text, href) for href, text in links_in(section(page, "summary-heading")))
    assert queue_count(client, cards["3"]) == 3  # breached or at risk
    assert queue_count(client, cards["4"]) == 4  # unassigned


def test_a_manager_of_every_team_gets_totals_over_the_whole_queue(bob) -> None:  # type: ignore[no-untyped-def]
    some_work(TeamFactory(name="A"))
    some_work(TeamFactory(name="B"))
    open_case(None, due_in=-HOUR)  # no team: its own row, listed by ?team=none
    client = client_for(bob)
    page = client.get(DASHBOARD).content.decode()
    table = links_in(section(page, "sla-heading"))
    # A, B and "No team": six links each; the totals row six.
    assert len(table) == 24
    for href, text in table:
        assert queue_count(client, href) == int(text), href
    assert ("/cases/?sla=breached", "5") in table
    assert ("/cases/?team=none&sla=breached", "1") in table


def test_a_manager_of_several_teams_gets_each_teams_counts_linked(bob) -> None:  # type: ignore[no-untyped-def]
    management = TeamFactory(name="Management", lead=bob)
    some_work(TeamFactory(name="Desk", escalates_to=management))
    some_work(management)
    client = client_for(bob)
    page = client.get(DASHBOARD).content.decode()
    table = links_in(section(page, "sla-heading"))
    # Each team's row and the totals over both (the queue takes several teams).
    assert len(table) == 18
    for href, text in table:
        assert "team=" in href and queue_count(client, href) == int(text), href
    # The totals row: six links over both teams.
    both = [href for href, _ in table if len(re.findall(r"team=\d+", href)) == 2]
    assert len(both) == 6
    cards = links_in(section(page, "summary-heading"))
    for href, text in cards:
        if href.startswith("/cases/"):
            assert queue_count(client, href) == int(text), href


def test_review_counts_link_to_the_due_and_overdue_reviews(bob) -> None:  # type: ignore[no-untyped-def]
    today = timezone.localdate()
    ReviewFactory(due_on=today - timedelta(days=1))
    ReviewFactory(due_on=today + timedelta(days=2))
    ReviewFactory(due_on=today + timedelta(days=3))
    client = client_for(bob)
    cards = links_in(section(client.get(DASHBOARD).content.decode(), "summary-heading"))
    reviews = {text: href for href, text in cards if href.startswith(reverse("reviews:list"))}
    assert reviews == {"2 due": "/learning/reviews/?state=due", "1 overdue": (
        "/learning/reviews/?state=overdue"
    )}  # fmt: skip
    for text, href in reviews.items():
        listed = client.get(href).context["page"]
        assert len(listed.object_list) == int(text.split()[0])


# The lists under the SLA table stop at LIST_LIMIT rows; each says how many there are in all and
# links to the pages that list them all.
TOTAL = re.compile(r"(\d+) of (\d+)")


def list_total(page: str, heading_id: str) -> tuple[int, int, int, list[tuple[str, str]]]:
    """(rows shown, "N" and "M" of the list's "N of M", the links after it)."""
    html = section(page, heading_id)
    footer = html[html.rindex('<p class="small mb-0">') :]
    match = TOTAL.search(footer)
    assert match, heading_id
    rows = html.count("<tr>") - 1  # less the header row
    return rows, int(match[1]), int(match[2]), links_in(footer)


def listed(client, href: str) -> int:  # type: ignore[no-untyped-def]
    """How many rows the linked page lists."""
    if href.startswith(reverse("cases:queue")):
        return queue_count(client, href)
    response = client.get(href)
    assert response.status_code == 200, href
    if href.startswith(reverse("reviews:list")):
        return len(response.context["page"].object_list)
    assert href == reverse("reviews:risk"), href
    return len(response.context["customers"])


def lots_of_work(team, *, cases: int = 12) -> None:  # type: ignore[no-untyped-def]
    """More than a list shows of each: cases breached (unassigned, and each an open S1 of its
    own customer, so at risk), pending reviews, due actions."""
    for _ in range(cases):
        open_case(team, due_in=-HOUR, severity=Severity.S1)
    open_case(team, due_in=5 * HOUR)  # on track, unassigned


def pending_reviews_and_due_actions(alice) -> None:  # type: ignore[no-untyped-def]
    today = timezone.localdate()
    for days in range(-4, 9):  # 4 overdue, 9 due
        ReviewFactory(due_on=today + timedelta(days=days))
    done = ReviewFactory(due_on=today - timedelta(days=9), completed_at=timezone.now())
    for days in range(-4, 10):  # 12 due within a week (or overdue), 2 later
        CorrectiveActionFactory(review=done, owner=alice, due_on=today + timedelta(days=days))


def test_each_list_says_how_many_there_are_and_links_to_them_all(bob, alice) -> None:  # type: ignore[no-untyped-def]
    platform = TeamFactory(name="Platform", lead=bob)
    lots_of_work(platform)
    lots_of_work(TeamFactory(name="Elsewhere"), cases=3)  # not bob's: neither counted nor listed
    pending_reviews_and_due_actions(alice)
    client = client_for(bob)
    page = client.get(DASHBOARD).content.decode()
    # The customers' panel and its card's count: fetched by the page when it loads.
    customers = client.get(CUSTOMERS, headers={"HX-Request": "true"}).content.decode()
    assert f'hx-get="{CUSTOMERS}"' in section(page, "customers-panel")

    totals = {}
    for heading in ("risk-heading", "unassigned-heading", "reviews-heading", "customers-heading"):
        rows, shown, total, links = list_total(
            customers if heading == "customers-heading" else page, heading
        )
        assert rows == shown == 10, heading
        assert links and sum(listed(client, href) for href, _ in links) == total, heading
        totals[heading] = total, links
    assert totals["risk-heading"] == (
        12, [(f"/cases/?team={platform.pk}&sla=breached&sla=at_risk", "all 12 in the queue")]
    )  # fmt: skip
    assert totals["unassigned-heading"] == (
        13, [(f"/cases/?team={platform.pk}&unassigned=true", "all 13 in the queue")]
    )  # fmt: skip
    assert [text for _, text in totals["reviews-heading"][1]] == ["9 due", "4 overdue"]
    # Customers at risk: every team's (the card and the list count them all, not the first 10).
    assert totals["customers-heading"][0] == 15
    cards = {href: text for href, text in links_in(customers[customers.index("</section>") :])}
    assert cards[reverse("reviews:risk")] == "15"
    assert 'id="customers-at-risk-count" hx-swap-oob="true"' in customers
    assert 'id="customers-at-risk-count"' in section(page, "summary-heading")


def test_no_page_lists_every_due_action_so_the_list_says_where_they_are(bob, alice) -> None:  # type: ignore[no-untyped-def]
    pending_reviews_and_due_actions(alice)
    page = client_for(bob).get(DASHBOARD).content.decode()
    rows, shown, total, links = list_total(page, "actions-heading")
    assert rows == shown == 10 and total == 12
    assert "each is on its case&#x27;s review" in section(page, "actions-heading")
    assert links == [(reverse("reviews:actions_mine"), "my actions")]


def test_a_manager_of_several_teams_gets_the_rest_of_each_list_in_one_link(bob) -> None:  # type: ignore[no-untyped-def]
    management = TeamFactory(name="Management", lead=bob)
    desk = TeamFactory(name="Desk", escalates_to=management)
    lots_of_work(desk, cases=7)
    lots_of_work(management, cases=5)
    lots_of_work(TeamFactory(name="Elsewhere"), cases=2)  # not bob's
    client = client_for(bob)
    page = client.get(DASHBOARD).content.decode()
    for heading, total in (("risk-heading", 12), ("unassigned-heading", 14)):
        rows, shown, counted, links = list_total(page, heading)
        assert rows == shown == 10 and counted == total, heading
        assert [text for _, text in links] == [f"all {total} in the queue"], heading
        teams = sorted(int(t) for t in re.findall(r"team=(\d+)", links[0][0]))
        assert teams == sorted([desk.pk, management.pk]), heading
        assert listed(client, links[0][0]) == total, heading


def test_a_manager_of_every_team_gets_the_whole_queue_including_cases_without_a_team(bob) -> None:  # type: ignore[no-untyped-def]
    lots_of_work(TeamFactory(name="A"), cases=6)
    lots_of_work(None, cases=6)
    client = client_for(bob)
    page = client.get(DASHBOARD).content.decode()
    rows, shown, total, links = list_total(page, "risk-heading")
    assert (rows, shown, total) == (10, 10, 12)
    assert links == [("/cases/?sla=breached&sla=at_risk", "all 12 in the queue")]
    assert listed(client, links[0][0]) == 12


def test_a_short_list_says_it_shows_them_all(bob) -> None:  # type: ignore[no-untyped-def]
    lots_of_work(TeamFactory(name="Platform", lead=bob), cases=2)
    page = client_for(bob).get(DASHBOARD).content.decode()
    assert list_total(page, "risk-heading")[:3] == (2, 2, 2)


def test_the_dashboard_fetches_its_customers_at_risk_when_it_loads(bob) -> None:  # type: ignore[no-untyped-def]
    lots_of_work(TeamFactory(name="Platform", lead=bob), cases=2)
    page = client_for(bob).get(DASHBOARD).content.decode()
    panel = section(page, "customers-panel")
    assert f'hx-get="{CUSTOMERS}"' in panel and 'hx-trigger="load"' in panel
    # Without JS the panel is a link to the list.
    assert links_in(panel) == [(reverse("reviews:risk"), "The customers at risk")]
    response = client_for(bob).get(CUSTOMERS, headers={"HX-Request": "true"})
    assert response.status_code == 200
    html = response.content.decode()
    assert list_total(html, "customers-heading")[:3] == (2, 2, 2)
    assert "open S1" in html


def test_only_managers_fetch_the_dashboards_customers_at_risk(alice, erin, nora) -> None:  # type: ignore[no-untyped-def]
    for person in (alice, erin, nora):
        assert client_for(person).get(CUSTOMERS).status_code == 403, person.username
