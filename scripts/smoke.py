"""`make smoke`: the production processes, started for real, do the product's one job.

1. A database of its own (``escalation_smoke``, dropped and created on the PostgreSQL server of
   DATABASE_URL, by default postgres@127.0.0.1:5432) and a Celery queue of its own on REDIS_URL
   (by default redis://127.0.0.1:6379/0), so it runs beside a test run or a deployment.
2. Production settings: DEBUG off, a random SECRET_KEY and METRICS_TOKEN, ALLOWED_HOSTS,
   JSON logs. Migrations, then a desk that escalates to a second line, an operator with an API
   token, and a 24x7 policy whose first response is due at once: the case is raised already due,
   so its escalation comes within seconds instead of a minute.
3. gunicorn, a Celery worker (prefork) and beat, as the Procfile starts them.
4. /healthz answers ok; the case is raised through the API with the token; its SLA breach is on
   its timeline (read through the API) within the time limit; /metrics refuses a scraper without
   the token and shows the lag of that escalation to one with it.
5. Everything it started is stopped and the database dropped, also when a step fails; the exit
   status is 0 only when every step passed within ``--timeout`` seconds (60 by default).
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
DATABASE = "escalation_smoke"
SETUP_FLAG = "--inside-setup"


class SmokeFailed(Exception):
    pass


def say(message: str) -> None:
    print(f"smoke: {message}", flush=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def database_urls() -> tuple[str, str]:
    """The smoke database's URL and the server's maintenance database's, from DATABASE_URL."""
    base = urlsplit(os.environ.get("DATABASE_URL") or "postgres://postgres@127.0.0.1:5432/postgres")
    if base.scheme not in ("postgres", "postgresql"):
        raise SmokeFailed(f"the smoke test needs PostgreSQL, not {base.scheme}")
    return urlunsplit(base._replace(path=f"/{DATABASE}")), urlunsplit(
        base._replace(path="/postgres")
    )


def database_recreate(maintenance_url: str, *, drop_only: bool = False) -> None:
    import psycopg2

    connection = psycopg2.connect(maintenance_url)
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
            if not drop_only:
                cursor.execute(f"CREATE DATABASE {DATABASE}")
    finally:
        connection.close()


def smoke_environment(*, database_url: str, port: int, var_dir: Path) -> dict[str, str]:
    queue = f"smoke-{secrets.token_hex(6)}"
    return {
        **os.environ,
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        # Plain HTTP on the loopback: no proxy in front to terminate TLS.
        "SECURE_SSL_REDIRECT": "false",
        "DATABASE_URL": database_url,
        "REDIS_URL": os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0",
        "CELERY_QUEUE": queue,
        "BIND": f"127.0.0.1:{port}",
        "SITE_URL": f"http://127.0.0.1:{port}",
        "VAR_DIR": str(var_dir),
        "PROMETHEUS_MULTIPROC_DIR": str(var_dir / "metrics"),
        "METRICS_TOKEN": secrets.token_urlsafe(24),
        "LOG_FORMAT": "json",
        "SLA_SWEEP_SECONDS": "2",
        "SENTRY_DSN": "",
        "PYTHONUNBUFFERED": "1",
    }


def run(command: list[str], *, env: dict[str, str], what: str, timeout: float) -> str:
    done = subprocess.run(
        command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=max(timeout, 1)
    )
    if done.returncode != 0:
        raise SmokeFailed(f"{what} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    return done.stdout


def setup_inside() -> None:
    """Run by ``--inside-setup`` in a child with the smoke settings: the data the smoke needs,
    printed as one JSON line."""
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "escalation.settings")
    import django

    django.setup()
    from django.contrib.auth.models import Group, User
    from rest_framework.authtoken.models import Token

    from cases.models import Customer, Level, Team, Tier
    from escalation.roles import Role
    from sla.models import BusinessCalendar, SlaPolicy

    second = Team.objects.create(name="Smoke second line", level=Level.L2)
    desk = Team.objects.create(name="Smoke desk", level=Level.L1, escalates_to=second)
    operator = User.objects.create_user("smoke-operator", password=secrets.token_urlsafe(16))
    operator.groups.add(Group.objects.get(name=Role.OPERATOR.value))
    desk.members.add(operator)
    second.lead = operator
    second.save()
    customer = Customer.objects.create(name="Smoke customer", tier=Tier.STANDARD)
    calendar = BusinessCalendar.objects.create(name="Smoke 24x7", always_open=True)
    SlaPolicy.objects.filter(tier=Tier.STANDARD, severity="S1").delete()
    SlaPolicy.objects.create(
        tier=Tier.STANDARD,
        severity="S1",
        calendar=calendar,
        # Due the moment it is raised: the breach is escalated within seconds.
        response_minutes=0,
        resolution_minutes=60,
        update_minutes=None,
        reescalate_minutes=None,
    )
    token = Token.objects.create(user=operator)
    print(json.dumps({"token": token.key, "customer": customer.pk, "team": desk.pk}))


def http(
    url: str, *, headers: dict[str, str] | None = None, body: Any = None, timeout: float = 5
) -> tuple[int, bytes]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, headers=headers or {})
    if data is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def wait_until(check: Any, *, what: str, deadline: float, poll: float = 0.25) -> Any:
    last: Any = None
    while time.monotonic() < deadline:
        try:
            last = check()
        except OSError as error:  # not listening yet
            last = error
        else:
            if last:
                return last
        time.sleep(poll)
    raise SmokeFailed(f"timed out waiting for {what} (last: {last!r})")


