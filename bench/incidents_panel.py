"""Major incidents: linking 500 children, the parent's panel with 500 children, the queue's
"major incidents only".

Everything runs in one transaction that is rolled back at the end, so the bench database is
left as it was. Server time through the test Client as the demo manager (the whole middleware
stack, no network); the panel as the case page fetches it (HTMX).
"""

from __future__ import annotations

import argparse
import time

from bench.common import Row, count_queries, logged_in_client, time_it

CHILDREN = 500
LINK_TARGET_MS = 5_000.0
PANEL_TARGET_MS = 150.0
QUEUE_TARGET_MS = 80.0
QUERIES_TARGET = 15


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--incident-children", type=int, default=CHILDREN)


def run(args: argparse.Namespace) -> list[Row]:
    from django.contrib.auth import get_user_model
    from django.db import transaction
    from django.urls import reverse

    from cases.models import Case
    from incidents.services import incident_declare, incident_link_many

    manager = get_user_model().objects.get(username="manager")
    client = logged_in_client("manager")
    wanted = args.incident_children
    rows: list[Row] = []
    with transaction.atomic():
        open_cases = Case.objects.open().filter(parent__isnull=True).order_by("-id")
        ids = list(open_cases.values_list("pk", flat=True)[: wanted + 1])
        if len(ids) < wanted + 1:
            raise SystemExit(f"need {wanted + 1} open cases, found {len(ids)}")
        parent = Case.objects.get(pk=ids[0])
        incident = incident_declare(case=parent, by=manager, lead=manager)
        started = time.perf_counter()
        result = incident_link_many(
            incident=incident, references=[Case(pk=pk).reference for pk in ids[1:]], by=manager
        )
        link_ms = (time.perf_counter() - started) * 1000
        print(f"  linked {len(result.linked)}, refused {len(result.refused)}")
        rows.append(
            Row(f"link {wanted} children (one request)", link_ms, "ms", target=LINK_TARGET_MS)
        )
        panel = reverse("incidents:panel", args=[parent.reference])
        queue = reverse("cases:queue") + "?parents_only=true"
        for label, url, headers, target in (
            (f"panel, {wanted} children", panel, {"HTTP_HX_REQUEST": "true"}, PANEL_TARGET_MS),
            ("queue ?parents_only=true", queue, {}, QUEUE_TARGET_MS),
        ):
            answer = client.get(url, **headers)
            if answer.status_code != 200:
                raise SystemExit(f"GET {url} answered {answer.status_code}")
            timing = time_it(
                lambda url=url, headers=headers: client.get(url, **headers), runs=args.runs
            )
            queries = count_queries(lambda url=url, headers=headers: client.get(url, **headers))
            rows += [
                Row(f"{label}, median", timing.median, "ms", target=target),
                Row(f"{label}, CPU median", timing.cpu_median, "ms"),
                Row(f"{label}, queries", queries, "", target=QUERIES_TARGET),
            ]
        transaction.set_rollback(True)
    return rows
