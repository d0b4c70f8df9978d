"""SLA sweep: one sweep with 1,000 due clocks among 10k, 100k and 1M open cases.

Runs on the SLA benchmark database (see bench/_sla.py), recreated when it already holds more
open cases than the smallest size. For each size, smallest first, it tops the open cases up
(COPY; the million takes about four minutes), makes exactly ``--sla-due``
response clocks due, and times ``sla.sweep.sla_sweep`` handing them to a Celery queue on
Redis (``REDIS_URL``, default the local one; a throwaway queue, deleted afterwards): the
claim (FOR UPDATE SKIP LOCKED on the partial indexes), the ``dispatched_at`` stamp, the
commit and the publishing of the task batches. Each run makes other clocks due.
"""

from __future__ import annotations

import argparse
import time
import uuid

from bench import _sla, _sla_celery
from bench.common import Row, Timing

SIZES = (10_000, 100_000, 1_000_000)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--sla-sizes",
        default=",".join(str(s) for s in SIZES),
        help="open-case counts for the sweep benchmark (default 10000,100000,1000000)",
    )
    parser.add_argument("--sla-due", type=int, default=1000, help="due clocks per sweep")


def run(args: argparse.Namespace) -> list[Row]:
    sizes = sorted(int(s) for s in args.sla_sizes.split(",") if s.strip())
    runs = max(3, min(args.runs, 15))
    rows: list[Row] = []
    with _sla.sla_database():
        # The sizes grow by adding cases; a database already past the first one starts over.
        fresh = _sla.open_case_count() > min(sizes)
    with _sla.sla_database(fresh=fresh):
        for size in sizes:
            _sla.top_up_open_cases(size)
            timing, dispatched, plan = _measure(due=args.sla_due, runs=runs)
            open_cases = _sla.open_case_count()
            rows.append(
                Row(
                    f"sweep, {args.sla_due:,} due among {open_cases:,} open cases, median",
                    timing.median,
                    "ms",
                    target=1000,
                    note=f"p95 {timing.p95:.0f} ms, {dispatched:,} handed out",
                )
            )
            print(f"  {open_cases:,} open: median {timing.median:.0f} ms; plan: {plan}")
    return rows


def _measure(*, due: int, runs: int) -> tuple[Timing, int, str]:
    from django.db import connection

    from escalation.celery import app
    from sla.sweep import due_clocks, sla_sweep
    from sla.tasks import clocks_escalate

    sink = f"sla-bench-sink-{uuid.uuid4().hex[:8]}"
    broker = app.connection_for_write(_sla.redis_url())

    def publish(ids: list[int]) -> None:
        clocks_escalate.apply_async(args=[ids], queue=sink, connection=broker)

    samples: list[float] = []
    dispatched = 0
    plan = ""
    clock_ids: list[int] = []
    _sla.nothing_due(_sla_celery.utc_now())
    try:
        for run_index in range(runs + 1):
            now = _sla_celery.utc_now()
            _sla.nothing_due(now, clock_ids)
            clock_ids = _sla.make_due(due, now=now, seed=run_index)
            if run_index == 0:
                # What autovacuum would have done by now on a live system.
                with connection.cursor() as cursor:
                    cursor.execute("VACUUM ANALYZE sla_caseclock")
                plan = _plan(due_clocks(now=now)[1])
            started = time.perf_counter()
            result = sla_sweep(now=now, dispatch=publish)
            elapsed = (time.perf_counter() - started) * 1000
            if result.dispatched != len(clock_ids):
                raise SystemExit(f"the sweep handed out {result.dispatched}, not {len(clock_ids)}")
            if run_index:  # the first run warms caches and connections
                samples.append(elapsed)
                dispatched = result.dispatched
    finally:
        broker.default_channel.queue_delete(sink)
        broker.release()
        _sla.nothing_due(_sla_celery.utc_now(), clock_ids)
    return Timing.of(samples), dispatched, plan


def _plan(queryset: object) -> str:
    """The access path PostgreSQL picks for the breach query (should be the partial index)."""
    text = queryset.explain()  # type: ignore[attr-defined]
    return " / ".join(line.strip() for line in text.splitlines()[:3])
