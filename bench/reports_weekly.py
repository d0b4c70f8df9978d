"""Reports: computing a week's report (cold and steady state), a frozen week's page, the PDF.

Computing: `reports.payload.report_compute` (every figure, the 12-week trend, breakdowns,
lists). "Cold" runs with no snapshot at all (every snapshot is deleted inside a transaction that
is rolled back), so all twelve weeks of the trend are computed: the first Monday after
deployment, or a filter combination nobody froze. "Steady state" is every Monday afterwards:
the eleven weeks before are frozen, so only the week itself is computed. Pages: server time
through the test Client as the demo executive, whole middleware stack, no network.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from bench.common import Row, count_queries, logged_in_client, time_it

if TYPE_CHECKING:
    from reports.weeks import IsoWeek

COMPUTE_TARGET_MS = 2000.0
FROZEN_PAGE_TARGET_MS = 100.0
PDF_TARGET_MS = 3000.0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--report-runs",
        type=int,
        default=5,
        help="reports_weekly: measured runs of each report computation and PDF (default 5)",
    )


class Rollback(Exception):
    """Raised to roll back the transaction that hid the snapshots."""


def without_snapshots(fn: Callable[[], Any]) -> Callable[[], None]:
    def run() -> None:
        from django.db import transaction

        from reports.models import WeeklySnapshot

        try:
            with transaction.atomic():
                WeeklySnapshot.objects.all().delete()
                fn()
                raise Rollback
        except Rollback:
            pass

    return run


def run(args: argparse.Namespace) -> list[Row]:
    from django.utils import timezone

    from cases.models import Case
    from reports.weeks import IsoWeek

    now = timezone.now()
    this_week = IsoWeek.containing(now)
    last_week = this_week.previous()
    in_last_week = Case.objects.filter(
        raised_at__gte=last_week.start(), raised_at__lt=last_week.end()
    )
    team = in_last_week.values_list("team_id", flat=True).order_by("team_id").first()
    print(f"  {Case.objects.count():,} cases; {in_last_week.count():,} raised in {last_week}")
    rows = _compute_rows(this_week, team=team, now=now, runs=args.report_runs)
    return rows + _page_rows(last_week, runs=args.report_runs, page_runs=args.runs)


def _compute_rows(this_week: IsoWeek, *, team: int | None, now: datetime, runs: int) -> list[Row]:
    """Computing reports cold (no snapshot), then in the steady state (the weeks before
    frozen, for everyone and per team)."""
    from django.utils import timezone

    from reports.payload import report_compute
    from reports.selectors import ReportFilters
    from reports.services import week_report

    last_week, year_ago = this_week.previous(), this_week.shifted(-52)
    rows: list[Row] = []

    def compute(week: IsoWeek, filters: ReportFilters) -> Callable[[], Any]:
        return lambda: report_compute(week=week, filters=filters, now=timezone.now())

    cases = [
        (f"cold: {last_week} (last week)", last_week, ReportFilters()),
        (f"cold: {year_ago} (a year ago)", year_ago, ReportFilters()),
        (f"cold: {this_week} (running, live)", this_week, ReportFilters()),
        (f"cold: {last_week}, one team", last_week, ReportFilters(team_id=team)),
    ]
    for label, week, filters in cases:
        fn = without_snapshots(compute(week, filters))
        timing = time_it(fn, runs=runs, warmup=1)
        rows += [
            Row(f"{label}: median", round(timing.median), "ms", COMPUTE_TARGET_MS),
            Row(f"{label}: slowest", round(timing.slowest), "ms"),
            Row(f"{label}: reads", count_reads(fn), "queries"),
        ]

    # Steady state: the Monday task has frozen the weeks before (for everyone and per team).
    for filters in (ReportFilters(), ReportFilters(team_id=team)):
        for offset in range(12, 1, -1):
            week_report(week=this_week.shifted(-offset), filters=filters, now=now)
    for label, week, filters in (
        (f"steady: {last_week}", last_week, ReportFilters()),
        (f"steady: {this_week} (live)", this_week, ReportFilters()),
        (f"steady: {last_week}, one team", last_week, ReportFilters(team_id=team)),
    ):
        timing = time_it(compute(week, filters), runs=runs, warmup=1)
        rows += [
            Row(f"{label}: median", round(timing.median), "ms", COMPUTE_TARGET_MS),
            Row(f"{label}: queries", count_queries(compute(week, filters)), "queries"),
        ]
    return rows


def _page_rows(last_week: IsoWeek, *, runs: int, page_runs: int) -> list[Row]:
    """Last week's frozen page and PDF, and the list of weeks, as the demo executive."""
    from django.urls import reverse

    client = logged_in_client("executive")
    page = reverse("reports:weekly", kwargs={"week": last_week})
    check(client.get(page), page)  # freezes it if the Monday task has not
    timing = time_it(lambda: client.get(page), runs=page_runs)
    rows = [
        Row(
            f"frozen page {last_week}: median", round(timing.median, 1), "ms", FROZEN_PAGE_TARGET_MS
        ),
        Row(f"frozen page {last_week}: p95", round(timing.p95, 1), "ms"),
        Row(
            f"frozen page {last_week}: queries", count_queries(lambda: client.get(page)), "queries"
        ),
    ]

    pdf = reverse("reports:weekly_pdf", kwargs={"week": last_week})
    check(client.get(pdf), pdf)
    timing = time_it(lambda: client.get(pdf), runs=runs, warmup=1)
    size = len(client.get(pdf).content)
    rows += [
        Row(f"PDF {last_week}: median", round(timing.median), "ms", PDF_TARGET_MS),
        Row(f"PDF {last_week}: slowest", round(timing.slowest), "ms"),
        Row(f"PDF {last_week}: size", round(size / 1024), "KiB"),
    ]

    index = reverse("reports:index")
    check(client.get(index), index)
    timing = time_it(lambda: client.get(index), runs=runs, warmup=1)
    rows += [
        Row("list of weeks (26 a page): median", round(timing.median, 1), "ms"),
        Row("list of weeks: queries", count_queries(lambda: client.get(index)), "queries"),
    ]
    return rows


def count_reads(fn: Callable[[], Any]) -> int:
    """The SELECT queries one call makes (not the transaction's own statements)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        fn()
    return sum(q["sql"].lstrip().upper().startswith(("SELECT", "WITH")) for q in captured)


def check(response: object, url: str) -> None:
    status = getattr(response, "status_code", None)
    if status != 200:
        raise SystemExit(f"GET {url} answered {status}, not 200")
