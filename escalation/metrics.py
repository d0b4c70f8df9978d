"""Prometheus metrics (prometheus-client), safe under gunicorn's and Celery's many processes.

Every process writes its counters and histograms to its own files in
``PROMETHEUS_MULTIPROC_DIR`` (prometheus-client's multiprocess mode), named after the host and
the process id so containers sharing the directory on a volume never write to one file;
``/metrics`` adds up every file, so a scrape of any web process reports the whole deployment:
each gunicorn worker, each Celery pool process, beat. Figures that are state rather than
events (the queues' depth, open cases by SLA state) are read when scraped, by the collectors
the URL configuration hands ``metrics_view`` (``escalation.urls``: the apps' selectors sit above
this plumbing).

The product's own figures are recorded where they happen, by the app that knows: the SLA
engine's steps (``steps_committed``, after its batch commits), the outbox's failed tries
(``mail_failure_count``) and inbound mail (``inbound_mail_count``).
"""

from __future__ import annotations

import glob
import hmac
import ipaddress
import os
import socket
import time
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import Any, Protocol

from celery import Celery
from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.db import connection, transaction
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.views.decorators.http import require_GET
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
    values,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

# No "_" in it: prometheus-client splits the file names on it.
_HOST = socket.gethostname().replace("_", "-")


def process_identity(pid: int | None = None) -> str:
    """The name of the files of process ``pid`` (this one by default) of this host. Asked on
    every change of a value, to notice a fork."""
    return f"{_HOST}-{os.getpid() if pid is None else pid}"


# Every metric below keeps its values in this process's files, in the directory the settings put
# in the environment (PROMETHEUS_MULTIPROC_DIR).
values.ValueClass = values.MultiProcessValue(process_identifier=process_identity)

LATENCY_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
QUERY_BUCKETS = (1, 2, 3, 5, 8, 10, 15, 20, 30, 50, 100, 250)
# The SLA engine aims at escalating within a second of a deadline (README "The SLA engine").
LAG_BUCKETS = (0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 300.0, 900.0, 3600.0)

HTTP_REQUESTS = Counter(
    "escalation_http_requests",
    "HTTP requests answered, by view (URL name), method and status code.",
    ["view", "method", "status"],
)
HTTP_LATENCY = Histogram(
    "escalation_http_request_duration_seconds",
    "Time to answer an HTTP request, by view (URL name) and method.",
    ["view", "method"],
    buckets=LATENCY_BUCKETS,
)
HTTP_QUERIES = Histogram(
    "escalation_http_request_db_queries",
    "Database queries made to answer one HTTP request, by view (URL name).",
    ["view"],
    buckets=QUERY_BUCKETS,
)
DB_QUERIES = Counter(
    "escalation_db_queries",
    "Database queries made, by what made them: a view (URL name) or a Celery task.",
    ["origin", "name"],
)
TASKS = Counter(
    "escalation_celery_tasks",
    "Celery tasks finished, by task name and outcome (success, failure, retry).",
    ["task", "outcome"],
)
SLA_LAG = Histogram(
    "escalation_sla_lag_seconds",
    "From an SLA deadline to the commit of its escalation (the breach step), by clock kind.",
    ["clock_kind"],
    buckets=LAG_BUCKETS,
)
SLA_BREACHES = Counter(
    "escalation_sla_breaches", "SLA targets breached (escalated), by clock kind.", ["clock_kind"]
)
SLA_WARNINGS = Counter(
    "escalation_sla_warnings", "SLA warnings given, by clock kind.", ["clock_kind"]
)
MAIL_FAILURES = Counter(
    "escalation_mail_delivery_failures",
    "Failed tries to send a message of the outbox; final: it failed for good.",
    ["final"],
)
INBOUND_MAIL = Counter(
    "escalation_inbound_mail",
    "Inbound messages taken in (IMAP or a webhook), by source and what became of them.",
    ["source", "state"],
)
UNRESOLVED = "<unresolved>"
KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


# --- Requests and queries ---------------------------------------------------------------------


