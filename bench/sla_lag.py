"""SLA lag: from a deadline to the committed reassignment, with a live worker and beat on Redis.

A worker (prefork, ``--sla-concurrency`` processes) and a beat run against the SLA benchmark
database (bench/_sla.py) with SLA_SWEEP_SECONDS=2. Cases whose first-response deadlines are
spread over ``--sla-lag-spread`` seconds are added; this process polls (every 0.25 s) for each
case's reassignment to become visible, i.e. committed, and the lag is that moment minus the
deadline. The same is then measured with the 30 s default interval (fewer cases, spread over
two minutes) unless ``--sla-lag-quick``. Expect the lag to be up to one interval (the sweep
period) plus the time to take the step.
"""

from __future__ import annotations

import argparse
import random
import time
from datetime import timedelta

from bench import _sla, _sla_celery
from bench.common import Row, Timing


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--sla-lag-cases", type=int, default=200, help="cases for the 2 s run")
    parser.add_argument(
        "--sla-lag-spread", type=int, default=60, help="seconds the deadlines are spread over"
    )
    parser.add_argument(
        "--sla-lag-quick", action="store_true", help="skip the run with the 30 s interval"
    )
    parser.add_argument("--sla-concurrency", type=int, default=2, help="worker processes (prefork)")


def run(args: argparse.Namespace) -> list[Row]:
    rows: list[Row] = []
    with _sla.sla_database():
        timing = measure(
            interval=2,
            cases=args.sla_lag_cases,
            spread=args.sla_lag_spread,
            concurrency=args.sla_concurrency,
        )
        rows.append(
            Row("lag deadline -> reassignment, 2 s sweep, p99", timing.p99 / 1000, "s", target=5)
        )
        rows.append(Row("lag, 2 s sweep, median", timing.median / 1000, "s"))
        if not args.sla_lag_quick:
            timing = measure(interval=30, cases=40, spread=120, concurrency=args.sla_concurrency)
            rows.append(
                Row(
                    "lag, 30 s default sweep, p99",
                    timing.p99 / 1000,
                    "s",
                    note="bounded by the interval + the step",
                )
            )
            rows.append(Row("lag, 30 s default sweep, median", timing.median / 1000, "s"))
    return rows


def measure(*, interval: int, cases: int, spread: int, concurrency: int) -> Timing:
    celery = _sla_celery.Celery(sweep_seconds=interval, concurrency=concurrency)
    ids: list[int] = []
    try:
        celery.start("worker")
        celery.start("beat")
        warmup = _sla_celery.wait_worker_ready(celery, timeout=interval * 4 + 60)
        print(f"  worker and beat up ({interval} s sweep; warm-up {warmup:.1f} s)")
        rng = random.Random(interval)
        start = _sla_celery.utc_now() + timedelta(seconds=5)
        deadlines = sorted(start + timedelta(seconds=rng.uniform(0, spread)) for _ in range(cases))
        ids = _sla.new_cases_due_at(deadlines, title="lag")
        due = dict(zip(ids, (d.timestamp() for d in deadlines), strict=True))
        seen = _sla_celery.wait_escalated(ids, timeout=spread + 5 + interval * 3 + 60)
        if len(seen) != len(ids):
            raise SystemExit(f"only {len(seen)} of {len(ids)} cases were escalated in time")
        lags = [(seen[pk] - due[pk]) * 1000 for pk in ids]
        timing = Timing.of(lags)
        print(
            f"  {interval} s sweep: {len(ids)} cases, lag median {timing.median / 1000:.2f} s, "
            f"p99 {timing.p99 / 1000:.2f} s, max {timing.slowest / 1000:.2f} s"
        )
        _check_once(ids)
        return timing
    finally:
        celery.stop_all()
        celery.purge()
        if ids:
            time.sleep(0.5)
            _sla.retire(ids, now=_sla_celery.utc_now())


def _check_once(case_ids: list[int]) -> None:
    from collections import Counter

    from cases.models import CaseEvent

    escalations = Counter(
        CaseEvent.objects.filter(case_id__in=case_ids, kind="escalated").values_list(
            "case_id", flat=True
        )
    )
    twice = [pk for pk in case_ids if escalations[pk] != 1]
    if twice:
        raise SystemExit(f"{len(twice)} cases were not escalated exactly once, e.g. {twice[:5]}")
