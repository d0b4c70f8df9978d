"""The month, quarter and range pages, their drill-down lists and CSV files, for the known
fortnight (tests/reports/conftest.py, "now" = Monday 9 March 2026 06:00)."""

from __future__ import annotations

import csv
import io
import re

import pytest
from django.urls import reverse

from tests.conftest import client_for
from tests.reports.conftest import NOW, Fortnight

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _now(time_machine) -> None:  # type: ignore[no-untyped-def]
    time_machine.move_to(NOW, tick=False)


def period_url(period: str, **params: str) -> str:
    url = reverse("reports:period", kwargs={"period": period})
    return url + ("?" + "&".join(f"{k}={v}" for k, v in params.items()) if params else "")


def test_an_executive_reads_februarys_report_beside_januarys(fortnight: Fortnight, erin) -> None:  # type: ignore[no-untyped-def]
    response = client_for(erin).get("/reports/2026-02/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "Escalations, February 2026" in page
    assert "never frozen" in page
    cards = {c.key: c for c in response.context["cards"]}
    assert cards["raised"].value == "3"
    assert cards["raised"].change == "1 in January 2026"
    assert cards["backlog"].value == "4"
    assert cards["breaches"].value == "1"
    assert cards["breaches"].change == "worse: 0 in January 2026"
    assert cards["response_compliance"].detail == "2 of 2 deadlines"
    assert 'id="chart-raised_resolved"' in page and "report-charts-data" in page
    assert 'href="/reports/2026-01/" rel="prev"' in page
    assert 'href="/reports/2026-03/" rel="next"' in page


def test_the_running_quarter_is_live_and_has_no_next_quarter(fortnight: Fortnight, bob) -> None:  # type: ignore[no-untyped-def]
    response = client_for(bob).get("/reports/2026-Q1/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "Q1 2026" in page and "Live" in page
    assert response.context["next_period"] is None
    assert "/reports/2026-Q2/" not in page
    assert response.context["cards"][0].value == "10"


def test_every_count_of_a_period_links_to_a_list_as_long_as_it(fortnight: Fortnight, bob) -> None:  # type: ignore[no-untyped-def]
    client = client_for(bob)
    response = client.get("/reports/2026-Q1/")
    cards = {c.key: c for c in response.context["cards"]}
    for key, expected in (("raised", 10), ("resolved", 4), ("breaches", 5), ("reopened", 1)):
        listing = client.get(cards[key].extra["url"])
        assert listing.status_code == 200, key
        assert listing.context["listing"].count == expected, key
    trend = response.context["tables"]["trend"]
    last_week = trend.rows[-1]
    listing = client.get(last_week["links"]["raised"])
    assert listing.context["listing"].count == last_week["raised"] == 1
    by_team = {row["label"]: row for row in response.context["tables"]["by_team"].rows}
    listing = client.get(by_team["Field support"]["links"]["raised"])
    assert listing.context["listing"].count == by_team["Field support"]["raised"] == 3


def test_a_range_over_week_10_shows_the_weekly_figures(fortnight: Fortnight, bob) -> None:  # type: ignore[no-untyped-def]
    response = client_for(bob).get("/reports/2026-03-02..2026-03-08/")
    assert response.status_code == 200
    cards = {c.key: c for c in response.context["cards"]}
    assert (cards["raised"].value, cards["resolved"].value) == ("5", "4")
    assert cards["response_compliance"].value == "50.0%"
    assert cards["resolve_p50"].value == "4.0 h"
    assert cards["raised"].change == "2 in 23 Feb 2026 – 1 Mar 2026"


def test_the_range_form_goes_to_its_report_with_the_filters(fortnight: Fortnight, bob) -> None:  # type: ignore[no-untyped-def]
    team = fortnight.teams["sd"].pk
    response = client_for(bob).get(
        reverse("reports:period_range"), {"start": "2026-03-02", "end": "2026-03-08", "team": team}
    )
    assert response.status_code == 302
    assert response["Location"] == f"/reports/2026-03-02..2026-03-08/?team={team}"


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"start": "2026-03-08", "end": "2026-03-02"}, "must not be after its end"),
        ({"start": "2025-01-01", "end": "2026-03-01"}, "at most 366 days"),
        ({"start": "2026-02-30", "end": "2026-03-01"}, "Enter a valid date"),
        ({"start": "2026-04-01", "end": "2026-04-02"}, "has not started yet"),
        ({"start": "2026-03-01"}, "This field is required"),
    ],
)
def test_a_bad_range_is_shown_again_with_its_error(
    bob, params: dict[str, str], message: str
) -> None:  # type: ignore[no-untyped-def]
    response = client_for(bob).get(reverse("reports:period_range"), params)
    assert response.status_code == 400
    assert message in response.content.decode()


