"""The report pages, their CSV files and the PDF, as managers and executives see them."""

from __future__ import annotations

import csv
import html
import io

import pytest
from django.urls import reverse

from reports.highlights import change_text
from reports.models import WeeklySnapshot
from reports.pdf import report_pdf_html
from tests.conftest import client_for
from tests.reports.conftest import NOW, W10, W11, Fortnight, at
from tests.reports.factories import ReportCaseFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _now(time_machine) -> None:  # type: ignore[no-untyped-def]
    time_machine.move_to(NOW, tick=False)


def weekly_url(week: object = W10, **params: str) -> str:
    url = reverse("reports:weekly", kwargs={"week": week})
    return url + ("?" + "&".join(f"{k}={v}" for k, v in params.items()) if params else "")


def rows_of(response) -> list[list[str]]:  # type: ignore[no-untyped-def]
    return list(csv.reader(io.StringIO(response.content.decode())))


def test_an_executive_reads_last_weeks_headline_figures(fortnight: Fortnight, erin) -> None:  # type: ignore[no-untyped-def]
    response = client_for(erin).get(weekly_url())
    assert response.status_code == 200
    page = response.content.decode()
    assert "Escalations, Week 10, 2–8 Mar 2026" in page
    assert "Frozen" in page
    cards = {c.key: c for c in response.context["cards"]}
    assert cards["raised"].value == "5"
    assert cards["raised"].change == "3 more than the previous week's 2"
    assert cards["resolved"].change == "4 more than the previous week's 0"
    assert cards["response_compliance"].value == "50.0%"
    assert cards["response_compliance"].detail == "2 of 4 deadlines"
    assert cards["response_compliance"].change == (
        "worse: 50.0 points lower than the previous week's 100.0%"
    )
    assert cards["resolve_p50"].value == "4.0 h"
    assert cards["csat_average"].value == "—"
    assert cards["csat_average"].detail == "no survey answers this week"
    assert 'id="chart-raised_resolved"' in page and "<canvas" in page
    assert "report-charts-data" in page


def test_a_manager_reads_it_too_and_the_running_week_is_marked_live(
    fortnight: Fortnight, bob
) -> None:  # type: ignore[no-untyped-def]
    response = client_for(bob).get(weekly_url(W11))
    assert response.status_code == 200
    assert response.context["payload"]["live"] is True
    assert "Live" in response.content.decode() and "Open now" in response.content.decode()
    assert not WeeklySnapshot.objects.exists()


@pytest.mark.parametrize("persona", ["alice", "nora"])
def test_operators_and_people_without_a_role_are_refused(
    fortnight: Fortnight, persona: str, request
) -> None:  # type: ignore[no-untyped-def]
    user = request.getfixturevalue(persona)
    for url in (reverse("reports:index"), weekly_url(), weekly_url() + "csv/by_team/"):
        assert client_for(user).get(url).status_code == 403


def test_a_week_not_started_or_nonexistent_is_not_found(fortnight: Fortnight, erin) -> None:  # type: ignore[no-untyped-def]
    client = client_for(erin)
    assert client.get(weekly_url(W11.next())).status_code == 404
    assert client.get("/reports/weekly/2026-W54/").status_code == 404
    assert client.get("/reports/weekly/2026-W10/csv/nonsense/").status_code == 404


def test_filters_change_the_figures_and_stay_in_the_export_links(
    fortnight: Fortnight, erin
) -> None:  # type: ignore[no-untyped-def]
    team = fortnight.teams["fs"]
    response = client_for(erin).get(weekly_url(team=str(team.pk), tier="standard"))
    assert response.status_code == 200
    assert response.context["payload"]["headline"]["raised"] == 1  # c3
    page = response.content.decode()
    assert "Team Field support, standard customers" in page
    query = f"?team={team.pk}&amp;tier=standard"
    assert f"/reports/weekly/2026-W10/csv/by_team/{query}" in page
    assert f"/reports/weekly/2026-W10/pdf/{query}" in page
    assert f"/reports/weekly/2026-W09/{query}" in page


@pytest.mark.parametrize("params", [{"team": "999999"}, {"tier": "platinum"}, {"team": "x"}])
def test_bad_filters_are_explained_in_the_page(fortnight: Fortnight, erin, params) -> None:  # type: ignore[no-untyped-def]
    response = client_for(erin).get(weekly_url(**params))
    assert response.status_code == 400
    assert "invalid-feedback" in response.content.decode()
    assert client_for(erin).get(weekly_url() + "pdf/", params).status_code == 400


