"""The report's figures are the same on PostgreSQL's fast path (width_bucket, GROUPING SETS,
percentile_cont) and on the portable path the embedded SQLite default takes (CASE, Python over
the selected rows): both run here on the same data."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db.models import F

from cases.models import Case
from reports import aggregates
from reports.aggregates import Grouping, WeekIndex, counts_by, percentile_cont, percentiles_by
from reports.payload import report_compute
from reports.selectors import DIMENSIONS, ReportFilters, period_figures
from reports.weeks import periods_ending
from sla.models import CaseClock, ClockKind
from tests.portable import FAST, PATHS, take_portable_path
from tests.reports.conftest import NOW, W10, Fortnight, at
from tests.reports.factories import ReportCaseFactory, met_clock

pytestmark = pytest.mark.django_db

both_paths = pytest.mark.skipif(FAST not in PATHS, reason="only PostgreSQL has two paths")


def on_both_paths(monkeypatch: pytest.MonkeyPatch, compute: Any) -> tuple[Any, Any]:
    fast = compute()
    take_portable_path(monkeypatch, aggregates)
    return fast, compute()


def canonical(rows: aggregates.Rows) -> dict[str, list[str]]:
    """The groups of each grouping in a fixed order (neither path promises one)."""
    return {key: sorted(repr(sorted(r.items())) for r in found) for key, found in rows.items()}


@both_paths
def test_the_whole_weekly_report_is_the_same_on_both_paths(
    fortnight: Fortnight, monkeypatch: pytest.MonkeyPatch
) -> None:
    fast, portable = on_both_paths(
        monkeypatch, lambda: report_compute(week=W10, filters=ReportFilters(), now=NOW)
    )
    assert portable == fast
    assert fast["headline"]["raised"] == 5  # the fortnight's W10 (see test_figures.py)


@both_paths
def test_figures_per_dimension_over_the_trend_weeks_are_the_same_on_both_paths(
    fortnight: Fortnight, monkeypatch: pytest.MonkeyPatch
) -> None:
    periods = periods_ending(W10, count=4, now=NOW)
    fast, portable = on_both_paths(
        monkeypatch,
        lambda: period_figures(periods=periods, filters=ReportFilters(), dimensions=DIMENSIONS),
    )
    assert portable == fast


@both_paths
def test_week_indexes_are_the_same_on_both_paths(
    fortnight: Fortnight, monkeypatch: pytest.MonkeyPatch
) -> None:
    periods = periods_ending(W10, count=2, now=NOW)

    def indexes() -> list[tuple[int, int, int]]:
        return list(
            Case.objects.order_by("pk").values_list(
                "pk",
                WeekIndex("raised_at", periods),
                WeekIndex("resolved_at", periods, null=len(periods)),
            )
        )

    fast, portable = on_both_paths(monkeypatch, indexes)
    assert portable == fast
    # Before, in and after the two weeks, and "not resolved" all occur.
    assert {raised for _, raised, _ in fast} >= {-1, 0, 1, 2}
    assert len(periods) in {resolved for _, _, resolved in fast}


@both_paths
def test_counts_and_percentiles_with_gaps_and_repeats_are_the_same_on_both_paths(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    start = at(3, 2, 9)
    for i, (severity, seconds) in enumerate(
        [("S1", 7), ("S1", 7), ("S1", 1), ("S2", 5), ("S2", None), ("S3", 3), ("S3", 11)]
        + [("S4", n * 13 % 17) for n in range(9)]
    ):
        case = ReportCaseFactory(raised_at=start + timedelta(minutes=i), severity=severity)
        clock = met_clock(case, ClockKind.RESOLUTION, stopped_at=start, elapsed=seconds or 0)
        if seconds is None:
            CaseClock.objects.filter(pk=clock.pk).update(elapsed_seconds=None)
    source = CaseClock.objects.order_by().values(
        "case_id", v=F("elapsed_seconds"), sev=F("case__severity")
    )
    groupings = [Grouping("all", ()), Grouping("severity", ("sev",)), Grouping("v", ("v",))]

    def compute() -> tuple[Any, ...]:
        return (
            canonical(counts_by(source, groupings)),
            canonical(counts_by(source, groupings, distinct="case_id")),
            canonical(percentiles_by(source, groupings, value="v", percentiles=(0.1, 0.5, 0.9))),
        )

    fast, portable = on_both_paths(monkeypatch, compute)
    assert portable == fast


def test_percentile_cont_interpolates_between_the_ranks_around_the_position() -> None:
    assert percentile_cont([5.0], 0.9) == 5.0
    assert percentile_cont([1.0, 2.0, 3.0, 4.0], 0.5) == 2.5
    assert percentile_cont([1.0, 2.0, 3.0, 4.0], 0.9) == pytest.approx(3.7)
    assert percentile_cont([1.0, 2.0, 3.0, 4.0], 1.0) == 4.0
