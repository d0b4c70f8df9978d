"""SLA burst: 10,000 simultaneous breaches escalated by a live worker, none twice; its memory.

A worker (prefork, ``--sla-concurrency`` processes) and a beat, with the SLA settings at their
defaults (a 30 s sweep and its look-ahead's countdown tasks), run on Redis against the SLA
benchmark database (bench/_sla.py), next to its open cases. Then
``--sla-burst`` cases are added whose first responses all fall due at the same second. The
figures: seconds from that deadline until every reassignment is committed (visible to this
process, polled every 0.5 s); that each case was escalated exactly once (one record, one
escalation event, one breach event, four notifications: old owner, both team leads, new
owner); the memory of the worker, sampled every 0.5 s: the largest resident process, and
the proportional set size of the whole worker (parent plus children, shared pages once); the
CPU time the worker's processes spent from the cases' insert until the last reassignment, per
escalated case (sweeps and whatever mail was sent meanwhile included); then the seconds until
all the burst's mail was sent (the console backend: printed to the worker's log) and the
worker's CPU per escalated case until then, its mail included.

Then, in this process, ``--sla-burst-inline`` more breaches taken by ``clocks_escalate_due`` in
batches of ``sla.sweep.TASK_BATCH`` clocks: SQL statements and CPU time per escalated case.
"""

from __future__ import annotations

import argparse
import threading
import time
from collections import Counter
from datetime import timedelta
from typing import Any

from bench import _sla, _sla_celery
from bench.common import Row


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--sla-burst", type=int, default=10_000, help="simultaneous breaches")
    parser.add_argument(
        "--sla-burst-inline", type=int, default=2_000, help="breaches taken in this process"
    )


def run(args: argparse.Namespace) -> list[Row]:
    with _sla.sla_database():
        rows = (
            measure(count=args.sla_burst, concurrency=args.sla_concurrency)
            if args.sla_burst > 0
            else []
        )
        return rows + measure_inline(count=args.sla_burst_inline)


