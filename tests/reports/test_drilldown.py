"""The drill-down lists: every count of the weekly report links to the rows it counts, and the
list is exactly as long as the figure (the known fortnight of conftest.py)."""

from __future__ import annotations

from html.parser import HTMLParser
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cases.models import Severity, Tier
from reports.models import WeeklySnapshot
from reports.payload import report_compute
from reports.selectors import (
    COUNT_KEYS,
    DIMENSIONS,
    METRICS,
    DrillDown,
    ReportFilters,
    drilldown_page,
    drilldown_rows,
)
from reports.weeks import period_for
from sla.models import SlaBreach
from tests.conftest import client_for
from tests.reports.conftest import NOW, W09, W10, W11, Fortnight, at
from tests.reports.factories import ClockKind, ReportCaseFactory, breached_clock

pytestmark = pytest.mark.django_db

ALL = ReportFilters()
DRILLDOWN = "/cases/?"


@pytest.fixture(autouse=True)
def _now(time_machine) -> None:  # type: ignore[no-untyped-def]
    time_machine.move_to(NOW, tick=False)


def cases_url(week: object = W10, **params: str | list[str]) -> str:
    return (
        reverse("reports:weekly_cases", kwargs={"week": week}) + "?" + urlencode(params, doseq=True)
    )


