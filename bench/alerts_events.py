"""Alerts: 10,000 monitoring events in batches of 500 (20% new keys) through POST /api/events/.

gunicorn with 2 workers, the source's Bearer token, the per-token rate limit lifted. A warm-up
raises the pool of keys the repeats use (a fifth of the events are keys never seen before,
the rest repeat known ones); then two clients post the batches at once, so both workers are
busy and batches with the same keys race. Afterwards every key must have exactly one case.
``--alerts-profile`` adds an in-process cProfile of one batch (where the time goes).
"""

from __future__ import annotations

import argparse
import cProfile
import http.client
import io
import json
import pstats
import random
import threading
import time
import uuid
from typing import Any
from urllib.parse import urlsplit

from bench.common import Row
from bench.load import gunicorn

TARGET = 2000.0  # events/s
NO_LIMIT = "1000000"
WARM_BATCH = 50


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--alerts-events", type=int, default=10_000, help="alerts_events: events")
    parser.add_argument("--alerts-batch", type=int, default=500, help="alerts_events: batch size")
    parser.add_argument(
        "--alerts-new-share", type=float, default=0.2, help="alerts_events: share of new keys"
    )
    parser.add_argument(
        "--alerts-profile", action="store_true", help="alerts_events: cProfile one batch"
    )


def run(args: argparse.Namespace) -> list[Row]:
    from alerts.models import AlertKey, IntegrationToken
    from alerts.tokens import integration_token_create, integration_token_rotate
    from cases.models import Customer, Team

    run_id = uuid.uuid4().hex[:8]
    existing = IntegrationToken.objects.filter(source="Bench monitoring").first()
    if existing is None:
        customer = Customer.objects.filter(is_active=True).order_by("pk").first()
        team = Team.objects.filter(is_active=True, level="L1").order_by("pk").first()
        issued = integration_token_create(source="Bench monitoring", customer=customer, team=team)
    else:
        issued = integration_token_rotate(integration=existing)
    integration = issued.integration
    batch, total = args.alerts_batch, args.alerts_events
    new_per_batch = round(batch * args.alerts_new_share)
    pool = [f"{run_id}/known/{n}" for n in range(batch - new_per_batch)]
    batches = _batches(run_id, pool, total=total, batch=batch, new=new_per_batch)
    headers = {"Authorization": f"Bearer {issued.token}", "Content-Type": "application/json"}
    # A batch of 500 with 100 new cases takes seconds on a loaded machine: more than
    # gunicorn's default 30 s worker timeout allows when other work shares the cores.
    env = {"ALERTS_REQUESTS_PER_MINUTE": NO_LIMIT, "GUNICORN_CMD_ARGS": "--timeout 300"}
    with gunicorn(workers=2, env=env) as base:
        # Warm-up: the pool of known keys, raised (their cases exist before the timed run).
        for start in range(0, len(pool), WARM_BATCH):
            _post(base, headers, [_event(k) for k in pool[start : start + WARM_BATCH]])
        elapsed, statuses = _send(base, headers, batches, clients=2)
    keys = AlertKey.objects.filter(source=integration, dedup_key__startswith=run_id)
    key_count = keys.count()
    with_case = keys.exclude(case=None).values("case").distinct().count()
    new_keys = len({e["dedup_key"] for b in batches for e in b} - set(pool))
    rows = [
        Row("events posted", total, "events"),
        Row("batches (2 clients at once)", len(batches), "requests"),
        Row("answers not 200", sum(n for s, n in statuses.items() if s != 200), "requests", 0),
        Row("wall time", round(elapsed, 2), "s"),
        Row("throughput", round(total / elapsed), "events/s", TARGET, True),
        Row("new keys (cases raised in the run)", new_keys, "keys"),
        Row("keys", key_count, "keys"),
        Row("keys without exactly one own case", key_count - with_case, "keys", 0),
    ]
    if args.alerts_profile:
        _profile(integration, run_id)
    return rows


def _event(key: str) -> dict[str, Any]:
    return {
        "action": "trigger",
        "dedup_key": key,
        "summary": f"High error rate on {key}",
        "severity": "S3",
        "details": {"host": key, "errors_per_minute": 1200},
    }


def _batches(
    run_id: str, pool: list[str], *, total: int, batch: int, new: int
) -> list[list[dict[str, Any]]]:
    """Each batch: ``new`` keys never seen, the rest repeats drawn from the pool."""
    rng = random.Random(15)
    out = []
    for n in range(total // batch):
        keys = [f"{run_id}/new/{n}/{i}" for i in range(new)]
        keys += [rng.choice(pool) for _ in range(batch - new)]
        rng.shuffle(keys)
        out.append([_event(k) for k in keys])
    return out


def _post(base: str, headers: dict[str, str], events: list[dict[str, Any]]) -> int:
    parts = urlsplit(base)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=120)
    try:
        conn.request("POST", "/api/events/", json.dumps({"events": events}), headers)
        answer = conn.getresponse()
        answer.read()
        return answer.status
    finally:
        conn.close()


def _send(
    base: str, headers: dict[str, str], batches: list[list[dict[str, Any]]], *, clients: int
) -> tuple[float, dict[int, int]]:
    statuses: dict[int, int] = {}
    lock = threading.Lock()
    queue = list(batches)

    def client() -> None:
        while True:
            with lock:
                if not queue:
                    return
                events = queue.pop(0)
            status = _post(base, headers, events)
            with lock:
                statuses[status] = statuses.get(status, 0) + 1

    threads = [threading.Thread(target=client) for _ in range(clients)]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - start, statuses


def _profile(integration: Any, run_id: str) -> None:
    """One batch of 500 (100 new keys) in-process, under cProfile: the top of the list."""
    from alerts.services import AlertEvent, events_process

    pool = [f"{run_id}/known/{n}" for n in range(400)]
    keys = [f"{run_id}/profile/{i}" for i in range(100)] + pool
    events = {
        i: AlertEvent(action="trigger", dedup_key=k, summary=f"x {k}", severity="S3")
        for i, k in enumerate(keys)
    }
    # Unprofiled first (wall and this process's CPU, which other processes' load does not
    # inflate), then the same shape again under the profiler.
    start, cpu = time.perf_counter(), time.process_time()
    events_process(integration=integration, events=events)
    wall, cpu = time.perf_counter() - start, time.process_time() - cpu
    print(f"one batch in-process: {1000 * wall:.0f} ms wall, {1000 * cpu:.0f} ms CPU")
    events = {
        i: AlertEvent(action="trigger", dedup_key=f"{e.dedup_key}/2", summary="y", severity="S3")
        if i < 100
        else e
        for i, e in events.items()
    }
    profiler = cProfile.Profile()
    profiler.enable()
    events_process(integration=integration, events=events)
    profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(40)
    print(out.getvalue())