def test_every_table_exports_as_csv(fortnight: Fortnight, erin) -> None:  # type: ignore[no-untyped-def]
    client = client_for(erin)
    page = client.get(weekly_url())
    for key in page.context["tables"]:
        response = client.get(reverse("reports:weekly_csv", kwargs={"week": W10, "table": key}))
        assert response.status_code == 200, key
        assert response["Content-Type"] == "text/csv; charset=utf-8"
        assert f'filename="escalations-2026-W10-{key}.csv"' in response["Content-Disposition"]
        assert len(rows_of(response)) >= 1


def test_the_team_csv_holds_the_breakdown_figures(fortnight: Fortnight, erin) -> None:  # type: ignore[no-untyped-def]
    response = client_for(erin).get(weekly_url() + "csv/by_team/")
    rows = rows_of(response)
    assert rows[0] == [
        "Team", "Raised", "Resolved", "Open at end", "Breaches", "First-response SLA",
        "Resolution SLA", "Median time to resolve", "Reopened",
    ]  # fmt: skip
    assert rows[1] == ["Service desk", "4", "3", "3", "2", "66.7", "66.7", "5.0", "0"]
    assert rows[2] == ["Field support", "1", "1", "2", "2", "0.0", "100.0", "2.0", "1"]


def test_csv_cells_that_a_spreadsheet_would_run_stay_text(fortnight: Fortnight, erin) -> None:  # type: ignore[no-untyped-def]
    case = fortnight.cases["c8"]
    case.title = '=HYPERLINK("http://evil.example","click")'
    case.save()
    rows = rows_of(client_for(erin).get(weekly_url() + "csv/longest_open/"))
    assert rows[1][1] == "'" + case.title


def test_the_csv_follows_the_filters(fortnight: Fortnight, erin) -> None:  # type: ignore[no-untyped-def]
    response = client_for(erin).get(weekly_url() + "csv/headline/?tier=premium")
    assert (
        'filename="escalations-2026-W10-headline-tier-premium.csv"'
        in response["Content-Disposition"]
    )
    rows = {r[0]: r[1] for r in rows_of(response)[1:]}
    assert rows["Escalations raised"] == "1"  # c2


