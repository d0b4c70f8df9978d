"""Cases: raising cases through the API (POST /api/cases/) under gunicorn with 2 workers.

A demo operator's token; the throttles are lifted for the run. First a closed loop, the most
the server does (with wrk when installed: the Python clients cost the 2 cores too much), then
250 requests/s offered by the Python open-loop generator (latency counted from when each
request was due). Every request really raises a case, with its event and clocks.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable

from bench.common import Row, api_token
from bench.load import gunicorn, load, wrk_available, wrk_load

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
    token = api_token("operator")
    body = _case_bodies()
    headers = {"Authorization": f"Token {token}", "Content-Type": "application/json"}
    env = {"API_THROTTLE_USER": NO_LIMIT, "API_THROTTLE_CASE_CREATE": NO_LIMIT}
    seconds, clients = args.load_seconds, args.load_clients
    with gunicorn(workers=2, env=env) as base:
        url = f"{base}/api/cases/"
        warm = load(url, method="POST", body=body, headers=headers, seconds=3, concurrency=2)
        if warm.ok_share() < 1:
            raise SystemExit(f"POST /api/cases/ failed during warm-up: {dict(warm.statuses)}")
        rows, most_rate = _closed_loop(
            base, url, body=body, headers=headers, seconds=seconds, clients=clients
        )
        rates = [RATE]
        if most_rate < RATE:
            # What the latency is at a load the server does sustain.
            rates.append(round(most_rate * 0.8))
        for rate in rates:
            rows += _open_loop(
                url, body=body, headers=headers, seconds=seconds, clients=clients, rate=rate
            )
    return rows


def _case_bodies() -> Callable[[int], bytes]:
    """The i-th request's body: a new case, cycling through the active reference data."""
    from cases.models import Category, Customer, Product

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

    return body


def _closed_loop(
    base: str,
    url: str,
    *,
    body: Callable[[int], bytes],
    headers: dict[str, str],
    seconds: float,
    clients: int,
) -> tuple[list[Row], float]:
    """The most the server does (wrk when installed, else the Python clients): the rows and
    the throughput."""
    if not wrk_available():
        closed = load(
            url, method="POST", body=body, headers=headers, seconds=seconds, concurrency=clients
        )
        label = f"closed loop (Python), {clients} clients"
        return [
            Row(f"{label}: throughput", round(closed.throughput), "req/s", RATE, True),
            Row(f"{label}: median", round(closed.timing.median, 1), "ms"),
            Row(f"{label}: p99", round(closed.timing.p99, 1), "ms"),
            Row(f"{label}: not 201", round(100 * (1 - closed.ok_share()), 2), "%", 0.0),
        ], closed.throughput
    # For scale: the same stack answering a trivial authenticated call.
    floor = wrk_load(f"{base}/api/products/", headers=headers, seconds=5, connections=clients)
    most = wrk_load(
        url,
        method="POST",
        bodies=[body(i) for i in range(200)],
        headers=headers,
        seconds=seconds,
        connections=clients,
    )
    label = f"closed loop (wrk), {clients} connections"
    return [
        Row("reference: GET /api/products/ (wrk)", round(floor.throughput), "req/s"),
        Row(f"{label}: throughput", round(most.throughput), "req/s", RATE, True),
        Row(f"{label}: median", round(most.median_ms, 1), "ms"),
        Row(f"{label}: p99", round(most.p99_ms, 1), "ms"),
        Row(f"{label}: failed", most.non_2xx + most.socket_errors, "requests", 0),
    ], most.throughput


def _open_loop(
    url: str,
    *,
    body: Callable[[int], bytes],
    headers: dict[str, str],
    seconds: float,
    clients: int,
    rate: float,
) -> list[Row]:
    """``rate`` requests/s offered by the Python open-loop generator; the targets apply at
    RATE only."""
    paced = load(
        url,
        method="POST",
        body=body,
        headers=headers,
        seconds=seconds,
        concurrency=max(clients, 16),
        rate=rate,
    )
    label = f"{rate:.0f}/s offered (Python, open loop)"
    target = rate == RATE
    return [
        Row(
            f"{label}: throughput",
            round(paced.throughput),
            "req/s",
            rate * 0.98 if target else None,
            True,
        ),
        Row(f"{label}: median", round(paced.timing.median, 1), "ms"),
        Row(f"{label}: p99", round(paced.timing.p99, 1), "ms", P99_TARGET_MS if target else None),
        Row(
            f"{label}: not 201",
            round(100 * (1 - paced.ok_share()), 2),
            "%",
            0.0 if target else None,
        ),
    ]
