"""Months, quarters and ranges: cutting them (pure), and their figures for the known fortnight
(tests/reports/conftest.py), computed by hand."""

from __future__ import annotations

from datetime import UTC, date

import pytest

from reports.period_payload import period_report
from reports.periods import MONTH, QUARTER, PeriodError, ReportPeriod, period_span
from reports.selectors import ReportFilters
from tests.reports.conftest import NOW, Fortnight, at


def test_a_month_runs_from_its_first_local_midnight_to_the_next_months() -> None:
    march = ReportPeriod.parse("2026-03")
    assert (march.first, march.last, march.kind) == (date(2026, 3, 1), date(2026, 3, 31), MONTH)
    assert march.start() == at(3, 1)
    # March has the clock change (29 March): 743 hours, not 744.
    elapsed = march.end().astimezone(UTC) - march.start().astimezone(UTC)
    assert elapsed.total_seconds() == 743 * 3600
    assert str(march) == "2026-03"
    assert march.label == "March 2026"


def test_a_quarter_moves_by_three_months_across_a_year() -> None:
    q4 = ReportPeriod.parse("2026-Q4")
    assert (q4.first, q4.last, q4.kind) == (date(2026, 10, 1), date(2026, 12, 31), QUARTER)
    assert str(q4.next()) == "2027-Q1"
    assert str(q4.previous()) == "2026-Q3"
    assert q4.label == "Q4 2026"


def test_a_range_includes_both_days_and_moves_by_its_own_length() -> None:
    period = ReportPeriod.parse("2026-01-05..2026-02-10")
    assert period.days == 37
    assert str(period.previous()) == "2025-11-29..2026-01-04"
    assert str(period.next()) == "2026-02-11..2026-03-19"
    assert ReportPeriod.parse(str(period)) == period


def test_a_january_goes_back_to_december_of_the_year_before() -> None:
    assert str(ReportPeriod.parse("2026-01").previous()) == "2025-12"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("2026-13", "is not a period"),
        ("2026-Q5", "is not a period"),
        ("2026-02-30..2026-03-01", "is not a period"),
        ("2026-03-02..2026-03-01", "must not be after its end"),
        ("2025-01-01..2026-01-02", "at most 366 days"),
        ("1999-12", "Reports cover the years"),
        ("2026-W10", "is not a period"),
    ],
)
def test_a_period_that_cannot_be_is_refused_with_its_reason(text: str, message: str) -> None:
    with pytest.raises(PeriodError, match=message):
        ReportPeriod.parse(text)


def test_a_leap_years_whole_year_is_a_range_of_366_days() -> None:
    assert ReportPeriod.parse("2028-01-01..2028-12-31").days == 366


def test_a_month_is_charted_by_day_a_quarter_by_week_and_a_year_by_month() -> None:
    assert len(ReportPeriod.parse("2026-02").buckets()) == 28
    weeks = ReportPeriod.parse("2026-Q1").buckets()
    # Thursday 1 January to Sunday 4, then whole ISO weeks, the last cut at 31 March.
    assert str(weeks[0]) == "2026-01-01..2026-01-04"
    assert str(weeks[1]) == "2026-01-05..2026-01-11"
    assert str(weeks[-1]) == "2026-03-30..2026-03-31"
    assert len(weeks) == 14
    months = ReportPeriod.parse("2025-07-15..2026-07-14").buckets()
    assert [str(m) for m in months[:2]] == ["2025-07-15..2025-07-31", "2025-08"]
    assert str(months[-1]) == "2026-07-01..2026-07-14"
    following = zip(months, months[1:], strict=False)
    assert all(a.last.toordinal() + 1 == b.first.toordinal() for a, b in following)


def test_a_period_not_yet_started_has_no_span_and_a_running_one_ends_now() -> None:
    with pytest.raises(PeriodError):
        period_span(ReportPeriod.parse("2026-04"), now=NOW)
    span = period_span(ReportPeriod.parse("2026-03"), now=NOW)
    assert (span.start, span.end, span.live) == (at(3, 1), NOW, True)
    assert period_span(ReportPeriod.parse("2026-02"), now=NOW).live is False


