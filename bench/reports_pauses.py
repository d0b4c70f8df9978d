"""Reports: pause analytics (waiting time, pauses shortly before a breach, saved deadlines).

The figures (`reports.pauses.pause_figures`) over the page's default range (the last four ISO
weeks) and over a quarter (13 weeks), then the page and the first page of two of its case
lists, server time through the test Client as the demo manager, whole middleware stack, no
network. The issue's target for a quarter's report is 3 s; the same holds here.
"""

from __future__ import annotations

import argparse
from datetime import timedelta

from bench.common import Row, count_queries, logged_in_client, time_it

QUARTER_TARGET_MS = 3000.0
PAGE_TARGET_MS = 3000.0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--pause-runs",
        type=int,
        default=5,
        help="reports_pauses: measured runs of each figure and page (default 5)",
    )


def run(args: argparse.Namespace) -> list[Row]:
    from django.db.models import Count
    from django.urls import reverse
    from django.utils import timezone

    from cases.models import Case
    from reports.forms_pauses import PauseRangeForm
    from reports.pauses import pause_figures, pause_starts

    now = timezone.now()
    four_weeks = _terms(PauseRangeForm, {}, now)
    start = (now - timedelta(weeks=13)).date()
    quarter = _terms(
        PauseRangeForm, {"start": start.isoformat(), "end": now.date().isoformat()}, now
    )
    span = four_weeks.span
    begun = pause_starts().filter(created_at__gte=span.start, created_at__lt=span.end)
    most = pause_starts().values("case_id").annotate(n=Count("id")).order_by("-n").first() or {
        "n": 0
    }
    print(
        f"  {Case.objects.count():,} cases; {begun.count():,} pauses begun "
        f"{span.start:%Y-%m-%d} to {span.end:%Y-%m-%d}; at most {most['n']} pauses on a case"
    )
    figures = pause_figures(terms=four_weeks, now=now)
    waiting, shortly = figures["waiting"], figures["shortly"]
    print(
        f"  waiting {waiting['seconds'] / 3600:,.0f} h on {waiting['cases']:,} cases; "
        f"shortly {shortly.pauses:,} of {shortly.begun:,}; repeated {figures['repeated']:,}; "
        f"saved {figures['saved']}"
    )
    runs = args.pause_runs
    rows = []
    for label, terms, target in (
        ("figures, last 4 weeks", four_weeks, None),
        ("figures, a quarter", quarter, QUARTER_TARGET_MS),
    ):
        timing = time_it(lambda t=terms: pause_figures(terms=t, now=now), runs=runs, warmup=1)
        rows += [
            Row(f"{label}: median", round(timing.median), "ms", target),
            Row(f"{label}: CPU median", round(timing.cpu_median or 0), "ms"),
            Row(
                f"{label}: queries",
                count_queries(lambda t=terms: pause_figures(terms=t, now=now)),
                "queries",
            ),
        ]
    client = logged_in_client("manager")
    for label, url in (
        ("page", reverse("reports:pauses")),
        ("waiting cases, page 1", reverse("reports:pauses_cases") + "?figure=waiting"),
        ("shortly cases, page 1", reverse("reports:pauses_cases") + "?figure=shortly"),
    ):
        assert client.get(url).status_code == 200, url
        timing = time_it(lambda u=url: client.get(u), runs=runs, warmup=1)
        rows += [
            Row(f"{label}: median", round(timing.median), "ms", PAGE_TARGET_MS),
            Row(f"{label}: queries", count_queries(lambda u=url: client.get(u)), "queries"),
        ]
    return rows


def _terms(form_class, data, now):  # type: ignore[no-untyped-def]
    form = form_class(data, now=now)
    if not form.is_valid():
        raise SystemExit(f"reports_pauses: bad range {data}: {form.errors.as_text()}")
    return form.terms()
