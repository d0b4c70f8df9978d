"""Cases: the case page alone, a case with a few events and one with 200, and its action forms.

Server time of the Django views through the test Client, logged in as the demo manager (who
sees every action): the whole middleware stack and template rendering, no network. With
``--case-page-profile`` it also prints where the time of the 200-event page goes (cProfile).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
from typing import Any

from bench.cases_pages import case_with_timeline, check
from bench.common import Row, count_queries, logged_in_client, time_it

FEW_EVENTS = (3, 10)
MANY_EVENTS = 200
FEW_TARGET_MS = 10.0
MANY_TARGET_MS = 25.0
FORM_TARGET_MS = 10.0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--case-page-profile",
        action="store_true",
        help="cases_case_page: print a cProfile of the 200-event page (cumulative, top 40)",
    )


def run(args: argparse.Namespace) -> list[Row]:
    from django.urls import NoReverseMatch, reverse

    client = logged_in_client("manager")
    few = case_with_few_events(*FEW_EVENTS)
    many = case_with_timeline(MANY_EVENTS)
    print(f"  a few events: {few.reference} ({few.events.count()} events, {few.status})")
    print(f"  200 events: {many.reference} ({many.events.count()} events, {many.status})")
    pages = [
        (f"case page, {few.events.count()} events", few, FEW_TARGET_MS),
        (f"case page, {MANY_EVENTS} events", many, MANY_TARGET_MS),
    ]
    rows: list[Row] = []
    for label, case, target in pages:
        url = reverse("cases:detail", args=[case.reference])
        rows += measure(client, label, url, target, runs=args.runs)
    try:
        form_url = reverse("cases:action_form", args=[many.reference, "assign"])
    except NoReverseMatch:  # the code before the action forms were fetched when opened
        form_url = None
    if form_url is not None:
        hx = {"HTTP_HX_REQUEST": "true"}
        rows += measure(
            client, "assign form, opened", form_url, FORM_TARGET_MS, runs=args.runs, **hx
        )
    if args.case_page_profile:
        profile(client, reverse("cases:detail", args=[many.reference]))
    return rows


def measure(
    client: Any, label: str, url: str, target: float, *, runs: int, **headers: Any
) -> list[Row]:
    check(client.get(url, **headers), url)
    timing = time_it(lambda: client.get(url, **headers), runs=runs)
    queries = count_queries(lambda: client.get(url, **headers))
    return [
        Row(f"{label}: median", round(timing.median, 1), "ms", target),
        Row(f"{label}: p95", round(timing.p95, 1), "ms"),
        Row(f"{label}: CPU median", round(timing.cpu_median or 0, 1), "ms"),
        Row(f"{label}: queries", queries, "queries"),
    ]


def case_with_few_events(least: int, most: int) -> Any:
    """The newest open case with ``least`` to ``most`` timeline events (the seeded ones)."""
    from django.db.models import Count

    from cases.models import Case

    case = (
        Case.objects.open()
        .annotate(n=Count("events"))
        .filter(n__gte=least, n__lte=most)
        .order_by("-pk")
        .first()
    )
    if case is None:
        raise SystemExit(f"no open case with {least} to {most} events: seed cases first")
    return case


def profile(client: Any, url: str, *, requests: int = 20) -> None:
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(requests):
        client.get(url)
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("cumulative").print_stats(40)
    stats.sort_stats("tottime").print_stats(25)
    print(f"  cProfile of {requests} requests to {url}:")
    print(out.getvalue())
