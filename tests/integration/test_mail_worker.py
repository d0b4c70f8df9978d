"""Mail and the SLA sweep on their own queues, with a real Celery worker and beat.

The mail server (aiosmtpd) is down while the SLA engine escalates cases, then comes up: every
message arrives exactly once. And a sweep is not discarded while the default queue is backed up.
"""

from __future__ import annotations

import time
from collections import Counter
from types import SimpleNamespace

import pytest
from django.conf import settings

from escalation.celery import app
from escalation.tasks import ping
from sla.models import CaseClock, MailStatus, Notification, OutgoingMail
from tests.conftest import require_service
from tests.integration.test_sla_worker import (  # noqa: F401 - quick_policy is a fixture
    SWEEP,
    escalated,
    quick_policy,
    raise_due_in,
    wait_for,
)
from tests.sla.conftest import (  # noqa: F401 - the escalation ladder's fixtures
    customer,
    engineering,
    ladder,
    management,
    second_line,
)
from tests.sla.smtp import SmtpServer

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


@pytest.fixture(name="world")
def world_fixture(request, alice, bob) -> SimpleNamespace:  # type: ignore[no-untyped-def]
    """The world of test_sla_worker.py: the ladder, alice's customer, a one-minute target."""
    request.getfixturevalue("quick_policy")
    return SimpleNamespace(
        desk=request.getfixturevalue("ladder"),
        customer=request.getfixturevalue("customer"),
        alice=alice,
        bob=bob,
    )


def test_every_mail_of_an_escalation_arrives_once_though_the_mail_server_was_down(
    celery_processes, celery_worker_process, world, erin
) -> None:
    smtp = SmtpServer()  # down: nothing listens on its port yet
    quick = {**SWEEP, **smtp.settings(), "MAIL_RETRY_SECONDS": "1", "MAIL_REDISPATCH_SECONDS": "4"}
    cases = [raise_due_in(3 + n, world) for n in range(3)]
    for case in cases:
        case.watchers.add(erin)
    celery_worker_process(**quick)
    celery_processes.start("beat", **quick)
    try:

        def escalated_while_down() -> bool:
            return all(escalated(c) for c in cases) and (
                OutgoingMail.objects.exclude(last_error="").count() >= 3
            )

        wait_for(escalated_while_down, "the escalations, mail failing", celery_processes.output)
        assert not OutgoingMail.objects.filter(status=MailStatus.SENT).exists()
        assert smtp.received == []

        smtp.start()
        wait_for(
            lambda: not OutgoingMail.objects.exclude(status=MailStatus.SENT).exists(),
            "every message sent",
            celery_processes.output,
        )
        time.sleep(6)  # more sweeps, retries and a redispatch: nothing may arrive twice
    finally:
        smtp.stop()

    outbox = Counter(OutgoingMail.objects.values_list("to", "subject"))
    assert smtp.counts() == outbox
    assert len(smtp.received) == OutgoingMail.objects.count()
    # One email per notification of a person with an address: the breach told erin, alice and
    # the leads, the new owners heard of their assignment.
    told = Notification.objects.filter(case__in=cases).exclude(recipient__email="")
    assert Counter(told.values_list("recipient__email", flat=True)) == Counter(
        to for to, _ in outbox.elements()
    )
    assert {"erin@example.com", "alice@example.com"} <= {to for to, _ in outbox}


def back_up(queue: str, count: int) -> None:
    """Fill ``queue`` with ``count`` copies of one quick task, as a burst of escalations would
    (copied in Redis: sending thousands of tasks one by one takes longer than the test)."""
    ping.apply_async(args=["busy"], queue=queue, ignore_result=True)
    with app.connection_for_write() as connection:
        redis = connection.default_channel.client
        [message] = redis.lrange(queue, 0, 0)
        redis.lpush(queue, *[message] * (count - 1))


def test_a_sweep_is_not_discarded_while_the_default_queue_is_backed_up(
    celery_processes, celery_worker_process, world
) -> None:
    require_service(bool(settings.REDIS_URL), "Redis (to count the queue's backlog)")
    backlog = 10_000  # far more than the worker drains before the first sweep, even under load
    back_up(celery_processes.queue, backlog)
    case = raise_due_in(1, world)
    celery_worker_process(**SWEEP)
    celery_processes.start("beat", **SWEEP)  # each sweep expires after 1.8 s

    with app.connection_for_write() as connection:
        redis = connection.default_channel.client
        try:

            def swept() -> bool:
                return CaseClock.objects.filter(case=case, dispatched_at__isnull=False).exists()

            wait_for(swept, "a sweep", celery_processes.output, poll=0.1)
            waiting = redis.llen(celery_processes.queue)
        finally:
            redis.delete(celery_processes.queue)
    # The sweep ran while most of the backlog still waited in the default queue.
    assert waiting > backlog // 2, f"only {waiting} of {backlog} tasks still queued"
