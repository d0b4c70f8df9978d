"""Shared by the SLA benchmarks: real Celery processes (a worker and a beat on Redis) against
the SLA benchmark database of ``bench/_sla.py``, and waiting for what they escalate."""

from __future__ import annotations

import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench import common
from bench._sla import TITLE_BURST, new_cases_due_at, redis_url, retire, sla_database_url
from bench.load import terminate


class Celery:
    """A worker and a beat on Redis against the SLA benchmark database, on their own queue;
    ``sweep_seconds`` None leaves SLA_SWEEP_SECONDS at its default."""

    def __init__(self, *, sweep_seconds: int | None = None, concurrency: int = 2) -> None:
        self.queue = f"sla-bench-{uuid.uuid4().hex[:8]}"
        self.sweep_seconds = sweep_seconds
        self.concurrency = concurrency
        self.procs: dict[str, subprocess.Popen[bytes]] = {}
        self.logs: dict[str, Path] = {}

    def env(self) -> dict[str, str]:
        sweep = {} if self.sweep_seconds is None else {"SLA_SWEEP_SECONDS": str(self.sweep_seconds)}
        return common.bench_environment(
            DATABASE_URL=sla_database_url(),
            REDIS_URL=redis_url(),
            CELERY_QUEUE=self.queue,
            LOG_LEVEL="WARNING",
            **sweep,
        )

    def start(self, kind: str) -> subprocess.Popen[bytes]:
        log = common.BENCH_VAR / f"sla-{kind}.log"
        cmd = [sys.executable, "-m", "celery", "-A", "escalation", kind, "--loglevel=WARNING"]
        if kind == "worker":
            # No -Q: CELERY_QUEUE names the default queue and its lanes (mail, the sweep), and a
            # worker serves every queue the settings declare.
            cmd += [
                "--hostname",
                f"{self.queue}@%h",
                f"--concurrency={self.concurrency}",
                "--without-gossip",
                "--without-mingle",
            ]
        else:
            cmd += ["--schedule", str(common.BENCH_VAR / f"{self.queue}-beat")]
        with log.open("wb") as out:
            proc = subprocess.Popen(
                cmd, cwd=common.ROOT, env=self.env(), stdout=out, stderr=subprocess.STDOUT
            )
        self.procs[kind] = proc
        self.logs[kind] = log
        return proc

    def stop(self, kind: str) -> None:
        proc = self.procs.pop(kind, None)
        if proc is not None:
            terminate(proc, grace=30)

    def stop_all(self) -> None:
        for kind in list(self.procs):
            self.stop(kind)

    def purge(self) -> None:
        import redis

        from escalation.celery import queue_names

        client = redis.Redis.from_url(redis_url())
        client.delete(*queue_names(self.queue))

    def worker_memory_mb(self) -> tuple[float, float]:
        """(largest resident size of one worker process, proportional set size of the whole
        worker: parent plus children, shared pages counted once) in MB."""
        import psutil

        proc = self.procs.get("worker")
        if proc is None or proc.poll() is not None:
            return 0.0, 0.0
        try:
            parent = psutil.Process(proc.pid)
            family = [parent, *parent.children(recursive=True)]
            largest = max(p.memory_info().rss for p in family) / 2**20
            total = sum(p.memory_full_info().pss for p in family) / 2**20
        except psutil.Error:
            return 0.0, 0.0
        return largest, total

    def worker_cpu_seconds(self) -> float:
        """CPU time (user and system) the worker's processes have used so far, in seconds."""
        import psutil

        proc = self.procs.get("worker")
        if proc is None or proc.poll() is not None:
            return 0.0
        try:
            parent = psutil.Process(proc.pid)
            family = [parent, *parent.children(recursive=True)]
            return sum(p.cpu_times().user + p.cpu_times().system for p in family)
        except psutil.Error:
            return 0.0


def utc_now() -> datetime:
    return datetime.now(UTC)


def wait_escalated(case_ids: list[int], *, timeout: float, poll: float = 0.25) -> dict[int, float]:
    """Poll until every case has left the L1 desk (committed reassignment) or ``timeout``;
    the wall-clock time (epoch seconds) each was first seen escalated."""
    from cases.models import Case

    seen: dict[int, float] = {}
    pending = set(case_ids)
    deadline = time.monotonic() + timeout
    while pending and time.monotonic() < deadline:
        now = time.time()
        for start in range(0, len(case_ids), 20_000):
            chunk = [pk for pk in case_ids[start : start + 20_000] if pk in pending]
            if not chunk:
                continue
            done = (
                Case.objects.filter(pk__in=chunk).exclude(level="L1").values_list("pk", flat=True)
            )
            for pk in done:
                seen[pk] = now
                pending.discard(pk)
        if pending:
            time.sleep(poll)
    return seen


def wait_all_escalated(case_ids: list[int], *, timeout: float, poll: float = 0.5) -> float | None:
    """Poll (one cheap count over the id range) until none of the cases is left at L1; the
    wall-clock time (epoch seconds) that was first seen, or None after ``timeout``."""
    from cases.models import Case

    low, high = min(case_ids), max(case_ids)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        now = time.time()
        left = Case.objects.filter(pk__gte=low, pk__lte=high, level="L1", title=TITLE_BURST)
        if not left.exists():
            return now
        time.sleep(poll)
    return None


def wait_all_mailed(*, since: datetime, timeout: float, poll: float = 0.5) -> float | None:
    """Poll until no mail written since ``since`` is waiting to be sent (pending and not held
    for later, or being sent); the wall-clock time (epoch seconds) that was first seen, or
    None after ``timeout``."""
    from django.db.models import Q

    from sla.models import MailStatus, OutgoingMail

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        now = time.time()
        waiting = OutgoingMail.objects.filter(
            Q(status=MailStatus.SENDING) | Q(status=MailStatus.PENDING, not_before=None),
            created_at__gte=since,
        )
        if not waiting.exists():
            return now
        time.sleep(poll)
    return None


def wait_worker_ready(celery: Celery, *, timeout: float = 120) -> float:
    """Warm up: a canary case already due must be escalated by the live worker and beat.
    Seconds it took."""
    started = time.monotonic()
    canary = new_cases_due_at([utc_now() - timedelta(seconds=1)], title="canary")
    seen = wait_escalated(canary, timeout=timeout)
    retire(canary, now=utc_now())
    if not seen:
        logs = "\n".join(path.read_text(errors="replace")[-3000:] for path in celery.logs.values())
        raise SystemExit(f"the worker never escalated the canary case:\n{logs}")
    return time.monotonic() - started
