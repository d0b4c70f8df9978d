"""Cases: triage by SLA state (queue with SLA filters and its count) and the API list, no filter.

Server time through the test Client, logged in as the demo manager (pages) or with the demo
manager's token (API): the whole middleware stack and rendering, no network. Then the SQL of
the API's unfiltered first page on its own, with the plan PostgreSQL chose for it: an index
scan on case_duekey_idx reads 26 index entries whatever the table's size.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from bench.common import Row, count_queries, logged_in_client, time_it

QUEUE_TARGET_MS = 80.0
QUERIES_TARGET = 15
API_SQL_TARGET_MS = 20.0


def run(args: argparse.Namespace) -> list[Row]:
    from django.contrib.auth import get_user_model
    from django.test import Client
    from django.urls import reverse

    from cases.models import Case
    from escalation.roles import Role

    queue = reverse("cases:queue")
    total, open_cases = Case.objects.count(), Case.objects.open().count()
    print(f"  {total:,} cases, {open_cases:,} open")
    client = logged_in_client("manager")
    manager = get_user_model().objects.get(username="manager")
    assert manager.groups.filter(name=Role.MANAGER.value).exists()
    api = Client(HTTP_AUTHORIZATION=f"Token {_token(manager)}")

    pages = [
        ("queue, default (Most urgent)", client, queue, QUEUE_TARGET_MS),
        ("queue ?sla=breached", client, f"{queue}?sla=breached", QUEUE_TARGET_MS),
        ("queue ?sla=at_risk", client, f"{queue}?sla=at_risk", QUEUE_TARGET_MS),
        (
            "queue ?sla=breached&sla=at_risk",
            client,
            f"{queue}?sla=breached&sla=at_risk",
            QUEUE_TARGET_MS,
        ),
        ("queue ?sla_resolution=at_risk", client, f"{queue}?sla_resolution=at_risk", None),
        ("queue ?sla_response=breached", client, f"{queue}?sla_response=breached", None),
        ("API GET /api/cases/ (no filter)", api, "/api/cases/", None),
        ("API GET /api/cases/?sla=breached", api, "/api/cases/?sla=breached", None),
    ]
    rows: list[Row] = []
    for label, who, url, target in pages:
        answer = who.get(url)
        if answer.status_code != 200:
            raise SystemExit(f"GET {url} answered {answer.status_code}")
        timing = time_it(lambda who=who, url=url: who.get(url), runs=args.runs)
        queries = count_queries(lambda who=who, url=url: who.get(url))
        rows += [
            Row(f"{label}: median", round(timing.median, 1), "ms", target),
            Row(f"{label}: p95", round(timing.p95, 1), "ms"),
            Row(f"{label}: queries", queries, "queries", QUERIES_TARGET),
            Row(f"{label}: count shown", _count_of(answer), "cases"),
        ]
    rows += _api_sql(args)
    return rows


def _token(user: Any) -> str:
    from rest_framework.authtoken.models import Token

    token, _ = Token.objects.get_or_create(user=user)
    return token.key


def _count_of(answer: Any) -> int:
    if answer.get("Content-Type", "").startswith("application/json"):
        return int(json.loads(answer.content)["count"])
    text = answer.content.decode()
    start = text.index('id="queue-count"><strong>') + len('id="queue-count"><strong>')
    return int(text[start : text.index(" ", start)].rstrip("+").replace(",", ""))


def _api_sql(args: argparse.Namespace) -> list[Row]:
    """The unfiltered API list's row query alone, timed, with its plan printed."""
    from django.contrib.auth import get_user_model
    from django.db import connection

    from cases.filters import Sort
    from cases.selectors_queue import case_keyset_page
    from cases.visibility import case_visible_to

    manager = get_user_model().objects.get(username="manager")
    queryset = case_visible_to(viewer=manager)

    def first_page() -> Any:
        return case_keyset_page(queryset=queryset, sort=Sort.DUE, cursor="", page_size=25)

    page = first_page()
    assert len(page.rows) == 25
    timing = time_it(first_page, runs=args.runs)
    # The same SQL the page ran, EXPLAINed.
    from django.db.models import QuerySet

    from cases.models.case import due_key

    rows_sql: QuerySet[Any] = (
        queryset.annotate(due_key=due_key()).order_by("due_key", "id").values("id")[:26]
    )
    sql, params = rows_sql.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}", params)
        plan = [line for (line,) in cursor.fetchall()]
    print("  plan of the API's unfiltered first page (ids only):")
    for line in plan:
        print(f"    {line}")
    uses_index = any("case_duekey_idx" in line for line in plan)
    executed = next(
        (float(line.split()[2]) for line in plan if line.startswith("Execution Time")), 0.0
    )
    return [
        Row(
            "API page read (rows + tags), no filter: median",
            round(timing.median, 1),
            "ms",
            API_SQL_TARGET_MS,
        ),  # fmt: skip
        Row("... its SQL execution (EXPLAIN ANALYZE, ids)", round(executed, 2), "ms"),
        Row("... served by case_duekey_idx (1 = yes)", int(uses_index), "", 1, True),
    ]
