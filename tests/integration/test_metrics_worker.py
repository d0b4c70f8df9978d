"""/metrics after a real escalation by a real Celery worker (prefork, two pool processes) and
beat: the lag observation written by the pool process that escalated is in the web's scrape,
with the breach, the tasks' outcomes and the queues; and the worker's JSON log lines of the
task the "request" sent carry that request's id."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from django.test import Client

from escalation import logs
from escalation.tasks import ping
from sla.models import CaseClock, EscalationRecord
from tests.escalation.test_metrics import Samples, samples, value
from tests.integration.test_sla_worker import (  # noqa: F401 - its fixtures
    POLL_SECONDS,
    SWEEP,
    escalated,
    quick_policy,
    raise_due_in,
    wait_for,
    world,
)
from tests.sla.conftest import (  # noqa: F401 - the escalation ladder's fixtures
    customer,
    engineering,
    ladder,
    management,
    second_line,
)

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

TOKEN = "worker-scrape-token"


def scrape() -> Samples:
    response = Client().get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200
    return samples(response.content.decode())


def test_the_lag_of_an_escalation_by_a_prefork_worker_is_in_the_scrape(
    celery_processes, settings, tmp_path: Path, request
) -> None:
    people = request.getfixturevalue("world")
    directory = tmp_path / "metrics"
    directory.mkdir()
    settings.PROMETHEUS_MULTIPROC_DIR = str(directory)
    settings.METRICS_TOKEN = TOKEN
    environment = {**SWEEP, "PROMETHEUS_MULTIPROC_DIR": str(directory), "LOG_FORMAT": "json"}
    celery_processes.start("worker", "--pool=prefork", "--concurrency=2", **environment)
    celery_processes.start("beat", **environment)
    assert ping.apply_async(args=["ready"], queue=celery_processes.queue).get(timeout=POLL_SECONDS)

    # As a web request would: the tasks the case's raise sends carry its request id.
    token = logs.request_id_var.set("req-metrics-0001")
    try:
        case = raise_due_in(4, people)
    finally:
        logs.request_id_var.reset(token)
    due = CaseClock.objects.get(case=case, kind="response").due_at.timestamp()
    wait_for(lambda: escalated(case), "the breach escalation", celery_processes.output, poll=0.1)
    seen = time.time()
    assert EscalationRecord.objects.filter(case=case, step="breach").count() == 1

    scraped = scrape()
    lag = {"clock_kind": "response"}
    assert value(scraped, "escalation_sla_lag_seconds_count", **lag) == 1, celery_processes.output()
    observed = value(scraped, "escalation_sla_lag_seconds_sum", **lag)
    assert 0 <= observed <= seen - due + 0.1
    assert value(scraped, "escalation_sla_breaches_total", **lag) == 1
    assert value(scraped, "escalation_sla_warnings_total", **lag) <= 1
    succeeded = {"task": "escalation.tasks.ping", "outcome": "success"}
    assert value(scraped, "escalation_celery_tasks_total", **succeeded) == 1
    assert (
        sum(
            v
            for (name, labels), v in scraped.items()
            if name == "escalation_db_queries_total" and ("origin", "task") in labels
        )
        > 0
    )
    assert (
        "escalation_celery_queue_depth",
        frozenset({("queue", celery_processes.queue)}),
    ) in scraped
    # Files of more than one process: the worker's pool processes and beat each write their own.
    assert len(list(directory.glob("*.db"))) >= 2

    worker_log = celery_processes.logs[0].read_text(errors="replace").splitlines()
    lines = [json.loads(line) for line in worker_log if line.startswith("{")]
    assert lines, celery_processes.output()
    of_request = [line for line in lines if line.get("request_id") == "req-metrics-0001"]
    assert of_request and all(line.get("task") for line in of_request), worker_log[-20:]
