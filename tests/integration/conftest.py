"""Real processes for integration tests: Celery workers and beat on the configured broker."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db import connection

from escalation.celery import app, queue_names
from escalation.health import broker_ok
from tests.conftest import require_service

ROOT = Path(__file__).resolve().parents[2]


def test_database_url() -> str:
    """A DATABASE_URL that points a child process at the database this test run uses."""
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    user = db.get("USER") or ""
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    auth = f"{user}{password}@" if user else ""
    return f"postgres://{auth}{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}/{db['NAME']}"


class CeleryProcesses:
    def __init__(self, tmp_path: Path) -> None:
        self.queue = f"test-{uuid.uuid4().hex[:12]}"
        self.tmp_path = tmp_path
        self.procs: list[subprocess.Popen[bytes]] = []
        self.logs: list[Path] = []

    def env(self, **extra: str) -> dict[str, str]:
        env = {**os.environ, "DATABASE_URL": test_database_url(), "CELERY_QUEUE": self.queue}
        if not settings.REDIS_URL:
            env.pop("REDIS_URL", None)
        env.update(extra)
        return env

    def start(self, kind: str, *args: str, **extra_env: str) -> subprocess.Popen[bytes]:
        log = self.tmp_path / f"{kind}-{len(self.procs)}.log"
        cmd = [sys.executable, "-m", "celery", "-A", "escalation", kind, "--loglevel=INFO", *args]
        if kind == "worker":
            # This run's default queue and its lanes (mail, the sweep), as CELERY_QUEUE names them.
            queues = ",".join(queue_names(self.queue))
            cmd += ["-Q", queues, "--hostname", f"{self.queue}-{len(self.procs)}@%h"]
        if kind == "beat":
            cmd += ["--schedule", str(self.tmp_path / "beat-schedule")]
        with log.open("wb") as out:
            proc = subprocess.Popen(
                cmd, cwd=ROOT, env=self.env(**extra_env), stdout=out, stderr=subprocess.STDOUT
            )
        self.procs.append(proc)
        self.logs.append(log)
        return proc

    def stop(self, proc: subprocess.Popen[bytes], *, kill: bool = False) -> None:
        if proc.poll() is None:
            proc.kill() if kill else proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)

    def output(self) -> str:
        return "\n".join(f"--- {p.name}\n{p.read_text(errors='replace')}" for p in self.logs)


@pytest.fixture
def celery_processes(tmp_path: Path) -> Iterator[CeleryProcesses]:
    """Start real Celery processes on this run's own queue; they are stopped after the test."""
    require_service(broker_ok(), "The Celery broker (REDIS_URL)")
    if os.environ.get("CI", "").lower() == "true" and not settings.REDIS_URL:
        pytest.fail("CI must run the integration tests on Redis: set REDIS_URL", pytrace=False)
    previous_queue = app.conf.task_default_queue
    processes = CeleryProcesses(tmp_path)
    app.conf.task_default_queue = processes.queue
    try:
        yield processes
    finally:
        app.conf.task_default_queue = previous_queue
        for proc in processes.procs:
            processes.stop(proc)


@pytest.fixture
def celery_worker_process(
    celery_processes: CeleryProcesses,
) -> Callable[..., subprocess.Popen[bytes]]:
    def start(*args: str, **extra_env: str) -> subprocess.Popen[bytes]:
        return celery_processes.start("worker", "--pool=solo", *args, **extra_env)

    return start


@pytest.fixture(autouse=True)
def _no_content_security_policy_violations(request: pytest.FixtureRequest) -> Iterator[None]:
    """Every browser test also proves the pages live within their Content-Security-Policy:
    Chromium reports each refused script, style or connection on the console."""
    if "page" not in request.fixturenames:
        yield
        return
    page = request.getfixturevalue("page")
    refused: list[str] = []

    def on_console(message: Any) -> None:
        if "Content Security Policy" in message.text:
            refused.append(f"{page.url}: {message.text}")

    page.on("console", on_console)
    yield
    assert refused == [], "\n".join(refused)
