"""Shared benchmark helpers: the benchmark database, seeded cases, timing, query counts, and a
gunicorn server with a bounded loopback load generator.

Call `configure()` before importing anything from Django (the harness does), then
`prepare_database()` before touching the database.
"""

from __future__ import annotations

import http.client
import os
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
BENCH_VAR = ROOT / "var" / "bench"
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/escalation_bench"
LOOPBACK = {"127.0.0.1", "localhost", "::1"}
# No load run may last longer than this, whatever a caller asks for.
MAX_LOAD_SECONDS = 120.0


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

    from cases.demo import seed_cases
    from cases.models import Case
    from escalation.demo import seed_reference_data

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


# -- a server and load on it -------------------------------------------------------------------


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def gunicorn(*, workers: int = 2, env: Mapping[str, str] | None = None) -> Iterator[str]:
    """Serve the app with gunicorn on a free loopback port; yield its base URL.

    The server runs with the benchmark settings plus `env`; its log goes to
    var/bench/gunicorn.log. It is stopped (by its own pid) when the block ends.
    """
    port = free_port()
    log = (BENCH_VAR / "gunicorn.log").open("ab")
    cmd = [
        sys.executable,
        "-m",
        "gunicorn",
        "escalation.wsgi",
        "--workers",
        str(workers),
        "--bind",
        f"127.0.0.1:{port}",
        "--log-level",
        "warning",
    ]
    proc = subprocess.Popen(
        cmd, cwd=ROOT, env=bench_environment(**(env or {})), stdout=log, stderr=log
    )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(base, proc)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
        log.close()


def _wait_until_up(base: str, proc: subprocess.Popen[bytes], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    parts = urlsplit(base)
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(
                f"gunicorn exited with {proc.returncode}; see var/bench/gunicorn.log"
            )
        try:
            conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=2)
            conn.request("GET", "/healthz")
            conn.getresponse().read()
            conn.close()
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"gunicorn did not answer within {timeout:.0f} s")


@dataclass
class LoadResult:
    """What a load run saw. Latencies in milliseconds; with a fixed rate they count from the
    moment each request was due, so a server falling behind shows in them."""

    seconds: float
    latencies_ms: list[float] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)

    @property
    def completed(self) -> int:
        return len(self.latencies_ms)

    @property
    def throughput(self) -> float:
        return self.completed / self.seconds if self.seconds else 0.0

    @property
    def timing(self) -> Timing:
        return Timing.of(self.latencies_ms)

    def ok_share(self, ok: Callable[[int], bool] = lambda s: 200 <= s < 300) -> float:
        total = sum(self.statuses.values()) + sum(self.errors.values())
        good = sum(n for status, n in self.statuses.items() if ok(status))
        return good / total if total else 0.0


def load(
    url: str,
    *,
    method: str = "GET",
    body: Callable[[int], bytes] | None = None,
    headers: Mapping[str, str] | None = None,
    seconds: float = 10.0,
    concurrency: int = 8,
    rate: float | None = None,
) -> LoadResult:
    """Send requests to a loopback `url` for `seconds` (at most MAX_LOAD_SECONDS).

    Closed loop (rate None): `concurrency` clients, each sending its next request when the
    last one answered: measures the most the server can do. Open loop (rate set): requests
    fall due at a fixed rate, spread over `concurrency` clients; a late answer counts from when
    it was due, and requests still unsent at the end count as errors ("not sent by the end").
    `body(i)` makes the i-th request's body.
    """
    parts = urlsplit(url)
    if parts.hostname not in LOOPBACK:
        raise ValueError("the load generator only targets loopback addresses")
    seconds = min(seconds, MAX_LOAD_SECONDS)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    result = LoadResult(seconds=seconds)
    lock = threading.Lock()
    counter = iter(range(10**9))
    start = time.monotonic()
    stop_at = start + seconds

    def client() -> None:
        while True:
            with lock:
                index = next(counter)
            due = start + index / rate if rate else time.monotonic()
            if due >= stop_at:
                return
            wait = due - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            elif wait < 0 and time.monotonic() >= stop_at:
                # A server that fell this far behind does not get the backlog sent anyway:
                # the run stops on time, and what was never sent counts as failed.
                with lock:
                    result.errors["not sent by the end"] += 1
                continue
            payload = body(index) if body else None
            try:
                conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
                conn.request(method, path, body=payload, headers=dict(headers or {}))
                response = conn.getresponse()
                response.read()
                conn.close()
                status = response.status
            except OSError as exc:
                with lock:
                    result.errors[type(exc).__name__] += 1
                continue
            elapsed = (time.monotonic() - due) * 1000
            with lock:
                result.latencies_ms.append(elapsed)
                result.statuses[status] += 1

    threads = [threading.Thread(target=client, daemon=True) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=seconds + 60)
    result.seconds = time.monotonic() - start
    return result


