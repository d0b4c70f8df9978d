"""Live pages: the "changed since" polls (cases, bell) and the idle cost of an open queue tab.

Server time of the poll views through the test Client (the whole middleware stack, no network),
as the demo manager (every case) and the demo operator (her teams' and her own cases). The idle
cost of one open queue tab: the two polls it makes every LIVE_POLL_SECONDS (the rows' mark and
the bell), each answered 204, times their CPU time.
"""

from __future__ import annotations

import argparse

from bench.common import Row, count_queries, time_it

POLL_TARGET_MS = 5.0
UNREAD = 20  # unread notifications each measured user has, about cases they may see


def ensure_unread(user: object, *, count: int = UNREAD) -> None:
    """Give ``user`` ``count`` unread notifications about cases they may see (once: later runs
    find them), so the bell's query reads rows, as it does for anyone at work."""
    from django.utils import timezone

    from cases.visibility import case_visible_to
    from sla.models import Notification, NotificationKind

    unread = Notification.objects.filter(recipient=user, read_at__isnull=True)
    missing = count - unread.count()
    if missing <= 0:
        return
    now = timezone.now()
    cases = case_visible_to(viewer=user).order_by("-id")[:missing]  # type: ignore[arg-type]
    Notification.objects.bulk_create(
        Notification(
            recipient=user,
            case=case,
            kind=NotificationKind.ASSIGNED,
            subject=f"{case.reference} {case.title}"[:200],
            created_at=now,
        )
        for case in cases
    )


def run(args: argparse.Namespace) -> list[Row]:
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.urls import reverse

    from bench.common import logged_in_client
    from cases.selectors_live import case_change_mark
    from sla.context_processors import NotificationBell

    users = get_user_model().objects
    rows: list[Row] = []
    cpu_per_tab: list[float] = []
    for username in ("manager", "operator"):
        user = users.get(username=username)
        ensure_unread(user)
        client = logged_in_client(username)
        polls = (
            (
                "cases poll",
                reverse("cases:changes"),
                lambda user=user: case_change_mark(viewer=user),
            ),
            ("bell poll", reverse("sla:bell"), lambda user=user: NotificationBell(user).mark),
        )
        for label, url, mark in polls:
            query = {"mark": mark()}
            status = client.get(url, query).status_code
            if status != 204:
                raise SystemExit(f"{url} answered {status} to its own mark, not 204")
            timing = time_it(
                lambda url=url, query=query, client=client: client.get(url, query), runs=args.runs
            )
            sql = time_it(mark, runs=args.runs)
            queries = count_queries(
                lambda url=url, query=query, client=client: client.get(url, query)
            )
            name = f"{username}, {label} unchanged (204)"
            rows += [
                Row(f"{name}: median", round(timing.median, 2), "ms", POLL_TARGET_MS),
                Row(f"{name}: p95", round(timing.p95, 2), "ms"),
                Row(f"{name}: CPU median", round(timing.cpu_median or 0, 2), "ms"),
                Row(f"{name}: the mark alone, median", round(sql.median, 2), "ms"),
                Row(f"{name}: queries (session, user, roles + mark)", queries, "queries"),
            ]
            if username == "manager":
                cpu_per_tab.append(timing.cpu_median or timing.median)
        if username == "manager":
            with connection.cursor() as cursor:
                cursor.execute("SELECT count(*) FROM cases_case")
                print(f"  {cursor.fetchone()[0]:,} cases")
    # What a change costs an open queue on top: its refresh fetches the page and keeps the rows.
    queue = logged_in_client("manager")
    refresh = time_it(lambda: queue.get(reverse("cases:queue")), runs=max(5, args.runs // 5))
    rows.append(
        Row(
            "queue refresh after a change (the page): CPU median",
            round(refresh.cpu_median or 0, 1),
            "ms",
        )
    )
    per_minute = 60 / settings.LIVE_POLL_SECONDS
    idle = per_minute * sum(cpu_per_tab)
    rows += [
        Row("open queue tab, idle: polls a minute", round(per_minute * len(cpu_per_tab)), "req"),
        Row("open queue tab, idle: server CPU a minute", round(idle, 1), "ms"),
        Row(
            "open queue tabs one core serves idle",
            round(60_000 / idle) if idle else 0,
            "tabs",
            note="CPU only; the database's share is in the poll times",
        ),
    ]
    return rows
