"""Assemble the report of a month, a quarter or any range (``reports.periods``): every figure
its page and CSV files show, as plain JSON. Always computed: only ISO weeks are frozen."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from reports.aggregates import analytic_queries
from reports.definitions import DIMENSIONS, ReportFilters, empty_metrics, with_rates
from reports.payload import _breakdowns
from reports.periods import ReportPeriod, bucket_spans, period_span
from reports.selectors import period_figures


def period_report(*, period: ReportPeriod, filters: ReportFilters, now: datetime) -> dict[str, Any]:
    """Every figure of ``period`` as of ``now``, as plain JSON: the headline beside the
    previous period's, the figures of each bucket (the charts), the breakdowns by dimension and
    the backlog by age. PeriodError for a period that has not started.

    Ten grouped scans, however long the period: ``period_figures`` over the period itself (every
    dimension, and the backlog's ages) and over the previous period followed by the buckets
    (consecutive spans, so one scan of each kind serves them all).
    """
    span = period_span(period, now=now)
    previous = period.previous()
    buckets = bucket_spans(period, now=now)
    with analytic_queries():
        whole = period_figures(periods=[span], filters=filters, dimensions=DIMENSIONS)
        series = period_figures(
            periods=[period_span(previous, now=now), *(s for _, s in buckets)],
            filters=filters,
            with_ages=False,
        )
        breakdowns = _breakdowns(frozen={}, figures=whole)
    overall = series.series["all"].get(None) or [
        with_rates(empty_metrics()) for _ in range(len(buckets) + 1)
    ]
    headline = (whole.series["all"].get(None) or [with_rates(empty_metrics())])[0]
    return {
        "period": str(period),
        "label": period.label,
        "start": span.start.isoformat(),
        "end": span.end.isoformat(),
        "live": span.live,
        "computed_at": now.isoformat(),
        "filters": {"team": filters.team_id, "tier": filters.tier},
        "headline": headline,
        "previous_period": str(previous),
        "previous_label": previous.label,
        "previous": overall[0],
        "trend": [
            {**figures, "week": str(bucket), "label": bucket.bucket_label}
            for (bucket, _), figures in zip(buckets, overall[1:], strict=True)
        ],
        "breakdowns": {
            key: [{k: v for k, v in row.items() if k != "previous"} for row in rows]
            for key, rows in breakdowns.items()
        },
        "backlog_age": whole.backlog_age,
    }
