"""Broadcast: one major-incident update to 500 children by a live worker, end to end, once each.

A parent case and ``--broadcast-children`` open children (raised through ``case_raise``, each
with a contact who has an address) are made on the benchmark database. A worker (prefork,
``--broadcast-concurrency`` processes) runs on Redis on a queue of its own. The figures:
seconds from calling ``broadcast_start`` until the broadcast counts every target done
(committed, polled every 0.1 s) and until the last target's own commit stamp; that each child
got exactly one update event and one delivery (outbox row); and the statements per child of
the worker's service, counted in this process on a second, smaller broadcast. The cases are
closed afterwards (their clocks stopped), so later runs do not see them.
"""

from __future__ import annotations

import argparse
import time
from collections import Counter
from typing import Any

from bench import _sla_celery, common
from bench._sla import redis_url, retire
from bench.common import Row

TITLE = "broadcast bench"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--broadcast-children", type=int, default=500)
    parser.add_argument("--broadcast-concurrency", type=int, default=2)


class Worker(_sla_celery.Celery):
    """The SLA benchmarks' worker, on the shared benchmark database instead of theirs."""

    def env(self) -> dict[str, str]:
        return common.bench_environment(
            REDIS_URL=redis_url(), CELERY_QUEUE=self.queue, LOG_LEVEL="WARNING"
        )


def run(args: argparse.Namespace) -> list[Row]:
    from django.contrib.auth.models import User

    manager = User.objects.get(username="manager")
    worker = Worker(sweep_seconds=30, concurrency=args.broadcast_concurrency)
    made: list[int] = []
    from escalation.celery import app

    previous_queue = app.conf.task_default_queue
    app.conf.task_default_queue = worker.queue  # this process hands the targets to that worker
    try:
        worker.start("worker")
        warmup = _wait_ready(worker)
        print(f"  worker ({args.broadcast_concurrency} processes) up (warm-up {warmup:.1f} s)")
        parent, children = _incident(manager, args.broadcast_children)
        made += [parent, *children]
        seconds, last_commit = _broadcast_end_to_end(manager, parent)
        print(f"  {len(children)} children updated in {seconds:.2f} s")
        wrong = _not_exactly_once(children)
        worker.stop("worker")
        small_parent, small_children = _incident(manager, 20)
        made += [small_parent, *small_children]
        per_child, start_queries, cpu_ms = _statements(manager, small_parent, len(small_children))
        n = len(children)
        return [
            Row(f"broadcast to {n} children, end to end (all counted done)", seconds, "s", 10),
            Row(f"broadcast to {n} children, to the last target's commit", last_commit, "s", 10),
            Row("broadcast: children not updated exactly once", float(wrong), "cases", target=0),
            Row("broadcast: worker statements per child", per_child, "queries"),
            Row("broadcast: worker CPU per child (this process)", cpu_ms, "ms"),
            Row("broadcast: broadcast_start statements (20 children)", start_queries, "queries"),
        ]
    finally:
        app.conf.task_default_queue = previous_queue
        worker.stop_all()
        worker.purge()
        if made:
            retire(made, now=_sla_celery.utc_now())


def _wait_ready(worker: Worker, timeout: float = 120) -> float:
    from escalation.celery import app

    started = time.monotonic()
    answer = app.send_task("escalation.tasks.ping", args=["ready"], queue=worker.queue)
    if answer.get(timeout=timeout) != "pong:ready":
        raise SystemExit("the worker did not answer")
    return time.monotonic() - started


def _incident(manager: Any, count: int) -> tuple[int, list[int]]:
    """A parent and ``count`` open children, each with its own contact; their ids."""
    from cases.models import Case, Contact, Customer
    from cases.services import case_raise

    customers = list(Customer.objects.order_by("pk")[:50])

    def raise_one(n: int) -> Case:
        customer = customers[n % len(customers)]
        contact = Contact.objects.create(
            customer=customer, name=f"Bench contact {n}", email=f"bench{n}@customer.example"
        )
        return case_raise(
            raised_by=manager,
            customer=customer,
            contact=contact,
            title=TITLE,
            description="Checkout fails with error 502.",
            severity="S2",
        )

    parent = raise_one(0)
    children = [raise_one(n + 1).pk for n in range(count)]
    Case.objects.filter(pk__in=children).update(parent=parent)
    return parent.pk, children


def _broadcast_end_to_end(manager: Any, parent_id: int) -> tuple[float, float]:
    from django.db.models import Max

    from cases.models import Case
    from comms.broadcast import broadcast_start
    from comms.models import Broadcast

    parent = Case.objects.get(pk=parent_id)
    started_at = _sla_celery.utc_now()
    started = time.monotonic()
    sent = broadcast_start(
        parent=parent, author=manager, body="The payment release is rolled back."
    )
    deadline = started + 600
    while time.monotonic() < deadline:
        if Broadcast.objects.filter(pk=sent.pk, done=sent.total).exists():
            break
        time.sleep(0.1)
    else:
        raise SystemExit("the broadcast was not done within ten minutes")
    seconds = time.monotonic() - started
    last = sent.targets.aggregate(last=Max("done_at"))["last"]
    return seconds, (last - started_at).total_seconds()


def _not_exactly_once(children: list[int]) -> int:
    from cases.models import CaseEvent, EventKind
    from comms.models import Delivery

    events = Counter(
        CaseEvent.objects.filter(case_id__in=children, kind=EventKind.UPDATE).values_list(
            "case_id", flat=True
        )
    )
    deliveries = Counter(
        Delivery.objects.filter(case_id__in=children).values_list("case_id", flat=True)
    )
    return sum(1 for pk in children if (events[pk], deliveries[pk]) != (1, 1))


def _statements(manager: Any, parent_id: int, count: int) -> tuple[float, float, float]:
    """(statements per child of the worker's service, statements of ``broadcast_start``, CPU
    milliseconds per child of the worker's service), in this process, with the hand-off to the
    broker left out."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from cases.models import Case
    from comms import broadcast

    handed: list[int] = []
    dispatch = broadcast.broadcast_dispatch
    broadcast.broadcast_dispatch = handed.extend  # type: ignore[assignment]
    try:
        with CaptureQueriesContext(connection) as started:
            sent = broadcast.broadcast_start(
                parent=Case.objects.get(pk=parent_id), author=manager, body="Counted update."
            )
        ids = list(sent.targets.values_list("pk", flat=True))
        cpu = time.process_time()
        with CaptureQueriesContext(connection) as delivered:
            broadcast.broadcast_targets_deliver(target_ids=ids)
        cpu_ms = (time.process_time() - cpu) * 1000 / count
    finally:
        broadcast.broadcast_dispatch = dispatch  # type: ignore[assignment]
    return len(delivered.captured_queries) / count, float(len(started.captured_queries)), cpu_ms
