"""A major incident's update fanned out by a real Celery worker on Redis, killed with SIGKILL in
the middle of the broadcast: the beat's sweep hands the lost batch out again to the next worker,
and every child ends with exactly one update on its timeline, one delivery and one message at
the mail server.

The mail server (aiosmtpd) comes up only after the kill, so no message can be half sent when
the worker dies (the outbox's own at-least-once window, see sla.outbox, is not under test here):
what the SMTP server counts is what the broadcast queued.
"""

from __future__ import annotations

import time
from collections import Counter

import pytest

from cases.models import Case, CaseEvent, EventKind, Status
from comms.broadcast import BATCH, broadcast_start
from comms.models import Broadcast, BroadcastState, BroadcastTarget, Delivery
from escalation.tasks import ping
from sla.models import MailStatus, OutgoingMail
from tests.cases.factories import case_in
from tests.factories import ContactFactory
from tests.integration.test_sla_worker import POLL_SECONDS, wait_for
from tests.sla.smtp import SmtpServer

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

CHILDREN = 6 * BATCH
QUICK = {
    "COMMS_BROADCAST_REDISPATCH_SECONDS": "3",
    "MAIL_RETRY_SECONDS": "1",
    "MAIL_REDISPATCH_SECONDS": "3",
    # The kill may land while a mail task holds its claim: those messages go out again once
    # the claim (the task time limit) has run out, well within the test's wait.
    "CELERY_TASK_TIME_LIMIT": "20",
}


def test_a_worker_killed_mid_broadcast_leaves_every_child_updated_and_mailed_once(
    celery_processes, celery_worker_process, service_desk, bob
) -> None:
    smtp = SmtpServer()  # down until the kill is over
    quick = {**QUICK, **smtp.settings()}
    parent = case_in(Status.IN_PROGRESS, team=service_desk, title="Payments down")
    children: list[Case] = []
    for _ in range(CHILDREN):
        child = case_in(Status.IN_PROGRESS, team=service_desk, parent=parent)
        child.contact = ContactFactory(customer=child.customer)
        child.save(update_fields=["contact"])
        children.append(child)
    worker = celery_worker_process(**quick)
    answered = ping.apply_async(args=["ready"], queue=celery_processes.queue)
    assert answered.get(timeout=POLL_SECONDS) == "pong:ready"

    sent = broadcast_start(parent=parent, author=bob, body="Rolled back; checkouts work again.")

    def some_but_not_all() -> bool:
        done = Broadcast.objects.get(pk=sent.pk).done
        return 0 < done < CHILDREN

    wait_for(some_but_not_all, "the first batch", celery_processes.output, poll=0.05)
    celery_processes.stop(worker, kill=True)  # SIGKILL, in the middle of a later batch
    assert worker.returncode == -9
    done_before = Broadcast.objects.get(pk=sent.pk).done
    assert done_before % BATCH == 0  # whole batches or nothing: no half-done batch
    handled = BroadcastTarget.objects.exclude(state=BroadcastState.PENDING).count()
    assert handled == done_before < CHILDREN

    try:
        smtp.start()
        celery_worker_process(**quick)  # the sweep hands the lost batch out again after 3 s
        celery_processes.start("beat", **quick)
        wait_for(
            lambda: Broadcast.objects.filter(pk=sent.pk, done=CHILDREN).exists(),
            "the rest of the broadcast",
            celery_processes.output,
        )
        wait_for(
            lambda: not OutgoingMail.objects.exclude(status=MailStatus.SENT).exists(),
            "every message sent",
            celery_processes.output,
        )
        time.sleep(4)  # more sweeps: nothing may happen twice
    finally:
        smtp.stop()

    once = Counter({c.pk: 1 for c in children})
    updates = CaseEvent.objects.filter(case__in=children, kind=EventKind.UPDATE)
    assert Counter(updates.values_list("case_id", flat=True)) == once
    deliveries = Delivery.objects.filter(case__in=children)
    assert Counter(deliveries.values_list("case_id", flat=True)) == once
    assert smtp.counts() == Counter(
        {(c.contact.email, f"[{c.reference}] {c.title}"): 1 for c in children}
    )
    assert set(BroadcastTarget.objects.values_list("state", flat=True)) == {BroadcastState.SENT}
    finished = Broadcast.objects.get(pk=sent.pk)
    assert finished.done == finished.total == CHILDREN and finished.finished_at is not None
