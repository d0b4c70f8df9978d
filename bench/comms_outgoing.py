"""Outgoing mail: a customer-facing update posted on the case page, until its mail is queued.

The demo manager POSTs a customer-facing update (the case page's note form, through the test
Client: the whole middleware stack) on an open case whose contact and two CC contacts get it.
The figure is the time from the start of the request to the moment the outbox hands the new
rows' ids to the broker (``app.send_task`` to the real Redis of ``REDIS_URL``, on the bench's
own queue ``bench.mail``, which no worker serves; it is purged afterwards), which happens after
the update's transaction commits and before the response leaves. Also: the whole request, its
CPU time in this process (which other processes' load inflates less), its queries, and the
part of it that writes the mail (``comms.outgoing.update_mail_queue``: recipients, status link,
rendering, outbox rows, deliveries). The
bench's outbox rows and deliveries are deleted afterwards (its timeline events stay: the
timeline is append-only).
"""

from __future__ import annotations

import argparse
import statistics
import time
from typing import Any

from bench.common import Row, logged_in_client, percentile

TARGET_MS = 50.0
CC_CONTACTS = 2


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--outgoing-runs", type=int, default=0, help="updates posted (default: --runs)"
    )


def _case_with_contacts() -> Any:
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from cases.models import Case, Contact
    from comms.models import CaseCc

    case = Case.objects.open().select_related("customer").order_by("-pk").first()
    if case is None:
        raise SystemExit("no open case to post updates on: seed cases first")
    contact, _ = Contact.objects.get_or_create(
        customer=case.customer, email="bench-contact@customer.example", defaults={"name": "Ana"}
    )
    if case.contact_id != contact.pk:
        Case.objects.filter(pk=case.pk).update(contact=contact)
    manager = get_user_model().objects.get(username="manager")
    for n in range(CC_CONTACTS):
        cc, _ = Contact.objects.get_or_create(
            customer=case.customer, email=f"bench-cc{n}@customer.example", defaults={"name": "Bo"}
        )
        CaseCc.objects.get_or_create(
            case=case, contact=cc, defaults={"added_by": manager, "added_at": timezone.now()}
        )
    return Case.objects.get(pk=case.pk)


def run(args: argparse.Namespace) -> list[Row]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from comms import outgoing
    from comms.models import Delivery
    from escalation.celery import app
    from sla import outbox
    from sla.models import OutgoingMail

    runs = args.outgoing_runs or args.runs
    case = _case_with_contacts()
    client = logged_in_client("manager")
    url = reverse("cases:note", args=[case.reference])
    started_mail = OutgoingMail.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    print(f"  {case.reference}: contact and {CC_CONTACTS} CC contacts, {runs} updates")

    handed_at: list[float] = []
    send_task = outbox.app.send_task

    def timed_send_task(*task_args: Any, **task_kwargs: Any) -> Any:
        handed_at.append(time.perf_counter())
        return send_task(*task_args, **task_kwargs)

    queue_ms: list[float] = []
    update_mail_queue = outgoing.update_mail_queue

    def timed_queue(**kwargs: Any) -> Any:
        start = time.perf_counter()
        try:
            return update_mail_queue(**kwargs)
        finally:
            queue_ms.append((time.perf_counter() - start) * 1000)

    outbox.app.send_task = timed_send_task  # type: ignore[method-assign]
    outgoing.update_mail_queue = timed_queue
    hand_off, whole, cpu, queries, mail_part = [], [], [], [], []
    try:
        for n in range(runs + 3):
            handed_at.clear()
            queue_ms.clear()
            data = {"note-body": f"Bench update {n}: fixed tonight.", "note-visibility": "customer"}
            with CaptureQueriesContext(connection) as captured:
                start, start_cpu = time.perf_counter(), time.process_time()
                response = client.post(url, data)
                end, end_cpu = time.perf_counter(), time.process_time()
            if response.status_code != 302 or len(handed_at) != 1:
                raise SystemExit(f"update not posted: {response.status_code}, {handed_at}")
            if n >= 3:  # warm-up
                hand_off.append((handed_at[0] - start) * 1000)
                whole.append((end - start) * 1000)
                cpu.append((end_cpu - start_cpu) * 1000)
                queries.append(len(captured.captured_queries))
                mail_part.append(sum(queue_ms))
    finally:
        outbox.app.send_task = send_task  # type: ignore[method-assign]
        outgoing.update_mail_queue = update_mail_queue
        mine = OutgoingMail.objects.filter(pk__gt=started_mail, to__startswith="bench-")
        Delivery.objects.filter(mail__in=mine).delete()
        mine.delete()
        with app.connection_for_write() as conn:
            conn.default_channel.queue_purge(f"{app.conf.task_default_queue}.mail")
    hand_off.sort()
    whole.sort()
    return [
        Row(
            "update posted -> mail with the broker, median",
            statistics.median(hand_off),
            "ms",
            target=TARGET_MS,
            note=f"{1 + CC_CONTACTS} recipients",
        ),
        Row("update posted -> mail with the broker, p95", percentile(hand_off, 95), "ms"),
        Row(
            "... of which the mail is written (comms.outgoing), median",
            statistics.median(mail_part),
            "ms",
        ),
        Row("the whole request, median", statistics.median(whole), "ms"),
        Row("... its CPU time in this process, median", statistics.median(cpu), "ms"),
        Row("queries per update request", statistics.median(queries), "queries"),
    ]