class QueryCounter:
    """A ``connection.execute_wrapper``: counts the statements run while it is installed."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(
        self, execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any
    ) -> Any:
        self.count += 1
        return execute(sql, params, many, context)


class RequestMetricsMiddleware:
    """Counts and times each request by the name of the view that answered it (a URL name,
    never the path: one series per view however many cases there are), and counts its queries."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        started = time.perf_counter()
        queries = QueryCounter()
        with connection.execute_wrapper(queries):
            response = self.get_response(request)
        elapsed = time.perf_counter() - started
        match = getattr(request, "resolver_match", None)
        view = (match.view_name or UNRESOLVED) if match is not None else UNRESOLVED
        method = request.method if request.method in KNOWN_METHODS else "other"
        HTTP_REQUESTS.labels(view, method, str(response.status_code)).inc()
        HTTP_LATENCY.labels(view, method).observe(elapsed)
        HTTP_QUERIES.labels(view).observe(queries.count)
        if queries.count:
            DB_QUERIES.labels("view", view).inc(queries.count)
        return response


# --- Celery (connected in escalation.celery) --------------------------------------------------

_task_queries: dict[str, QueryCounter] = {}


def task_started(task_id: str) -> None:
    """Count the queries of the task ``task_id`` from now until ``task_finished``."""
    counter = QueryCounter()
    _task_queries[task_id] = counter
    connection.execute_wrappers.append(counter)


def task_finished(task_id: str, task_name: str) -> None:
    counter = _task_queries.pop(task_id, None)
    if counter is None:
        return
    if counter in connection.execute_wrappers:
        connection.execute_wrappers.remove(counter)
    if counter.count:
        DB_QUERIES.labels("task", task_name).inc(counter.count)


def task_outcome_count(*, task_name: str, outcome: str) -> None:
    TASKS.labels(task_name, outcome).inc()


def process_dead(pid: int | None = None) -> None:
    """A process of this host ended (a gunicorn worker, a Celery pool process): its live
    gauges go; its counters stay, so a total never goes down when a process is replaced."""
    multiprocess.mark_process_dead(process_identity(pid), settings.PROMETHEUS_MULTIPROC_DIR)


def queue_depths(*, app: Celery, queues: Callable[[], Iterable[str]]) -> Collector:
    """A collector of the number of tasks waiting in each of ``queues()``, asked of ``app``'s
    broker when scraped (on Redis: the lengths of the queues' lists, every priority counted),
    and whether the broker answered."""

    class QueueDepths:
        def collect(self) -> Iterable[Metric]:
            depth = GaugeMetricFamily(
                "escalation_celery_queue_depth",
                "Tasks waiting in a Celery queue.",
                labels=["queue"],
            )
            up = GaugeMetricFamily(
                "escalation_celery_broker_up", "1 when the broker answered the last scrape."
            )
            try:
                with app.connection_for_read() as conn:
                    conn.ensure_connection(max_retries=0, timeout=0.5)
                    channel = conn.default_channel
                    for name in queues():
                        try:
                            declared = channel.queue_declare(queue=name, passive=True)
                        except conn.channel_errors:
                            # Never declared (no worker yet, nothing sent to it): empty.
                            depth.add_metric([name], 0)
                            continue
                        depth.add_metric([name], declared.message_count)
                up.add_metric([], 1)
            except Exception:  # noqa: BLE001 - a broker outage is a figure, not a failed scrape
                up.add_metric([], 0)
            yield depth
            yield up

    return QueueDepths()


def gauge_at_scrape(
    name: str, documentation: str, label: str, read: Callable[[], Mapping[str, int]]
) -> Collector:
    """A collector of one gauge whose values ``read`` computes when scraped, by ``label``."""

    class AtScrape:
        def collect(self) -> Iterable[Metric]:
            gauge = GaugeMetricFamily(name, documentation, labels=[label])
            for value, count in sorted(read().items()):
                gauge.add_metric([value], count)
            yield gauge

    return AtScrape()


