"""/metrics (escalation.metrics): who may scrape it, and what it says.

The counters of this test process are written to the run's PROMETHEUS_MULTIPROC_DIR, which other
processes on the machine may share: figures are compared before and after, and the SLA figures
use a clock kind of their own.
"""

from __future__ import annotations

import os
import socket
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest
import time_machine
from django.db import transaction
from django.test import Client
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from cases.models import Status
from cases.services import case_raise
from escalation import metrics
from escalation.celery import app as celery_app
from escalation.health import broker_ok
from escalation.tasks import ping
from escalation.urls import METRICS_AT_SCRAPE
from tests.conftest import client_for, require_service
from tests.factories import CaseFactory, CustomerFactory
from tests.sla.factories import SlaPolicyFactory

TOKEN = "scrape-token-for-tests"
Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def samples(text: str) -> Samples:
    """Every sample of an exposition, by name and labels."""
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(scraped: Samples, metric: str, /, **labels: str) -> float:
    return scraped.get((metric, frozenset(labels.items())), 0.0)


def scrape(**headers: str) -> Samples:
    response = Client().get("/metrics", headers={"Authorization": f"Bearer {TOKEN}", **headers})
    assert response.status_code == 200, response.content
    return samples(response.content.decode())


@pytest.fixture
def token(settings) -> str:  # type: ignore[no-untyped-def]
    settings.METRICS_TOKEN = TOKEN
    settings.METRICS_ALLOW = []
    return TOKEN


# --- Who may scrape ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_metrics_do_not_exist_while_neither_a_token_nor_an_allow_list_is_set(settings) -> None:
    settings.METRICS_TOKEN, settings.METRICS_ALLOW = "", []
    assert Client().get("/metrics", headers={"Authorization": "Bearer anything"}).status_code == 404


