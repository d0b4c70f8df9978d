"""Shared benchmark helpers: the benchmark database, seeded cases, timing, query counts and the
results table. The gunicorn server and the load generators are in bench/load.py.

Call `configure()` before importing anything from Django (the harness does), then
`prepare_database()` before touching the database.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
BENCH_VAR = ROOT / "var" / "bench"
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/escalation_bench"


# -- results -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    """One measured figure and, if it has one, its target."""

    name: str
    value: float
    unit: str
    target: float | None = None
    higher_is_better: bool = False
    note: str = ""

    @property
    def passed(self) -> bool | None:
        if self.target is None:
            return None
        return self.value >= self.target if self.higher_is_better else self.value <= self.target

    @property
    def target_text(self) -> str:
        if self.target is None:
            return "-"
        return f"{'>=' if self.higher_is_better else '<='} {_number(self.target)}"

    @property
    def value_text(self) -> str:
        return _number(self.value)


def _number(value: float) -> str:
    if value == int(value):
        return f"{int(value):,}"
    return f"{value:,.1f}" if abs(value) >= 10 else f"{value:.2f}"


def format_table(rows: list[Row]) -> str:
    header = ("benchmark", "figure", "unit", "target", "result")
    body = [
        (
            row.name,
            row.value_text,
            row.unit,
            row.target_text,
            {True: "pass", False: "FAIL", None: "-"}[row.passed],
        )
        for row in rows
    ]
    widths = [max(len(str(line[i])) for line in (header, *body)) for i in range(5)]
    lines = []
    for index, line in enumerate((header, *body)):
        cells = [
            str(cell).rjust(widths[i]) if i in (1, 3) else str(cell).ljust(widths[i])
            for i, cell in enumerate(line)
        ]
        lines.append("  ".join(cells).rstrip())
        if index == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


# -- Django and the benchmark database ---------------------------------------------------------


def database_url() -> str:
    return os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE_URL)


def bench_environment(**extra: str) -> dict[str, str]:
    """The environment of the benchmark process and of the servers it starts: production-like
    settings (DEBUG off) on the benchmark database, plain HTTP on loopback."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "escalation.settings",
        "DATABASE_URL": database_url(),
        "DEBUG": "false",
        "SECRET_KEY": os.environ.get("BENCH_SECRET_KEY", "bench-" + "x" * 50),
        "ALLOWED_HOSTS": "testserver,127.0.0.1,localhost",
        "SECURE_SSL_REDIRECT": "false",
        "SITE_URL": "http://127.0.0.1:8000",
        "VAR_DIR": str(BENCH_VAR),
        "LOG_LEVEL": "WARNING",
        "CELERY_QUEUE": "bench",
    }
    env.update(extra)
    return env


def configure() -> None:
    """Point this process's Django at the benchmark database and set it up (no queries yet)."""
    BENCH_VAR.mkdir(parents=True, exist_ok=True)
    os.environ.update(bench_environment())
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def prepare_database() -> None:
    """Create the benchmark database if missing, migrate it, and collect static files (DEBUG
    is off, so pages need the manifest)."""
    from django.core.management import call_command

    _create_database_if_missing(database_url())
    call_command("migrate", interactive=False, verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)


def _create_database_if_missing(url: str) -> None:
    import psycopg2
    from psycopg2 import sql

    parts = urlsplit(url)
    if parts.scheme not in ("postgres", "postgresql"):
        raise SystemExit(f"BENCH_DATABASE_URL must be a PostgreSQL URL, not {url!r}")
    name = parts.path.lstrip("/")
    admin = psycopg2.connect(
        host=parts.hostname or "127.0.0.1",
        port=parts.port or 5432,
        user=parts.username or "postgres",
        password=parts.password or None,
        dbname="postgres",
    )
    try:
        admin.autocommit = True
        with admin.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
            if cursor.fetchone() is None:
                cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
                print(f"Created database {name}", flush=True)
    finally:
        admin.close()


def ensure_cases(total: int, *, open_share: float = 0.1) -> int:
    """At least `total` demo cases (with the demo people and policies); returns the count.
    Analyzes the tables after creating any, so the planner knows their size."""
    from django.db import connection

    from cases.models import Case
    from demo.reference_data import seed_reference_data
    from demo.seeding import seed_cases

    seed_reference_data()
    created = seed_cases(total=total, open_share=open_share, stdout=sys.stdout)
    if created and connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    return Case.objects.count()


def machine() -> str:
    """A one-line description of where the figures come from."""
    from django.db import connection

    cores = os.cpu_count() or 0
    try:
        pages = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
        memory = f"{pages / 2**30:.0f} GiB"
    except (ValueError, OSError):
        memory = "unknown memory"
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        version = cursor.fetchone()[0].split()[0]
    return f"{cores} cores / {memory}, PostgreSQL {version}, Python {sys.version.split()[0]}"


# -- timing ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Timing:
    """Wall-clock milliseconds over `runs` calls; `cpu_median`: the median CPU time this
    process spent per call (when measured), which other processes' load does not inflate."""

    runs: int
    median: float
    p95: float
    p99: float
    mean: float
    fastest: float
    slowest: float
    cpu_median: float | None = None

    @classmethod
    def of(cls, samples_ms: list[float], cpu_ms: list[float] | None = None) -> Timing:
        if not samples_ms:
            raise ValueError("no samples")
        ordered = sorted(samples_ms)
        return cls(
            runs=len(ordered),
            median=statistics.median(ordered),
            p95=percentile(ordered, 95),
            p99=percentile(ordered, 99),
            mean=statistics.fmean(ordered),
            fastest=ordered[0],
            slowest=ordered[-1],
            cpu_median=statistics.median(cpu_ms) if cpu_ms else None,
        )


def percentile(ordered: list[float], p: float) -> float:
    """The p-th percentile of sorted samples (nearest rank)."""
    if not ordered:
        raise ValueError("no samples")
    rank = max(1, min(len(ordered), -(-len(ordered) * p // 100)))
    return ordered[int(rank) - 1]


def time_it(fn: Callable[[], Any], *, runs: int = 30, warmup: int = 3) -> Timing:
    """Call `fn` `warmup` times unmeasured, then `runs` times measured."""
    for _ in range(warmup):
        fn()
    samples, cpu = [], []
    for _ in range(runs):
        start, start_cpu = time.perf_counter(), time.process_time()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
        cpu.append((time.process_time() - start_cpu) * 1000)
    return Timing.of(samples, cpu)


def count_queries(fn: Callable[[], Any]) -> int:
    """How many SQL queries one call of `fn` makes."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        fn()
    return len(captured.captured_queries)


def logged_in_client(username: str) -> Any:
    """A test Client logged in as `username` (a demo user); requests run the full middleware
    stack in this process, so timings exclude only the network."""
    from django.contrib.auth import get_user_model
    from django.test import Client

    client = Client()
    client.force_login(get_user_model().objects.get(username=username))
    return client


def api_token(username: str) -> str:
    from django.contrib.auth import get_user_model
    from rest_framework.authtoken.models import Token

    token, _ = Token.objects.get_or_create(user=get_user_model().objects.get(username=username))
    return token.key