class FigureLinks(HTMLParser):
    """The (href, text) of every link of a page that goes to a drill-down list."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[tuple[str, str]] = []
        self._href: str | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        href = dict(attrs).get("href") or ""
        if tag == "a" and DRILLDOWN in href:
            self._href, self._text = href, []

    def handle_data(self, data: str) -> None:
        if self._href is not None:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self._href is not None:
            self.links.append((self._href, "".join(self._text).strip()))
            self._href = None


def figure_links(page: str) -> list[tuple[str, str]]:
    parser = FigureLinks()
    parser.feed(page)
    return parser.links


# --- The figure and its list agree ------------------------------------------------------------


@pytest.mark.parametrize("metric", COUNT_KEYS)
@pytest.mark.parametrize(
    "filters",
    [ALL, ReportFilters(tier=Tier.STANDARD), ReportFilters(tier=Tier.PREMIUM)],
    ids=["all", "standard", "premium"],
)
def test_each_headline_figure_is_the_length_of_its_list(
    fortnight: Fortnight, erin, metric: str, filters: ReportFilters
) -> None:  # type: ignore[no-untyped-def]
    payload = report_compute(week=W10, filters=filters, now=NOW)
    listing = drilldown_page(
        viewer=erin, query=DrillDown(METRICS[metric], filters), period=period_for(W10, now=NOW)
    )
    assert listing.count == len(listing.rows) == payload["headline"][metric]


@pytest.mark.parametrize("metric", COUNT_KEYS)
def test_each_breakdown_figure_is_the_length_of_its_list(
    fortnight: Fortnight, erin, metric: str
) -> None:  # type: ignore[no-untyped-def]
    payload = report_compute(week=W10, filters=ALL, now=NOW)
    period = period_for(W10, now=NOW)
    checked = 0
    for dimension in DIMENSIONS:
        for row in payload["breakdowns"][dimension.key]:
            query = DrillDown(METRICS[metric], ALL, dimension, (row["key"],))
            listing = drilldown_page(viewer=erin, query=query, period=period)
            assert listing.count == row[metric], (dimension.key, row["label"])
            checked += 1
    assert checked >= 10


def test_the_lists_hold_the_cases_the_fortnight_says(fortnight: Fortnight, erin) -> None:  # type: ignore[no-untyped-def]
    period = period_for(W10, now=NOW)
    c = {case.pk: name for name, case in fortnight.cases.items()}

    def names(metric: str) -> list[str]:
        rows = drilldown_page(viewer=erin, query=DrillDown(METRICS[metric]), period=period).rows
        return [c[row.case.pk] for row in rows]

    assert names("raised") == ["c1", "c2", "c3", "c9", "c10"]
    assert names("resolved") == ["c4", "c1", "c5", "c2"]  # by the moment of resolution
    assert names("backlog") == ["c8", "c7", "c3", "c9", "c10"]  # oldest first
    assert names("response_missed") == ["c3", "c9"]
    assert names("breaches") == ["c3", "c2", "c3", "c9"]  # Wed 14:00, Wed 17:00, Thu, Fri
    assert names("reopened") == ["c7"]  # reopened twice, listed once


def test_every_count_on_the_report_page_links_to_a_list_as_long_as_it(
    fortnight: Fortnight, erin
) -> None:  # type: ignore[no-untyped-def]
    client = client_for(erin)
    page = client.get(reverse("reports:weekly", kwargs={"week": W10})).content.decode()
    links = figure_links(page)
    checked = {"count": 0, "rate": 0}
    for href, text in links:
        response = client.get(href.replace("&amp;", "&"))
        assert response.status_code == 200, href
        listing = response.context["listing"]
        assert listing.count == len(listing.rows), href
        figure = text.replace(",", "").split()[0] if text else ""
        if figure.isdigit():  # "5", and "2 met" / "2 missed" under a rate
            assert listing.count == int(figure), (href, text)
            checked["count"] += 1
        elif text.endswith("%"):
            assert f"{response.context['rate']:.1f}%" == text, (href, text)
            checked["rate"] += 1
        # The frozen week's lists all agree with their frozen figures.
        assert not response.context["differs"], href
    # Headline cards, the 12-week trend, five breakdowns, customers, causes, ages, highlights.
    assert checked["count"] > 100 and checked["rate"] > 20
    metrics = {parse_qs(urlsplit(href).query)["metric"][0] for href, _ in links}
    assert set(COUNT_KEYS) | {"raised_open", "breached_cases"} <= metrics


def test_the_lists_links_of_a_filtered_report_keep_its_filters(fortnight: Fortnight, erin) -> None:  # type: ignore[no-untyped-def]
    team = fortnight.teams["sd"]
    client = client_for(erin)
    url = reverse("reports:weekly", kwargs={"week": W10}) + f"?team={team.pk}"
    links = figure_links(client.get(url).content.decode())
    assert links and all(f"team={team.pk}" in href for href, _ in links)
    card = next(href for href, text in links if "metric=raised&" in href.replace("&amp;", "&"))
    response = client.get(card.replace("&amp;", "&"))
    assert response.context["listing"].count == 4  # c1 c2 c9 c10
    assert "Team Service desk, all customers" in response.content.decode()


def test_a_breach_lists_its_kind_moment_and_the_policy_it_breached_under(
    fortnight: Fortnight, erin
) -> None:  # type: ignore[no-untyped-def]
    SlaBreach.objects.filter(case=fortnight.cases["c9"]).update(
        policy_name="Strategic S2", calendar_name="Office hours"
    )
    response = client_for(erin).get(cases_url(metric="response_missed"))
    page = response.content.decode()
    assert response.status_code == 200
    [c3, c9] = response.context["listing"].rows
    assert (c9.case, c9.clock_kind, c9.policy_name) == (
        fortnight.cases["c9"],
        "First response",
        "Strategic S2",
    )
    assert c9.moment == at(3, 6, 17)
    assert "Strategic S2" in page and "Office hours" in page and "Breached under" in page
    assert f'href="/cases/{fortnight.cases["c9"].reference}/"' in page
    # A missed count comes with the met one beside it and the rate they make.
    assert response.context["listing"].counterpart == 2
    assert response.context["rate"] == 50.0


def test_the_customer_and_strategic_lists_match_their_tables(fortnight: Fortnight, erin) -> None:  # type: ignore[no-untyped-def]
    payload = report_compute(week=W10, filters=ALL, now=NOW)
    period = period_for(W10, now=NOW)
    severity = next(d for d in DIMENSIONS if d.key == "severity")
    tier = next(d for d in DIMENSIONS if d.key == "tier")

    def count(metric: str, customer: int, **narrowing: object) -> int:
        query = DrillDown(METRICS[metric], ALL, customer_id=customer, **narrowing)  # type: ignore[arg-type]
        return drilldown_page(viewer=erin, query=query, period=period).count

    high = {"dimension": severity, "groups": (Severity.S1, Severity.S2)}
    assert payload["top_customers"]
    for row in payload["top_customers"]:
        customer = row["customer_id"]
        assert count("raised", customer) == row["raised"]
        assert count("raised", customer, **high) == row["high_severity"]
        assert count("raised_open", customer) == row["still_open"]
        assert count("breached_cases", customer) == row["breached"]
    strategic = DrillDown(METRICS["breached_cases"], ALL, tier, (Tier.STRATEGIC,))
    assert (
        drilldown_page(viewer=erin, query=strategic, period=period).count
        == (payload["strategic_breaches"]["total"])
    )


# --- Frozen and live weeks ----------------------------------------------------------------


def test_a_frozen_weeks_list_says_when_it_no_longer_matches_the_frozen_figure(
    fortnight: Fortnight, erin
) -> None:  # type: ignore[no-untyped-def]
    client = client_for(erin)
    client.get(reverse("reports:weekly", kwargs={"week": W10}))  # freezes W10
    before = client.get(cases_url(metric="breaches"))
    assert before.context["frozen"] == 4 and not before.context["differs"]
    assert 'id="frozen-agrees"' in before.content.decode()
    # A breach of W10 recorded late (after the freeze) appears in the list, not the report.
    late = ReportCaseFactory(raised_at=at(3, 3, 9), team=fortnight.teams["sd"])
    breached_clock(late, ClockKind.RESPONSE, breached_at=at(3, 3, 13))
    after = client.get(cases_url(metric="breaches"))
    assert after.context["listing"].count == 5
    assert after.context["frozen"] == 4 and after.context["differs"]
    page = after.content.decode()
    assert 'id="frozen-differs"' in page
    assert "The frozen report says 4; this list, read from the facts now, has 5." in page


def test_a_finished_week_not_yet_frozen_is_listed_without_freezing_it(
    fortnight: Fortnight, erin
) -> None:  # type: ignore[no-untyped-def]
    response = client_for(erin).get(cases_url(W09, metric="raised"))
    assert response.status_code == 200
    assert response.context["listing"].count == 2  # c4 c5
    assert "Not frozen yet" in response.content.decode()
    assert not WeeklySnapshot.objects.exists()


def test_the_running_week_is_listed_live(fortnight: Fortnight, bob) -> None:  # type: ignore[no-untyped-def]
    response = client_for(bob).get(cases_url(W11, metric="raised"))
    assert response.status_code == 200
    assert [r.case for r in response.context["listing"].rows] == [fortnight.cases["c6"]]
    assert "Live" in response.content.decode()


def test_the_backlog_by_age_lists_each_bucket(fortnight: Fortnight, erin) -> None:  # type: ignore[no-untyped-def]
    response = client_for(erin).get(cases_url(metric="backlog", age="4"))
    assert [r.case for r in response.context["listing"].rows] == [fortnight.cases["c8"]]
    assert "Open for &gt;30d" in response.content.decode()


# --- Who may see it, and bad requests ---------------------------------------------------------


@pytest.mark.parametrize("persona", ["alice", "nora"])
def test_operators_and_people_without_a_role_are_refused_the_list(
    fortnight: Fortnight, persona: str, request
) -> None:  # type: ignore[no-untyped-def]
    user = request.getfixturevalue(persona)
    assert client_for(user).get(cases_url(metric="raised")).status_code == 403


def test_an_anonymous_visitor_is_sent_to_log_in(fortnight: Fortnight, client) -> None:  # type: ignore[no-untyped-def]
    response = client.get(cases_url(metric="raised"))
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_the_list_holds_only_cases_the_viewer_may_open(fortnight: Fortnight, charlie) -> None:  # type: ignore[no-untyped-def]
    # The page refuses operators; the selector still narrows to the cases they may open.
    period = period_for(W10, now=NOW)
    field_support = ReportFilters(team_id=fortnight.teams["fs"].pk)
    for metric in ("backlog", "breaches", "resolution_met"):
        seen = drilldown_rows(viewer=charlie, query=DrillDown(METRICS[metric]), period=period)
        theirs = drilldown_rows(
            viewer=charlie, query=DrillDown(METRICS[metric], field_support), period=period
        )
        assert 0 < seen.count() == theirs.count(), metric  # his team's cases, no other


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"metric": "nonsense"},
        {"metric": "raised", "dimension": "severity"},
        {"metric": "raised", "group": "S1"},
        {"metric": "raised", "dimension": "severity", "group": "S9"},
        {"metric": "raised", "dimension": "team", "group": "999999"},
        {"metric": "raised", "dimension": "tier", "group": "none"},
        {"metric": "raised", "age": "2"},
        {"metric": "backlog", "age": "9"},
        {"metric": "raised", "customer": "x"},
        {"metric": "raised", "team": "999999"},
        {"metric": "raised", "page": "0"},
    ],
)
def test_a_bad_request_is_explained(fortnight: Fortnight, erin, params) -> None:  # type: ignore[no-untyped-def]
    response = client_for(erin).get(cases_url(**params))
    assert response.status_code == 400
    assert "This list cannot be shown" in response.content.decode()


def test_a_week_not_started_or_a_page_past_the_end_is_not_found(fortnight: Fortnight, erin) -> None:  # type: ignore[no-untyped-def]
    client = client_for(erin)
    assert client.get(cases_url(W11.next(), metric="raised")).status_code == 404
    assert client.get(cases_url(metric="raised", page="2")).status_code == 404


def test_cases_without_a_team_are_a_group_of_their_own(fortnight: Fortnight, erin) -> None:  # type: ignore[no-untyped-def]
    orphan = ReportCaseFactory(raised_at=at(3, 4, 9), team=None)
    response = client_for(erin).get(cases_url(metric="raised", dimension="team", group="none"))
    assert [r.case for r in response.context["listing"].rows] == [orphan]
    assert "Team: No team" in response.content.decode()


# --- Cost ---------------------------------------------------------------------------------


def test_the_list_costs_the_same_queries_for_many_rows(fortnight: Fortnight, erin) -> None:  # type: ignore[no-untyped-def]
    client = client_for(erin)
    client.get(reverse("reports:weekly", kwargs={"week": W10}))  # frozen, as usually
    urls = [
        cases_url(
            metric="raised", dimension="product", group=str(fortnight.cases["c1"].product_id)
        ),
        cases_url(metric="breaches"),
        cases_url(metric="resolution_met"),
    ]

    def queries() -> list[int]:
        found = []
        for url in urls:
            with CaptureQueriesContext(connection) as captured:
                assert client.get(url).status_code == 200
            found.append(len(captured))
        return found

    few = queries()
    for hour in range(30):
        case = ReportCaseFactory(
            raised_at=at(3, 4, 9) + (at(3, 4, 10) - at(3, 4, 9)) * hour / 30,
            team=fortnight.teams["sd"],
            product=fortnight.cases["c1"].product,
        )
        breached_clock(case, ClockKind.RESPONSE, breached_at=at(3, 5, 9))
    assert queries() == few