@pytest.mark.django_db
def test_a_range_over_week_10_has_the_weekly_reports_figures(fortnight: Fortnight) -> None:
    # The same figures as tests/reports/test_views.py reads on the weekly page of 2026-W10.
    report = period_report(
        period=ReportPeriod.parse("2026-03-02..2026-03-08"), filters=ReportFilters(), now=NOW
    )
    headline = report["headline"]
    assert (headline["raised"], headline["resolved"]) == (5, 4)
    assert (headline["response_met"], headline["response_missed"]) == (2, 2)
    assert headline["response_compliance"] == 50.0
    assert headline["resolve_p50"] == 4 * 3600
    assert report["live"] is False
    # The previous range is W09: c4 and c5 raised.
    assert report["previous_period"] == "2026-02-23..2026-03-01"
    assert report["previous"]["raised"] == 2
    # Charted by day: Monday c1 (raised) and c4 (resolved) ...
    assert [d["raised"] for d in report["trend"]] == [1, 1, 1, 0, 1, 0, 1]
    assert [d["resolved"] for d in report["trend"]] == [1, 1, 1, 1, 0, 0, 0]


@pytest.mark.django_db
def test_february_counts_its_cases_backlog_and_deadlines(fortnight: Fortnight) -> None:
    report = period_report(period=ReportPeriod.parse("2026-02"), filters=ReportFilters(), now=NOW)
    headline = report["headline"]
    # Raised: c7 (18 Feb), c4 (26 Feb), c5 (27 Feb); none resolved in February (c7's
    # resolution was undone by its reopening).
    assert (headline["raised"], headline["resolved"]) == (3, 0)
    # Open at 1 March 00:00: c8 (28 January), c7, c4, c5.
    assert headline["backlog"] == 4
    # Met: c4's and c5's first responses; missed: none. Breaches: c5's update, 28 February.
    assert (headline["response_met"], headline["response_missed"]) == (2, 0)
    assert headline["breaches"] == 1
    assert report["previous_label"] == "January 2026"
    assert report["previous"]["raised"] == 1  # c8
    assert sum(d["raised"] for d in report["trend"]) == 3
    by_team = {row["label"]: row for row in report["breakdowns"]["team"]}
    assert by_team["Field support"]["raised"] == 2  # c7, c4


@pytest.mark.django_db
def test_the_running_quarter_is_live_and_charted_by_week_up_to_now(fortnight: Fortnight) -> None:
    report = period_report(period=ReportPeriod.parse("2026-Q1"), filters=ReportFilters(), now=NOW)
    headline = report["headline"]
    assert report["live"] is True
    # Every case of the fortnight, c6 raised at 00:30 today included.
    assert headline["raised"] == 10
    assert headline["resolved"] == 4  # c1, c2, c4, c5
    # c2's resolution, c3's response and update, c5's update, c9's response.
    assert headline["breaches"] == 5
    # 1-4 January, then ten weeks up to the one that began this Monday.
    assert len(report["trend"]) == 11
    assert report["trend"][-1]["week"] == "2026-03-09..2026-03-15"
    assert report["trend"][-1]["raised"] == 1  # c6
    assert sum(d["raised"] for d in report["trend"]) == 10
    assert report["previous"]["raised"] == 0


@pytest.mark.django_db
def test_a_period_is_filtered_by_team_as_the_weekly_report_is(fortnight: Fortnight) -> None:
    field_support = ReportFilters(team_id=fortnight.teams["fs"].pk)
    report = period_report(period=ReportPeriod.parse("2026-Q1"), filters=field_support, now=NOW)
    assert report["headline"]["raised"] == 3  # c3, c4, c7
    assert report["headline"]["reopened"] == 1  # c7, reopened twice