class Processes:
    def __init__(self, env: dict[str, str], logs: Path) -> None:
        self.env, self.logs = env, logs
        self.started: list[tuple[str, subprocess.Popen[bytes], Path]] = []

    def start(self, name: str, command: list[str]) -> None:
        log = self.logs / f"{name}.log"
        with log.open("wb") as out:
            # A session of its own: stopping it stops its children (gunicorn's, the pool's).
            proc = subprocess.Popen(
                command,
                cwd=ROOT,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.started.append((name, proc, log))

    def check_alive(self) -> None:
        for name, proc, _ in self.started:
            if proc.poll() is not None:
                raise SmokeFailed(f"{name} exited with {proc.returncode}")

    def stop(self) -> None:
        for _, proc, _ in self.started:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for _, proc, _ in self.started:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=5)

    def output(self, lines: int = 40) -> str:
        return "\n".join(
            f"--- {name} (last {lines} lines)\n"
            + "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
            for name, _, log in self.started
        )


def smoke(*, timeout: float) -> None:
    started = time.monotonic()
    deadline = started + timeout
    database_url, maintenance_url = database_urls()
    database_recreate(maintenance_url)
    with tempfile.TemporaryDirectory(prefix="escalation-smoke-") as tmp:
        var_dir = Path(tmp)
        (var_dir / "metrics").mkdir()
        port = free_port()
        env = smoke_environment(database_url=database_url, port=port, var_dir=var_dir)
        processes = Processes(env, var_dir)
        try:
            python = sys.executable
            left = deadline - time.monotonic()
            run(
                [python, "manage.py", "migrate", "--noinput"], env=env, what="migrate", timeout=left
            )
            say(f"migrated in {time.monotonic() - started:.1f} s")
            left = deadline - time.monotonic()
            setup = json.loads(
                run([python, __file__, SETUP_FLAG], env=env, what="setup", timeout=left)
                .strip()
                .splitlines()[-1]
            )
            bin_dir = Path(python).parent
            processes.start(
                "web",
                [
                    str(bin_dir / "gunicorn"),
                    "escalation.wsgi",
                    "--bind",
                    env["BIND"],
                    "--workers",
                    "2",
                    "--access-logfile",
                    "-",
                ],
            )
            processes.start(
                "worker",
                [
                    python,
                    "-m",
                    "celery",
                    "-A",
                    "escalation",
                    "worker",
                    "--loglevel=INFO",
                    "--concurrency=2",
                    "--hostname",
                    f"{env['CELERY_QUEUE']}@%h",
                ],
            )
            processes.start(
                "beat",
                [
                    python,
                    "-m",
                    "celery",
                    "-A",
                    "escalation",
                    "beat",
                    "--loglevel=INFO",
                    "--schedule",
                    str(var_dir / "celerybeat-schedule"),
                ],
            )
            site = env["SITE_URL"]

            def healthy() -> bool:
                processes.check_alive()
                status, body = http(f"{site}/healthz")
                return status == 200 and json.loads(body)["status"] == "ok"

            wait_until(healthy, what="/healthz to answer ok", deadline=deadline)
            say(f"/healthz ok at {time.monotonic() - started:.1f} s")

            auth = {"Authorization": f"Token {setup['token']}"}
            status, body = http(
                f"{site}/api/cases/",
                headers=auth,
                body={
                    "customer": setup["customer"],
                    "team": setup["team"],
                    "title": "Smoke test: checkout fails",
                    "description": "Raised by make smoke.",
                    "severity": "S1",
                },
            )
            if status != 201:
                raise SmokeFailed(f"raising the case answered {status}: {body[:500]!r}")
            reference = json.loads(body)["reference"]
            say(f"raised {reference}")

            def breached() -> bool:
                processes.check_alive()
                status, body = http(f"{site}/api/cases/{reference}/timeline/", headers=auth)
                if status != 200:
                    raise SmokeFailed(f"the timeline answered {status}: {body[:500]!r}")
                return '"sla_breach"' in body.decode()

            wait_until(breached, what=f"the escalation of {reference}", deadline=deadline)
            say(f"{reference} escalated at {time.monotonic() - started:.1f} s")

            status, _ = http(f"{site}/metrics")
            if status != 401:
                raise SmokeFailed(f"/metrics without the token answered {status}, not 401")
            scraper = {"Authorization": f"Bearer {env['METRICS_TOKEN']}"}
            wanted = 'escalation_sla_lag_seconds_count{clock_kind="response"} 1.0'

            def lag_scraped() -> bool:
                status, body = http(f"{site}/metrics", headers=scraper)
                return status == 200 and wanted in body.decode()

            wait_until(lag_scraped, what="the lag in /metrics", deadline=deadline)
            say(f"/metrics shows the lag; all passed in {time.monotonic() - started:.1f} s")
        except (SmokeFailed, subprocess.TimeoutExpired):
            say("FAILED; the processes' logs:")
            print(processes.output(), flush=True)
            raise
        finally:
            processes.stop()
            database_recreate(maintenance_url, drop_only=True)


def main() -> int:
    if SETUP_FLAG in sys.argv:
        setup_inside()
        return 0
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds for everything")
    args = parser.parse_args()
    try:
        smoke(timeout=args.timeout)
    except (SmokeFailed, subprocess.TimeoutExpired) as failure:
        say(f"FAILED: {failure}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