def test_the_empty_range_form_is_a_page_not_an_error(bob) -> None:  # type: ignore[no-untyped-def]
    response = client_for(bob).get(reverse("reports:period_range"))
    assert response.status_code == 200
    assert 'id="range-form"' in response.content.decode()


@pytest.mark.parametrize(
    "path",
    [
        "/reports/2026-13/",
        "/reports/2026-03-08..2026-03-02/",
        "/reports/2025-01-01..2026-03-01/",
        "/reports/2026-04/",  # not started yet
        "/reports/2026-Q2/cases/?metric=raised",
    ],
)
def test_a_period_that_cannot_be_reported_on_is_not_found(bob, path: str) -> None:  # type: ignore[no-untyped-def]
    assert client_for(bob).get(path).status_code == 404


def test_a_bad_filter_is_a_form_error_not_a_server_error(bob) -> None:  # type: ignore[no-untyped-def]
    response = client_for(bob).get(period_url("2026-02", tier="nonsense"))
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()


def test_a_periods_table_downloads_as_csv(fortnight: Fortnight, erin) -> None:  # type: ignore[no-untyped-def]
    url = reverse("reports:period_csv", kwargs={"period": "2026-02", "table": "trend"})
    response = client_for(erin).get(url)
    assert response.status_code == 200
    assert 'filename="escalations-2026-02-trend.csv"' in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0][:3] == ["From", "Raised", "Resolved"]
    assert len(rows) == 1 + 28
    assert sum(int(r[1]) for r in rows[1:]) == 3
    missing = reverse("reports:period_csv", kwargs={"period": "2026-02", "table": "nope"})
    assert client_for(erin).get(missing).status_code == 404


def test_a_periods_headline_csv_sets_each_figure_beside_the_previous_periods(
    fortnight: Fortnight, erin
) -> None:  # type: ignore[no-untyped-def]
    url = reverse("reports:period_csv", kwargs={"period": "2026-02", "table": "headline"})
    rows = list(csv.reader(io.StringIO(client_for(erin).get(url).content.decode())))
    assert rows[0] == ["Measure", "February 2026", "January 2026"]
    figures = {row[0]: row[1:] for row in rows[1:]}
    assert figures["Escalations raised"] == ["3", "1"]
    assert figures["SLA breaches"] == ["1", "0"]
    assert "Customer satisfaction" not in figures


@pytest.mark.parametrize("path", ["/reports/2026-02/", "/reports/weekly/2026-W10/"])
def test_the_met_and_missed_counts_under_a_card_read_in_the_pages_language(
    fortnight: Fortnight, erin, path: str
) -> None:  # type: ignore[no-untyped-def]
    response = client_for(erin).get(path, HTTP_ACCEPT_LANGUAGE="it")
    page = response.content.decode()
    card = page[page.index('data-figure="response_compliance"') :]
    card = card[: card.index("data-figure=", 1)]
    [(met, met_word), (missed, missed_word)] = re.findall(r">(\d+) (\w+)</a>", card)
    assert (met_word, missed_word) == ("rispettate", "mancate")
    cards = {c.key: c for c in response.context["cards"]}
    assert [str(c[0]) for c in cards["response_compliance"].extra["counts"]] == [met, missed]


def test_operators_and_people_without_a_role_are_refused_a_period(alice, nora) -> None:  # type: ignore[no-untyped-def]
    for person in (alice, nora):
        assert client_for(person).get("/reports/2026-02/").status_code == 403


def test_the_list_of_weeks_links_this_and_last_month_and_quarter(bob) -> None:  # type: ignore[no-untyped-def]
    page = client_for(bob).get(reverse("reports:index")).content.decode()
    for period in ("2026-03", "2026-02", "2026-Q1", "2025-Q4"):
        assert f'href="/reports/{period}/"' in page
    assert reverse("reports:period_range") in page


def test_the_list_of_weeks_links_the_managers_pages_for_managers_only(bob, erin) -> None:  # type: ignore[no-untyped-def]
    managers = client_for(bob).get(reverse("reports:index")).content.decode()
    executives = client_for(erin).get(reverse("reports:index")).content.decode()
    for name in ("reports:pauses", "reports:people"):
        assert f'href="{reverse(name)}"' in managers
        assert f'href="{reverse(name)}"' not in executives
