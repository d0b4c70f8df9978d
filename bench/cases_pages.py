"""Cases: the triage queue (first page, 40% and 90% deep) and a case page with 200 events.

Server time of the Django views through the test Client, logged in as the demo manager: the
whole middleware stack and template rendering, no network.
"""

from __future__ import annotations

import argparse
from typing import Any

from bench.common import Row, count_queries, logged_in_client, time_it

TIMELINE_EVENTS = 200
QUEUE_TARGET_MS = 50.0
CASE_PAGE_TARGET_MS = 80.0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--queue-depth",
        type=float,
        default=0.9,
        help="cases_pages: how far down the open cases the deep page starts (default 0.9)",
    )


def run(args: argparse.Namespace) -> list[Row]:
    from django.urls import reverse

    from cases.models import Case

    client = logged_in_client("manager")
    queue_url = reverse("cases:queue")
    open_cases = Case.objects.open().count()
    depths = sorted({0.4, args.queue_depth})
    print(f"  {open_cases:,} open cases; walking to {', '.join(f'{d:.0%}' for d in depths)}...")
    pages = [
        (f"queue, page at row {seen:,}", f"{queue_url}?cursor={cursor}", QUEUE_TARGET_MS)
        for cursor, seen in deep_cursors(fractions=depths)
    ]
    case = case_with_timeline(TIMELINE_EVENTS)
    case_url = reverse("cases:detail", args=[case.reference])

    rows: list[Row] = []
    for label, url, target in (
        ("queue, first page", queue_url, QUEUE_TARGET_MS),
        *pages,
        (f"case page, {TIMELINE_EVENTS} events", case_url, CASE_PAGE_TARGET_MS),
    ):
        check(client.get(url), url)
        timing = time_it(lambda url=url: client.get(url), runs=args.runs)
        queries = count_queries(lambda url=url: client.get(url))
        rows += [
            Row(f"{label}: median", round(timing.median, 1), "ms", target),
            Row(f"{label}: p95", round(timing.p95, 1), "ms"),
            Row(f"{label}: CPU median", round(timing.cpu_median or 0, 1), "ms"),
            Row(f"{label}: queries", queries, "queries"),
        ]
    return rows


def check(response: Any, url: str) -> None:
    if response.status_code != 200:
        raise SystemExit(f"GET {url} answered {response.status_code}, not 200")
    page = response.context["page"] if response.context else None
    if page is not None and page.errors:
        raise SystemExit(f"GET {url} refused part of its query: {page.errors}")


def deep_cursors(*, fractions: list[float]) -> list[tuple[str, int]]:
    """Cursors `fractions` of the way down the manager's default queue (open cases, "Most
    urgent" first), found by walking the keyset pages of 100 as a client would. Each: (cursor,
    rows before it)."""
    from django.contrib.auth import get_user_model
    from django.http import QueryDict

    from cases.filters import Sort
    from cases.models import Case
    from cases.selectors_queue import case_queue
    from cases.views.common import queue_filters

    manager = get_user_model().objects.get(username="manager")
    total = Case.objects.open().count()
    wanted = sorted(int(total * f) for f in fractions)
    found: list[tuple[str, int]] = []
    cursor, seen = "", 0
    while wanted:
        query = QueryDict(mutable=True)
        if cursor:
            query["cursor"] = cursor
        filters = queue_filters(query, default_sort=Sort.URGENCY)
        page = case_queue(viewer=manager, filters=filters, page_size=100)
        seen += len(page.rows)
        if page.next_cursor is None:
            raise SystemExit(f"the queue ends after {seen:,} rows: seed more open cases")
        cursor = page.next_cursor
        while wanted and seen >= wanted[0]:
            found.append((cursor, seen))
            wanted.pop(0)
    return found


def case_with_timeline(events: int) -> Any:
    """The newest open case with at least `events` timeline events; the newest open case gets
    notes and customer updates added until it has them (once: later runs reuse it)."""
    from datetime import timedelta

    from django.db.models import Count

    from cases.models import Case, CaseEvent, EventKind

    case = (
        Case.objects.open()
        .annotate(n=Count("events"))
        .filter(n__gte=events)
        .order_by("-pk")
        .first()
    )
    if case is not None:
        return case
    case = Case.objects.open().order_by("-pk").first()
    if case is None:
        raise SystemExit("no open case to put a timeline on: seed cases first")
    have = case.events.count()
    start = case.raised_at
    CaseEvent.objects.bulk_create(
        CaseEvent(
            case=case,
            created_at=start + timedelta(minutes=i + 1),
            actor_id=case.raised_by_id,
            kind=EventKind.UPDATE if i % 3 == 0 else EventKind.NOTE,
            body=f"Progress note {i + 1}: checked the logs, the gateway and the customer's setup.",
        )
        for i in range(events - have)
    )
    return case
