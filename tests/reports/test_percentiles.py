"""Percentiles in the database: percentile_cont on PostgreSQL, ranks elsewhere: same numbers."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db.models import F

from reports.aggregates import grouped_percentiles
from sla.models import CaseClock, ClockKind
from tests.reports.factories import ReportCaseFactory, met_clock

AMS = ZoneInfo("Europe/Amsterdam")
START = datetime(2026, 3, 2, 9, tzinfo=AMS)


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


@pytest.mark.django_db
@pytest.mark.parametrize(
    "values",
    [[3600], [100, 200], [10, 20, 30, 40, 50, 60, 70, 80, 90, 100], [7, 1, 5, 3, 9, 11, 2]],
)
def test_median_and_90th_percentile_match_percentile_cont(values: list[int]) -> None:
    clocks_with(values)
    result = grouped_percentiles(
        CaseClock.objects.all(), group_by={}, value="elapsed_seconds", percentiles=(0.5, 0.9)
    )
    assert list(result) == [()]
    assert result[()][0.5] == pytest.approx(linear(values, 0.5))
    assert result[()][0.9] == pytest.approx(linear(values, 0.9))


@pytest.mark.django_db
def test_percentiles_are_computed_per_group() -> None:
    clocks_with([1, 2, 3, 4], severity="S1")
    clocks_with([10, 40], severity="S2")
    result = grouped_percentiles(
        CaseClock.objects.all(),
        group_by={"sev": F("case__severity")},
        value="elapsed_seconds",
        percentiles=(0.5, 0.9),
    )
    assert result[("S1",)] == {0.5: pytest.approx(2.5), 0.9: pytest.approx(3.7)}
    assert result[("S2",)] == {0.5: pytest.approx(25), 0.9: pytest.approx(37)}


@pytest.mark.django_db
def test_clocks_without_a_value_and_empty_sets_give_no_percentile() -> None:
    case = ReportCaseFactory(raised_at=START)
    met_clock(case, ClockKind.RESOLUTION, stopped_at=START, elapsed=0).__class__.objects.update(
        elapsed_seconds=None
    )
    assert (
        grouped_percentiles(
            CaseClock.objects.all(), group_by={}, value="elapsed_seconds", percentiles=(0.5,)
        )
        == {}
    )


@pytest.mark.django_db
def test_percentiles_read_a_bounded_number_of_rows(django_assert_num_queries) -> None:  # type: ignore[no-untyped-def]
    clocks_with(list(range(1, 60)))
    with django_assert_num_queries(1):
        grouped_percentiles(
            CaseClock.objects.all(), group_by={}, value="elapsed_seconds", percentiles=(0.5, 0.9)
        )