def test_the_whole_report_downloads_as_pdf(fortnight: Fortnight, erin) -> None:  # type: ignore[no-untyped-def]
    response = client_for(erin).get(weekly_url() + "pdf/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert len(response.content) > 10_000


def test_user_text_is_escaped_in_the_page(fortnight: Fortnight, erin) -> None:  # type: ignore[no-untyped-def]
    case = fortnight.cases["c8"]
    case.title = "<script>alert(1)</script>"
    case.save()
    page = client_for(erin).get(weekly_url()).content.decode()
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_a_frozen_week_reads_one_snapshot_row(
    fortnight: Fortnight, erin, django_assert_max_num_queries
) -> None:  # type: ignore[no-untyped-def]
    client = client_for(erin)
    client.get(weekly_url())  # freezes it
    for i in range(20):
        ReportCaseFactory(raised_at=at(3, 3, 9, i))  # more data changes neither page nor cost
    with django_assert_max_num_queries(6):
        response = client.get(weekly_url())
    assert response.context["payload"]["headline"]["raised"] == 5


def test_the_list_of_weeks_newest_first(fortnight: Fortnight, erin) -> None:  # type: ignore[no-untyped-def]
    client = client_for(erin)
    client.get(weekly_url())  # freeze W10
    response = client.get(reverse("reports:index"))
    assert response.status_code == 200
    rows = response.context["rows"]
    # From the running week back to c8's week (40 days before 9 March: 28 January, W05).
    assert [str(r["week"]) for r in rows] == [f"2026-W{n:02d}" for n in range(11, 4, -1)]
    assert [r["state"] for r in rows[:3]] == ["live", "frozen", "open"]
    assert rows[0]["summary"] == "1 raised · 0 resolved · 0 breaches"
    assert rows[1]["summary"] == (
        "5 raised · 4 resolved · 5 open at the end · first response 50.0% · "
        "resolution 75.0% · 4 breaches"
    )
    assert rows[2]["summary"] == "2 raised · 0 resolved · 1 breach"


def test_the_list_of_weeks_pages_back_and_refuses_pages_past_the_end(
    fortnight: Fortnight, erin
) -> None:  # type: ignore[no-untyped-def]
    ReportCaseFactory(raised_at=at(1, 5, year=2025))
    client = client_for(erin)
    second = client.get(reverse("reports:index") + "?page=2")
    assert second.status_code == 200
    assert str(second.context["rows"][0]["week"]) == "2025-W37"
    assert client.get(reverse("reports:index") + "?page=9").status_code == 404
    assert client.get(reverse("reports:index") + "?page=zero").status_code == 400


def test_cases_in_the_report_link_to_their_page(fortnight: Fortnight, bob) -> None:  # type: ignore[no-untyped-def]
    page = client_for(bob).get(weekly_url()).content.decode()
    c8 = fortnight.cases["c8"]
    assert f'<a href="/cases/{c8.reference}/">{c8.reference}</a>' in page


def test_a_week_with_fewer_breaches_reads_better_on_the_page_in_the_pdf_and_the_csv(
    fortnight: Fortnight, erin
) -> None:  # type: ignore[no-untyped-def]
    # W11 so far: no breach, against four in W10 (and four on the one category and product).
    client = client_for(erin)
    response = client.get(weekly_url(W11))
    page = html.unescape(response.content.decode())
    breaches = {c.key: c for c in response.context["cards"]}["breaches"]
    assert (breaches.tone, breaches.change) == (
        "better",
        "better: 4 fewer than the previous week's 4",
    )
    improvements = response.context["tables"]["improvements"].rows
    assert [(r["where"], r["change"]) for r in improvements[:2]] == [
        ("Category: Outage", "better: 4 fewer breaches"),
        ("Product: Payments", "better: 4 fewer breaches"),
    ]
    pdf = html.unescape(
        report_pdf_html(response.context["payload"], filter_text="All teams, all customers")
    )
    for text in ("better: 4 fewer than the previous week's 4", "better: 4 fewer breaches"):
        assert text in page and text in pdf
    assert "Change in cases" not in page and "Change in cases" not in pdf

    def csv_of(table: str) -> list[list[str]]:
        url = reverse("reports:weekly_csv", kwargs={"week": W11, "table": table})
        return rows_of(client.get(url))

    headline = {row[0]: row[3] for row in csv_of("headline")[1:]}
    assert headline["SLA breaches"] == "better: 4 fewer than the previous week's 4"
    rows = csv_of("improvements")
    assert rows[0][-1] == "Change" and rows[1][-1] == "better: 4 fewer breaches"


def test_volumes_change_without_a_verdict_and_regressions_read_worse(
    fortnight: Fortnight, erin
) -> None:  # type: ignore[no-untyped-def]
    response = client_for(erin).get(weekly_url())
    cards = {c.key: c for c in response.context["cards"]}
    assert (cards["raised"].tone, cards["resolved"].tone) == ("neutral", "neutral")
    assert "better" not in cards["raised"].change and "worse" not in cards["raised"].change
    assert cards["breaches"].change == "worse: 3 more than the previous week's 1"
    regressions = {
        (r["where"], r["key"]): r["change"] for r in response.context["tables"]["regressions"].rows
    }
    assert regressions[("Category: Outage", "breaches")] == "worse: 3 more breaches"
    assert regressions[("Category: Outage", "response_compliance")] == (
        "worse: 50.0 points lower, 2 fewer deadlines met"
    )


@pytest.mark.parametrize(
    ("item", "text"),
    [
        ({"key": "breaches", "before": 3, "after": 2, "effect": 1.0}, "better: 1 fewer breach"),
        (
            {"key": "backlog", "before": 2, "after": 5, "effect": -3.0},
            "worse: 3 more cases open at the end",
        ),
        (
            {"key": "resolution_compliance", "before": 80.0, "after": 90.0, "effect": 4.0},
            "better: 10.0 points higher, 4 more deadlines met",
        ),
        (
            {"key": "response_compliance", "before": 90.0, "after": 87.5, "effect": -0.5},
            "worse: 2.5 points lower, 0.5 fewer deadlines met",
        ),
    ],
)
def test_a_highlight_says_better_or_worse_with_its_number(item: dict, text: str) -> None:  # type: ignore[type-arg]
    assert change_text(item) == text
