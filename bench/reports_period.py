"""Reports: a quarter's, a month's and a year's report (computed, never frozen), and people.

Computing: `reports.period_payload.period_report` (the headline beside the previous period's,
every bucket of the charts, the breakdowns by five dimensions, the backlog by age): ten grouped
scans. Periods: the last finished quarter, the running quarter (live), the last month, the
last quarter for one team, and a whole year as a custom range (the longest allowed). Pages:
server time through the test Client as the demo manager, whole middleware stack, no network.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from bench.common import Row, count_queries, logged_in_client, time_it
from bench.reports_weekly import check, count_reads

if TYPE_CHECKING:
    from reports.periods import ReportPeriod

QUARTER_TARGET_MS = 3000.0


def run(args: argparse.Namespace) -> list[Row]:
    from django.utils import timezone

    from cases.models import Case
    from reports.periods import MONTH, QUARTER, ReportPeriod

    now = timezone.now()
    quarter = ReportPeriod.containing(now, QUARTER)
    last_quarter, last_month = quarter.previous(), ReportPeriod.containing(now, MONTH).previous()
    in_it = Case.objects.filter(
        raised_at__gte=last_quarter.start(), raised_at__lt=last_quarter.end()
    )
    team = in_it.values_list("team_id", flat=True).order_by("team_id").first()
    print(f"  {Case.objects.count():,} cases; {in_it.count():,} raised in {last_quarter}")
    today = now.date()
    year = ReportPeriod.between(today - timedelta(days=365), today)
    rows = _compute_rows(
        [
            (f"{last_quarter} (last quarter)", last_quarter, None, QUARTER_TARGET_MS),
            (f"{quarter} (running, live)", quarter, None, QUARTER_TARGET_MS),
            (f"{last_quarter}, one team", last_quarter, team, QUARTER_TARGET_MS),
            (f"{last_month} (last month)", last_month, None, None),
            (f"{year} (a year)", year, None, None),
        ],
        now=now,
        runs=args.report_runs,
    )
    return rows + _page_rows(last_quarter, runs=args.report_runs)


def _compute_rows(
    cases: list[tuple[str, ReportPeriod, int | None, float | None]], *, now: datetime, runs: int
) -> list[Row]:
    from django.utils import timezone

    from reports.period_payload import period_report
    from reports.selectors import ReportFilters

    rows: list[Row] = []
    for label, period, team, target in cases:
        filters = ReportFilters(team_id=team)

        def compute(period: ReportPeriod = period, filters: ReportFilters = filters) -> Any:
            return period_report(period=period, filters=filters, now=timezone.now())

        rows += _timed(f"compute {label}", compute, target=target, runs=runs, counter=count_reads)
    return rows


def _timed(
    label: str,
    fn: Callable[[], Any],
    *,
    target: float | None,
    runs: int,
    counter: Callable[[Callable[[], Any]], int],
) -> list[Row]:
    """Median and slowest of ``runs`` calls, and the queries one call makes."""
    timing = time_it(fn, runs=runs, warmup=1)
    return [
        Row(f"{label}: median", round(timing.median), "ms", target),
        Row(f"{label}: slowest", round(timing.slowest), "ms"),
        Row(f"{label}: queries", counter(fn), "queries"),
    ]


def _page_rows(last_quarter: ReportPeriod, *, runs: int) -> list[Row]:
    """The last quarter's page and the people page over it, as the demo manager."""
    from django.urls import reverse

    client = logged_in_client("manager")
    rows: list[Row] = []
    pages: list[tuple[str, str, float | None]] = [
        (
            f"page {last_quarter}",
            reverse("reports:period", kwargs={"period": last_quarter}),
            QUARTER_TARGET_MS,
        ),
        (
            f"people {last_quarter}",
            f"{reverse('reports:people')}?period={last_quarter}",
            QUARTER_TARGET_MS,
        ),
    ]
    for label, url, target in pages:
        check(client.get(url), url)

        def get(url: str = url) -> Any:
            return client.get(url)

        rows += _timed(label, get, target=target, runs=runs, counter=count_queries)
    return rows
