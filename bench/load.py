"""The process and load part of the benchmarks: a gunicorn server on a free loopback port, a
bounded threaded loopback load generator, and wrk (closed loop) with its output parsed.

Database, seeding, timing and result helpers stay in bench/common.py.
"""

from __future__ import annotations

import http.client
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from urllib.parse import SplitResult, urlsplit

from bench.common import BENCH_VAR, ROOT, Timing, bench_environment

LOOPBACK = {"127.0.0.1", "localhost", "::1"}
# No load run may last longer than this, whatever a caller asks for.
MAX_LOAD_SECONDS = 120.0


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
        terminate(proc, grace=20)
        log.close()


def terminate(proc: subprocess.Popen[bytes], *, grace: float) -> None:
    """Stop a process we started: SIGTERM, then SIGKILL if it is still there after `grace`."""
    if proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)


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
            if not _wait_until(due, stop_at=stop_at):
                with lock:
                    result.errors["not sent by the end"] += 1
                continue
            payload = body(index) if body else None
            try:
                status = _send(parts, method=method, path=path, body=payload, headers=headers)
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


def _wait_until(due: float, *, stop_at: float) -> bool:
    """Sleep until the request falls `due`; False when it is late and the run is over."""
    wait = due - time.monotonic()
    if wait > 0:
        time.sleep(wait)
    elif wait < 0 and time.monotonic() >= stop_at:
        # A server that fell this far behind does not get the backlog sent anyway: the run
        # stops on time, and what was never sent counts as failed.
        return False
    return True


def _send(
    parts: SplitResult,
    *,
    method: str,
    path: str,
    body: bytes | None,
    headers: Mapping[str, str] | None,
) -> int:
    """One request on a connection of its own; the answer's status (read in full)."""
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    conn.request(method, path, body=body, headers=dict(headers or {}))
    response = conn.getresponse()
    response.read()
    conn.close()
    return response.status


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