@pytest.mark.django_db
def test_the_bearer_of_the_token_reads_the_text_exposition(token: str) -> None:
    response = Client().get("/metrics", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=")
    assert "escalation_http_requests_total" in response.content.decode()


@pytest.mark.django_db
def test_a_scraper_without_the_token_is_asked_for_it(token: str) -> None:
    response = Client().get("/metrics")
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.django_db
def test_a_wrong_token_is_refused(token: str) -> None:
    response = Client().get("/metrics", headers={"Authorization": f"Bearer {token}x"})
    assert response.status_code == 403
    assert b"escalation_" not in response.content


@pytest.mark.django_db
def test_a_token_with_characters_beyond_ascii_is_refused_not_an_error(token: str) -> None:
    response = Client().get("/metrics", HTTP_AUTHORIZATION="Bearer scrapé-token")
    assert response.status_code == 403


@pytest.mark.django_db
def test_a_signed_in_manager_is_not_a_scraper(token: str, bob) -> None:  # type: ignore[no-untyped-def]
    assert client_for(bob).get("/metrics").status_code == 401


@pytest.mark.django_db
def test_an_address_in_the_allow_list_scrapes_without_a_token(settings) -> None:
    settings.METRICS_TOKEN, settings.METRICS_ALLOW = "", ["10.0.0.0/8", "192.0.2.7"]
    assert Client(REMOTE_ADDR="10.20.30.40").get("/metrics").status_code == 200
    assert Client(REMOTE_ADDR="192.0.2.7").get("/metrics").status_code == 200
    assert Client(REMOTE_ADDR="192.0.2.8").get("/metrics").status_code == 403
    # X-Forwarded-For is the client's word: the allow-list judges the peer that connected.
    spoofed = Client(REMOTE_ADDR="192.0.2.8").get(
        "/metrics", headers={"X-Forwarded-For": "10.1.1.1"}
    )
    assert spoofed.status_code == 403


@pytest.mark.django_db
def test_metrics_refuse_a_post(token: str) -> None:
    response = Client().post("/metrics", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 405


# --- Requests and queries ---------------------------------------------------------------------


@pytest.mark.django_db
def test_requests_are_counted_and_timed_by_view_name_method_and_status(token: str) -> None:
    before = scrape()
    for _ in range(3):
        assert Client().get("/healthz").status_code == 200
    assert Client().get("/no-such-page/").status_code in (302, 404)
    after = scrape()

    ok = {"view": "healthz", "method": "GET", "status": "200"}
    assert (
        value(after, "escalation_http_requests_total", **ok)
        - value(before, "escalation_http_requests_total", **ok)
        >= 3
    )
    timed = {"view": "healthz", "method": "GET"}
    count = "escalation_http_request_duration_seconds_count"
    assert value(after, count, **timed) - value(before, count, **timed) >= 3
    # A path no URL takes is counted under one name, never under its own path.
    assert not [key for key in after if ("view", "/no-such-page/") in key[1]]


@pytest.mark.django_db
def test_the_database_queries_of_a_view_are_counted(token: str) -> None:
    before = scrape()
    Client().get("/healthz")  # SELECT 1
    after = scrape()
    queries = {"origin": "view", "name": "healthz"}
    assert (
        value(after, "escalation_db_queries_total", **queries)
        - value(before, "escalation_db_queries_total", **queries)
        >= 1
    )
    per_request = "escalation_http_request_db_queries_count"
    assert value(after, per_request, view="healthz") > value(before, per_request, view="healthz")


# --- What is read when scraped ----------------------------------------------------------------


@pytest.mark.django_db
def test_open_cases_are_counted_by_sla_state_in_one_query(
    token: str, alice, service_desk, django_assert_max_num_queries
) -> None:  # type: ignore[no-untyped-def]
    SlaPolicyFactory(severity="S3", response_minutes=60, warn_percent=80)
    customer = CustomerFactory()
    with time_machine.travel(timezone.now() - timedelta(hours=2), tick=False):
        case_raise(
            raised_by=alice,
            customer=customer,
            title="Late",
            description="D",
            severity="S3",
            team=service_desk,
        )
    case_raise(
        raised_by=alice,
        customer=customer,
        title="Fresh",
        description="D",
        severity="S3",
        team=service_desk,
    )
    CaseFactory(status=Status.NEW)  # no clock
    CaseFactory(status=Status.RESOLVED)  # not open

    # The whole scrape: every process's files, the broker's queues and this gauge.
    with django_assert_max_num_queries(1):
        body = metrics.metrics_scrape(METRICS_AT_SCRAPE)
    scraped = samples(body.decode())
    assert value(scraped, "escalation_open_cases", sla_state="breached") == 1
    assert value(scraped, "escalation_open_cases", sla_state="on_track") == 1
    assert value(scraped, "escalation_open_cases", sla_state="none") == 1
    assert value(scraped, "escalation_open_cases", sla_state="at_risk") == 0
    assert ("escalation_open_cases", frozenset({("sla_state", "paused")})) in scraped


@pytest.mark.django_db
def test_the_depth_of_each_queue_is_read_from_the_broker(token: str) -> None:
    require_service(broker_ok(), "The Celery broker (REDIS_URL)")
    queue = f"test-metrics-{uuid.uuid4().hex[:12]}"
    previous = celery_app.conf.task_default_queue
    celery_app.conf.task_default_queue = queue
    try:
        for n in range(3):
            ping.apply_async(args=[str(n)], queue=queue)
        scraped = scrape()
    finally:
        celery_app.conf.task_default_queue = previous
        with celery_app.connection_for_write() as conn:
            conn.default_channel.queue_purge(queue)
    assert value(scraped, "escalation_celery_queue_depth", queue=queue) == 3
    # The lanes of that default queue are listed too, empty.
    assert value(scraped, "escalation_celery_queue_depth", queue=f"{queue}.mail") == 0
    assert (
        "escalation_celery_queue_depth",
        frozenset({("queue", f"{queue}.mail")}),
    ) in scraped
    assert value(scraped, "escalation_celery_broker_up") == 1


# --- The product's own figures ----------------------------------------------------------------


@dataclass
class Record:
    case_id: int
    clock_kind: str
    step: str


@dataclass
class Clock:
    case_id: int
    kind: str
    due_at: datetime


@pytest.mark.django_db(transaction=True)
def test_breaches_warnings_and_lag_are_recorded_when_the_escalation_commits(token: str) -> None:
    kind = f"k{uuid.uuid4().hex[:8]}"
    before = scrape()
    committed = timezone.now()
    # The commit at a fixed moment: the lags are exact however slow the machine is.
    with time_machine.travel(committed, tick=False), transaction.atomic():
        metrics.steps_committed(
            records=[
                Record(1, kind, "warning"),
                Record(1, kind, "breach"),
                Record(2, kind, "breach"),
            ],
            clocks=[
                Clock(1, kind, committed - timedelta(seconds=2.5)),
                Clock(2, kind, committed - timedelta(seconds=0.3)),
            ],
        )
        inside = scrape()  # nothing is counted before the commit
    after = scrape()
    assert value(inside, "escalation_sla_breaches_total", clock_kind=kind) == 0
    assert value(after, "escalation_sla_breaches_total", clock_kind=kind) == 2
    assert value(after, "escalation_sla_warnings_total", clock_kind=kind) == 1
    lag = "escalation_sla_lag_seconds"
    assert value(after, f"{lag}_count", clock_kind=kind) == 2
    assert value(after, f"{lag}_bucket", clock_kind=kind, le="0.25") == 0
    assert value(after, f"{lag}_bucket", clock_kind=kind, le="0.5") == 1
    assert value(after, f"{lag}_bucket", clock_kind=kind, le="2.0") == 1
    assert value(after, f"{lag}_bucket", clock_kind=kind, le="5.0") == 2
    assert value(after, f"{lag}_sum", clock_kind=kind) == pytest.approx(2.8)
    assert value(before, f"{lag}_count", clock_kind=kind) == 0


@pytest.mark.django_db(transaction=True)
def test_steps_of_a_rolled_back_escalation_are_not_counted(token: str) -> None:
    kind = f"k{uuid.uuid4().hex[:8]}"
    with pytest.raises(RuntimeError), transaction.atomic():
        metrics.steps_committed(
            records=[Record(1, kind, "breach")], clocks=[Clock(1, kind, timezone.now())]
        )
        raise RuntimeError("the batch failed")
    assert value(scrape(), "escalation_sla_breaches_total", clock_kind=kind) == 0


def test_each_process_writes_files_of_its_own_named_after_host_and_pid() -> None:
    identity = metrics.process_identity()
    assert identity.endswith(f"-{os.getpid()}")
    assert identity.startswith(socket.gethostname().replace("_", "-"))
    assert "_" not in identity