# -- wrk (closed loop, C, much lighter than the Python clients) ------------------------------


@dataclass(frozen=True)
class WrkResult:
    requests: int
    seconds: float
    throughput: float
    median_ms: float
    p90_ms: float
    p99_ms: float
    non_2xx: int
    socket_errors: int


def wrk_available() -> bool:
    import shutil

    return shutil.which("wrk") is not None


def wrk_load(
    url: str,
    *,
    method: str = "GET",
    bodies: list[bytes] | None = None,
    headers: Mapping[str, str] | None = None,
    seconds: float = 10.0,
    connections: int = 8,
    threads: int = 1,
) -> WrkResult:
    """Closed-loop load with wrk (`apt-get install wrk`): `connections` clients, each sending
    its next request when the last one answered, cycling through `bodies`. Loopback only,
    at most MAX_LOAD_SECONDS."""
    parts = urlsplit(url)
    if parts.hostname not in LOOPBACK:
        raise ValueError("the load generator only targets loopback addresses")
    seconds = min(seconds, MAX_LOAD_SECONDS)
    script = BENCH_VAR / "wrk_request.lua"
    script.write_text(
        _wrk_script(method=method, path=parts.path, bodies=bodies or [b""], headers=headers or {})
    )
    run = subprocess.run(
        [
            "wrk",
            f"-t{threads}",
            f"-c{connections}",
            f"-d{seconds:.0f}s",
            "--latency",
            "--timeout",
            "10s",
            "-s",
            str(script),
            url,
        ],
        capture_output=True,
        text=True,
        timeout=seconds + 60,
        check=False,
    )
    if run.returncode != 0 or run.stderr.strip():
        raise RuntimeError(f"wrk failed ({run.returncode}): {run.stderr.strip()}")
    return _wrk_parse(run.stdout)


def _lua_string(text: str) -> str:
    level = "=" * 4
    if f"]{level}]" in text:
        raise ValueError("body contains the Lua long-string terminator")
    return f"[{level}[{text}]{level}]"


def _wrk_script(*, method: str, path: str, bodies: list[bytes], headers: Mapping[str, str]) -> str:
    items = ",\n".join(_lua_string(b.decode()) for b in bodies)
    header_lines = "\n".join(
        # The spaces matter: "[[" would open a Lua long string.
        f"wrk.headers[ {_lua_string(k)} ] = {_lua_string(v)}"
        for k, v in headers.items()
    )
    return f"""wrk.method = {_lua_string(method)}
{header_lines}
local bodies = {{
{items}
}}
local i = 0
request = function()
  i = i % #bodies + 1
  return wrk.format(nil, {_lua_string(path)}, nil, bodies[i])
end
"""


def _wrk_ms(text: str) -> float:
    for unit, factor in (("us", 0.001), ("ms", 1.0), ("s", 1000.0), ("m", 60000.0)):
        if text.endswith(unit):
            return float(text[: -len(unit)]) * factor
    return float(text)


def _wrk_parse(out: str) -> WrkResult:
    import re

    def grab(pattern: str, default: str = "0") -> str:
        found = re.search(pattern, out)
        return found.group(1) if found else default

    done = re.search(r"(\d+) requests in ([\d.]+)(us|ms|s|m),", out)
    if done is None:
        raise RuntimeError(f"could not read wrk's output:\n{out}")
    socket = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    return WrkResult(
        requests=int(done.group(1)),
        seconds=_wrk_ms(done.group(2) + done.group(3)) / 1000,
        throughput=float(grab(r"Requests/sec:\s+([\d.]+)")),
        median_ms=_wrk_ms(grab(r"\s50%\s+([\d.]+\w+)")),
        p90_ms=_wrk_ms(grab(r"\s90%\s+([\d.]+\w+)")),
        p99_ms=_wrk_ms(grab(r"\s99%\s+([\d.]+\w+)")),
        non_2xx=int(grab(r"Non-2xx or 3xx responses: (\d+)")),
        # Sync gunicorn workers close each connection: wrk counts the close as a read error
        # only when a response was cut short, so read errors stay meaningful.
        socket_errors=sum(int(n) for n in socket.groups()) if socket else 0,
    )