def measure_inline(*, count: int) -> list[Row]:
    """Statements and CPU per escalated case of ``clocks_escalate_due`` in this process."""
    from django.db import connection

    from sla.escalation import clocks_escalate_due
    from sla.models import CaseClock
    from sla.sweep import TASK_BATCH

    if count <= 0:
        return []
    due = _sla_celery.utc_now() - timedelta(seconds=1)
    ids = _sla.new_cases_due_at([due] * count, title=_sla.TITLE_BURST)
    try:
        clock_ids = list(
            CaseClock.objects.filter(case_id__in=ids, kind="response")
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        steps = 0
        statements = [0]

        def counted(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
            statements[0] += 1
            return execute(sql, params, many, context)

        started = time.process_time()
        with connection.execute_wrapper(counted):
            for start in range(0, len(clock_ids), TASK_BATCH):
                steps += len(clocks_escalate_due(clock_ids=clock_ids[start : start + TASK_BATCH]))
        cpu = time.process_time() - started
    finally:
        _sla.retire(ids, now=_sla_celery.utc_now())
    print(f"  inline: {steps:,} steps on {count:,} cases, {statements[0]:,} statements")
    return [
        Row("burst inline: SQL statements per escalated case", statements[0] / count, "statements"),
        Row(
            "burst inline: CPU per escalated case (this process)",
            cpu * 1000 / count,
            "ms",
            target=0.5,
        ),
    ]


def measure(*, count: int, concurrency: int) -> list[Row]:
    from django.conf import settings

    celery = _sla_celery.Celery(concurrency=concurrency)
    ids: list[int] = []
    peaks = {"largest": 0.0, "total": 0.0}
    stop = threading.Event()

    def sample() -> None:
        while not stop.is_set():
            largest, total = celery.worker_memory_mb()
            peaks["largest"] = max(peaks["largest"], largest)
            peaks["total"] = max(peaks["total"], total)
            stop.wait(0.5)

    sampler = threading.Thread(target=sample, daemon=True)
    try:
        celery.start("worker")
        celery.start("beat")
        warmup = _sla_celery.wait_worker_ready(celery)
        print(f"  worker ({concurrency} processes) and beat up (warm-up {warmup:.1f} s)")
        sampler.start()
        # Far enough ahead for a sweep's look-ahead to see it (the cases are written straight
        # to the tables, not through the services whose commit would hint the look-ahead).
        ahead = settings.SLA_SWEEP_SECONDS + 20
        deadline = _sla_celery.utc_now() + timedelta(seconds=ahead)
        ids = _sla.new_cases_due_at([deadline] * count, title=_sla.TITLE_BURST)
        print(f"  {len(ids):,} cases added, all due at {deadline:%H:%M:%S}")
        cpu_before = celery.worker_cpu_seconds()
        finished = _sla_celery.wait_all_escalated(ids, timeout=ahead + 600)
        cpu = celery.worker_cpu_seconds() - cpu_before
        if finished is None:
            raise SystemExit("the burst was not escalated within ten minutes")
        seconds = finished - deadline.timestamp()
        print(f"  {len(ids):,} escalated, the last {seconds:.1f} s after the deadline")
        mailed = _sla_celery.wait_all_mailed(since=deadline - timedelta(seconds=1), timeout=600)
        mail_cpu = celery.worker_cpu_seconds() - cpu_before
        # Not all sent within ten minutes: the figure reads NaN, the others still count.
        mail_seconds = float("nan") if mailed is None else mailed - deadline.timestamp()
        print(f"  all its mail sent {mail_seconds:.1f} s after the deadline")
        time.sleep(settings.SLA_SWEEP_SECONDS + 5)  # a sweep more: nothing may happen twice
        stop.set()
        sampler.join(timeout=5)
        twice = _not_exactly_once(ids)
        return [
            Row(f"burst of {count:,} breaches, all escalated after", seconds, "s", target=5),
            Row(
                "burst: worker CPU per escalated case (all its processes)",
                cpu * 1000 / count,
                "ms",
                target=0.5,
            ),
            Row(f"burst of {count:,} breaches, all their mail sent after", mail_seconds, "s"),
            Row(
                "burst: worker CPU per escalated case, its mail included",
                mail_cpu * 1000 / count,
                "ms",
            ),
            Row(
                "burst: cases escalated (not exactly once)",
                float(twice),
                "cases",
                target=0,
            ),
            Row(
                "burst: worker peak memory, largest process",
                peaks["largest"],
                "MB",
                target=250,
            ),
            Row(
                f"burst: worker peak memory (PSS), parent + {concurrency} children",
                peaks["total"],
                "MB",
            ),
        ]
    finally:
        stop.set()
        celery.stop_all()
        celery.purge()
        if ids:
            _sla.retire(ids, now=_sla_celery.utc_now())


def _not_exactly_once(case_ids: list[int]) -> int:
    """How many cases were not escalated exactly once (records, events, notifications)."""
    from cases.models import CaseEvent
    from sla.models import EscalationRecord, Notification

    wrong: set[int] = set()
    for start in range(0, len(case_ids), 5000):
        chunk = case_ids[start : start + 5000]
        records = Counter(
            EscalationRecord.objects.filter(case_id__in=chunk).values_list("case_id", flat=True)
        )
        events = Counter(
            CaseEvent.objects.filter(
                case_id__in=chunk, kind__in=["escalated", "sla_breach"]
            ).values_list("case_id", "kind")
        )
        notes = Counter(
            Notification.objects.filter(case_id__in=chunk).values_list("case_id", flat=True)
        )
        for pk in chunk:
            ok = (
                records[pk] == 1
                and events[(pk, "escalated")] == 1
                and events[(pk, "sla_breach")] == 1
                and notes[pk] == 4
            )
            if not ok:
                wrong.add(pk)
    return len(wrong)