# --- The product's own figures ----------------------------------------------------------------


class StepRecord(Protocol):
    """An SLA escalation step on record (``sla.models.EscalationRecord``)."""

    case_id: int
    clock_kind: str
    step: str


class StepClock(Protocol):
    """The clock a step was taken on (``sla.models.CaseClock``)."""

    case_id: int
    kind: str
    due_at: datetime


def steps_committed(*, records: Iterable[StepRecord], clocks: Iterable[StepClock]) -> None:
    """Once the current transaction commits: count the warnings and breaches among ``records``
    and observe each breach's lag, from its clock's deadline to now (the commit)."""
    deadlines = {(clock.case_id, clock.kind): clock.due_at.timestamp() for clock in clocks}
    steps = [(r.clock_kind, r.step, deadlines.get((r.case_id, r.clock_kind))) for r in records]
    if not steps:
        return

    def observe() -> None:
        now = time.time()
        for kind, step, due in steps:
            if step == "warning":
                SLA_WARNINGS.labels(kind).inc()
            elif step == "breach":
                SLA_BREACHES.labels(kind).inc()
                if due is not None:
                    SLA_LAG.labels(kind).observe(max(0.0, now - due))

    transaction.on_commit(observe, robust=True)


def mail_failure_count(*, final: bool) -> None:
    MAIL_FAILURES.labels("true" if final else "false").inc()


def inbound_mail_count(*, source: str, state: str) -> None:
    INBOUND_MAIL.labels(source, state).inc()


# --- The endpoint -----------------------------------------------------------------------------


def scraper_allowed(request: HttpRequest) -> bool:
    """True for the bearer of METRICS_TOKEN or a peer address within METRICS_ALLOW; Http404
    when neither is configured (the endpoint is off). The address is the TCP peer's
    (REMOTE_ADDR): a scraper comes straight to the process, not through the public proxy."""
    token, allow = settings.METRICS_TOKEN, settings.METRICS_ALLOW
    if not token and not allow:
        raise Http404("Metrics are off: set METRICS_TOKEN or METRICS_ALLOW.")
    scheme, _, sent = request.headers.get("Authorization", "").partition(" ")
    # As bytes: compare_digest refuses str with non-ASCII characters, which a header may hold.
    given = sent.strip().encode("utf-8", "surrogateescape")
    if token and scheme.lower() == "bearer" and hmac.compare_digest(given, token.encode()):
        return True
    try:
        peer = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
    except ValueError:
        return False
    return any(peer in ipaddress.ip_network(network, strict=False) for network in allow)


def metrics_scrape(collectors: Iterable[Collector] = ()) -> bytes:
    """The text exposition of every process's files and of ``collectors``."""
    registry = CollectorRegistry(auto_describe=False)
    directory = settings.PROMETHEUS_MULTIPROC_DIR

    class Files:
        def collect(self) -> Iterable[Metric]:
            return multiprocess.MultiProcessCollector.merge(
                glob.glob(os.path.join(directory, "*.db")), accumulate=True
            )

    registry.register(Files())
    for collector in collectors:
        registry.register(collector)
    return generate_latest(registry)


def metrics_view(*, collectors: Iterable[Collector] = ()) -> Callable[[HttpRequest], HttpResponse]:
    """The ``/metrics`` view, with the scrape-time ``collectors`` the URL configuration wires."""
    wired = list(collectors)

    @login_not_required
    @require_GET
    def metrics(request: HttpRequest) -> HttpResponse:
        if not scraper_allowed(request):
            if settings.METRICS_TOKEN and "Authorization" not in request.headers:
                response = HttpResponse("Send Authorization: Bearer <METRICS_TOKEN>.\n", status=401)
                response["WWW-Authenticate"] = 'Bearer realm="metrics"'
                return response
            return HttpResponse("Not allowed.\n", status=403, content_type="text/plain")
        return HttpResponse(metrics_scrape(wired), content_type=CONTENT_TYPE_LATEST)

    return metrics
