"""SLA lag: from a deadline to the committed reassignment, with a live worker and beat on Redis.

A worker (prefork, ``--sla-concurrency`` processes) and a beat run against the SLA benchmark
database (bench/_sla.py) with the SLA settings left at their defaults (no SLA_SWEEP_SECONDS:
the environment's is removed too). For each count of ``--sla-lag-counts`` (default 200 and
2,000), cases whose first-response deadlines are spread uniformly over ``--sla-lag-spread``
seconds (60; whole seconds, as the COPY rows carry them, so the deadlines of one second share a
countdown task) are added; this process polls every 50 ms for each case's reassignment to become
visible, i.e. committed, and the lag is that moment minus the deadline (so it includes up to
50 ms of polling). ``--sla-lag-sweep N`` measures with SLA_SWEEP_SECONDS=N instead.

The cases are written with COPY, not through the case services, so only the sweep's
look-ahead (sla.soon) sees their deadlines, not the hook a service's clock write runs: the
first deadline lies one sweep period and five seconds after the write, as a deadline written
by a service more than a period ahead (every policy target is minutes or more) would. Before
the look-ahead, the lag was the wait for the next sweep: up to one period plus the step.
"""

from __future__ import annotations

import argparse
import random
import time
from datetime import timedelta

from bench import _sla, _sla_celery
from bench.common import Row, Timing

POLL_SECONDS = 0.05


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--sla-lag-counts",
        default="200,2000",
        help="deadlines per run, comma-separated (default 200,2000)",
    )
    parser.add_argument(
        "--sla-lag-spread", type=int, default=60, help="seconds the deadlines are spread over"
    )
    parser.add_argument(
        "--sla-lag-sweep",
        type=int,
        default=None,
        help="run with SLA_SWEEP_SECONDS=N (default: the settings' default, not set)",
    )
    parser.add_argument("--sla-concurrency", type=int, default=2, help="worker processes (prefork)")


def run(args: argparse.Namespace) -> list[Row]:
    from django.conf import settings

    rows: list[Row] = []
    period = args.sla_lag_sweep or settings.SLA_SWEEP_SECONDS
    sweep = f"{args.sla_lag_sweep} s sweep" if args.sla_lag_sweep else "default settings"
    with _sla.sla_database():
        for count in (int(n) for n in args.sla_lag_counts.split(",")):
            timing = measure(
                sweep_seconds=args.sla_lag_sweep,
                period=period,
                cases=count,
                spread=args.sla_lag_spread,
                concurrency=args.sla_concurrency,
            )
            what = f"{count:,} deadlines over {args.sla_lag_spread} s, {sweep}"
            rows.append(Row(f"lag, {what}, p99", timing.p99 / 1000, "s", target=1))
            rows.append(Row(f"lag, {what}, median", timing.median / 1000, "s"))
            rows.append(Row(f"lag, {what}, max", timing.slowest / 1000, "s"))
    return rows


def measure(
    *, sweep_seconds: int | None, period: int, cases: int, spread: int, concurrency: int
) -> Timing:
    celery = _sla_celery.Celery(sweep_seconds=sweep_seconds, concurrency=concurrency)
    ids: list[int] = []
    try:
        celery.start("worker")
        celery.start("beat")
        warmup = _sla_celery.wait_worker_ready(celery, timeout=period * 4 + 60)
        print(f"  worker and beat up ({period} s sweep; warm-up {warmup:.1f} s)")
        rng = random.Random(cases)
        start = _sla_celery.utc_now() + timedelta(seconds=period + 5)
        deadlines = sorted(start + timedelta(seconds=rng.uniform(0, spread)) for _ in range(cases))
        ids = _sla.new_cases_due_at(deadlines, title="lag")
        due = _deadlines(ids)
        seen = _sla_celery.wait_escalated(
            ids, timeout=period + 5 + spread + period * 3 + 60, poll=POLL_SECONDS
        )
        if len(seen) != len(ids):
            raise SystemExit(f"only {len(seen)} of {len(ids)} cases were escalated in time")
        lags = [(seen[pk] - due[pk]) * 1000 for pk in ids]
        timing = Timing.of(lags)
        print(
            f"  {period} s sweep: {len(ids)} cases, lag median {timing.median / 1000:.2f} s, "
            f"p99 {timing.p99 / 1000:.2f} s, max {timing.slowest / 1000:.2f} s, "
            f"earliest {timing.fastest / 1000:.2f} s"
        )
        _check_once(ids)
        return timing
    finally:
        celery.stop_all()
        celery.purge()
        if ids:
            time.sleep(0.5)
            _sla.retire(ids, now=_sla_celery.utc_now())


def _deadlines(case_ids: list[int]) -> dict[int, float]:
    """Each case's first-response deadline as stored (epoch seconds): the COPY rows carry whole
    seconds, so a deadline is up to a second before the instant drawn for it."""
    from sla.models import CaseClock

    rows = CaseClock.objects.filter(case_id__in=case_ids, kind="response")
    return {case_id: due.timestamp() for case_id, due in rows.values_list("case_id", "due_at")}


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
