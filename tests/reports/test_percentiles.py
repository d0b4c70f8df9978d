"""Counts and percentiles over several groupings of one scan: GROUPING SETS and percentile_cont
on PostgreSQL, Python over the same rows elsewhere, the same numbers (each test runs both paths
on PostgreSQL)."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db.models import F

from reports import aggregates
from reports.aggregates import Grouping, counts_by, percentiles_by
from sla.models import CaseClock, ClockKind
from tests.portable import PATHS, PORTABLE, take_portable_path
from tests.reports.factories import ReportCaseFactory, met_clock

AMS = ZoneInfo("Europe/Amsterdam")
START = datetime(2026, 3, 2, 9, tzinfo=AMS)
ALL = Grouping("all", ())
BY_SEVERITY = Grouping("severity", ("sev",))


@pytest.fixture(autouse=True, params=PATHS)
def path(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    if request.param == PORTABLE:
        take_portable_path(monkeypatch, aggregates)
    return str(request.param)


def linear(values: list[float], p: float) -> float:
    """percentile_cont by hand: interpolate between the ranks around p*(n-1)."""
    ordered = sorted(values)
    position = p * (len(ordered) - 1)
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (position - low) * (ordered[high] - ordered[low])


def clocks_with(elapsed: list[int], *, severity: str = "S3") -> None:
    for i, seconds in enumerate(elapsed):
        case = ReportCaseFactory(raised_at=START + timedelta(minutes=i), severity=severity)
        met_clock(
            case, ClockKind.RESOLUTION, stopped_at=START + timedelta(hours=1), elapsed=seconds
        )


def source():  # type: ignore[no-untyped-def]
    return CaseClock.objects.order_by().values(v=F("elapsed_seconds"), sev=F("case__severity"))


@pytest.mark.django_db
@pytest.mark.parametrize(
    "values",
    [[3600], [100, 200], [10, 20, 30, 40, 50, 60, 70, 80, 90, 100], [7, 1, 5, 3, 9, 11, 2]],
)
def test_median_and_90th_percentile_match_percentile_cont(values: list[int]) -> None:
    clocks_with(values)
    result = percentiles_by(source(), [ALL], value="v", percentiles=(0.5, 0.9))
    [row] = result["all"]
    assert row["percentiles"][0.5] == pytest.approx(linear(values, 0.5))
    assert row["percentiles"][0.9] == pytest.approx(linear(values, 0.9))


@pytest.mark.django_db
def test_percentiles_are_computed_for_every_grouping_in_one_query(
    django_assert_num_queries,
) -> None:  # type: ignore[no-untyped-def]
    clocks_with([1, 2, 3, 4], severity="S1")
    clocks_with([10, 40], severity="S2")
    with django_assert_num_queries(1):
        result = percentiles_by(source(), [ALL, BY_SEVERITY], value="v", percentiles=(0.5, 0.9))
    by_severity = {row["sev"]: row["percentiles"] for row in result["severity"]}
    assert by_severity["S1"] == {0.5: pytest.approx(2.5), 0.9: pytest.approx(3.7)}
    assert by_severity["S2"] == {0.5: pytest.approx(25), 0.9: pytest.approx(37)}
    assert result["all"][0]["percentiles"][0.5] == pytest.approx(3.5)


@pytest.mark.django_db
def test_rows_without_a_value_and_empty_sets_give_no_percentile() -> None:
    case = ReportCaseFactory(raised_at=START)
    met_clock(case, ClockKind.RESOLUTION, stopped_at=START, elapsed=0)
    CaseClock.objects.update(elapsed_seconds=None)
    result = percentiles_by(source(), [ALL, BY_SEVERITY], value="v", percentiles=(0.5,))
    assert result == {"all": [], "severity": []}


@pytest.mark.django_db
def test_counts_for_every_grouping_in_one_query(django_assert_num_queries) -> None:  # type: ignore[no-untyped-def]
    clocks_with([1, 2, 3], severity="S1")
    clocks_with([5], severity="S4")
    with django_assert_num_queries(1):
        result = counts_by(source(), [ALL, BY_SEVERITY])
    assert result["all"] == [{"n": 4}]
    assert sorted((r["sev"], r["n"]) for r in result["severity"]) == [("S1", 3), ("S4", 1)]
    assert counts_by(source().filter(v__gt=100), [ALL, BY_SEVERITY]) == {
        "all": [{"n": 0}],
        "severity": [],
    }
