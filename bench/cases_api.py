"""Cases: raising cases through the API (POST /api/cases/) under gunicorn with 2 workers.

A demo operator's token; the throttles are raised for the run. First a closed loop (the most
the server does), then 250 requests/s offered in an open loop (latency counted from when each
request was due). Every request really raises a case, with its event and clocks.
"""

from __future__ import annotations

import argparse
import json

from bench.common import Row, api_token, gunicorn, load

RATE = 250.0
P99_TARGET_MS = 100.0
NO_LIMIT = "1000000/minute"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--load-seconds",
        type=float,
        default=20.0,
        help="cases_api: seconds of each load run (default 20, at most 120)",
    )
    parser.add_argument(
        "--load-clients",
        type=int,
        default=8,
        help="cases_api: concurrent clients (default 8)",
    )


def run(args: argparse.Namespace) -> list[Row]:
    from cases.models import Category, Customer, Product

    token = api_token("operator")
    customers = list(Customer.objects.filter(is_active=True).values_list("pk", flat=True))
    products = list(Product.objects.filter(is_active=True).values_list("pk", flat=True))
    categories = list(Category.objects.filter(is_active=True).values_list("pk", flat=True))
    severities = ["S3", "S4", "S3", "S2", "S4", "S3", "S4", "S3", "S4", "S1"]

    def body(i: int) -> bytes:
        return json.dumps(
            {
                "customer": customers[i % len(customers)],
                "product": products[i % len(products)],
                "category": categories[i % len(categories)],
                "severity": severities[i % len(severities)],
                "title": f"Bench case {i}: checkout fails with error 502",
                "description": "Orders stop at the payment step; raised by the API benchmark.",
            }
        ).encode()

    headers = {"Authorization": f"Token {token}", "Content-Type": "application/json"}
    env = {"API_THROTTLE_USER": NO_LIMIT, "API_THROTTLE_CASE_CREATE": NO_LIMIT}
    seconds, clients = args.load_seconds, args.load_clients
    with gunicorn(workers=2, env=env) as base:
        url = f"{base}/api/cases/"
        warm = load(url, method="POST", body=body, headers=headers, seconds=3, concurrency=2)
        if warm.ok_share() < 1:
            raise SystemExit(f"POST /api/cases/ failed during warm-up: {dict(warm.statuses)}")
        most = load(
            url, method="POST", body=body, headers=headers, seconds=seconds, concurrency=clients
        )
        paced = load(
            url,
            method="POST",
            body=body,
            headers=headers,
            seconds=seconds,
            concurrency=max(clients, 16),
            rate=RATE,
        )
    return [
        Row(
            f"closed loop, {clients} clients: throughput",
            round(most.throughput),
            "req/s",
            RATE,
            higher_is_better=True,
        ),
        Row(f"closed loop, {clients} clients: median", round(most.timing.median, 1), "ms"),
        Row(f"closed loop, {clients} clients: p99", round(most.timing.p99, 1), "ms"),
        Row(
            f"{RATE:.0f}/s offered: throughput",
            round(paced.throughput),
            "req/s",
            RATE * 0.98,
            higher_is_better=True,
        ),
        Row(f"{RATE:.0f}/s offered: median", round(paced.timing.median, 1), "ms"),
        Row(f"{RATE:.0f}/s offered: p99", round(paced.timing.p99, 1), "ms", P99_TARGET_MS),
        Row(
            "requests not answered 201",
            round(100 * (1 - min(most.ok_share(), paced.ok_share())), 2),
            "%",
            0.0,
        ),
    ]
