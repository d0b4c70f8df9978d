"""Mail and the SLA sweep have queues of their own, named after CELERY_QUEUE, and a worker serves
every queue of its deployment."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings

from escalation.celery import app, queue_names

ROOT = Path(__file__).resolve().parents[2]


def queue_of(task_name: str) -> str:
    return app.amqp.router.route({}, task_name)["queue"].name


@pytest.fixture
def deployment_b() -> Iterator[str]:
    """This process sending as a second deployment would (CELERY_QUEUE=deployment-b)."""
    previous = app.conf.task_default_queue
    app.conf.task_default_queue = "deployment-b"
    try:
        yield "deployment-b"
    finally:
        app.conf.task_default_queue = previous


def test_mail_and_the_sweep_go_to_queues_of_their_own() -> None:
    default = settings.CELERY_TASK_DEFAULT_QUEUE
    assert queue_of("sla.tasks.mail_send") == f"{default}.mail"
    assert queue_of("sla.tasks.mail_redispatch") == f"{default}.mail"
    assert queue_of("sla.tasks.sla_sweep") == f"{default}.sla-sweep"
    assert queue_of("sla.tasks.clocks_escalate") == default
    assert queue_of("reports.tasks.weekly_snapshot") == default


def test_the_queues_follow_the_default_queue_so_deployments_share_one_redis(
    deployment_b: str,
) -> None:
    assert queue_of("sla.tasks.mail_send") == "deployment-b.mail"
    assert queue_of("sla.tasks.sla_sweep") == "deployment-b.sla-sweep"
    assert queue_of("sla.tasks.clocks_escalate") == "deployment-b"


def test_a_worker_without_q_serves_every_queue_of_its_deployment() -> None:
    """The Procfile's worker names no -Q: it consumes the queues the settings declare, which
    CELERY_QUEUE names."""
    script = "from escalation.celery import app; print(','.join(sorted(app.amqp.queues)))"
    env = {
        **os.environ,
        "CELERY_QUEUE": "deployment-b",
        "DJANGO_SETTINGS_MODULE": "escalation.settings",
    }
    declared = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {script}"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert declared.split(",") == sorted(queue_names("deployment-b"))
    assert sorted(queue_names("deployment-b")) == [
        "deployment-b",
        "deployment-b.forecasts",
        "deployment-b.mail",
        "deployment-b.sla-sweep",
    ]


def test_the_sweep_and_the_redispatch_expire_just_before_their_next_run() -> None:
    for name in ("sla-sweep", "mail-redispatch"):
        entry = settings.CELERY_BEAT_SCHEDULE[name]
        assert entry["options"]["expires"] == pytest.approx(0.9 * entry["schedule"]), name  # type: ignore[index, operator]
