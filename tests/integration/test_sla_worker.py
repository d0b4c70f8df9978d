"""The SLA engine with a real Celery worker and beat (SLA_SWEEP_SECONDS=2): a case whose first
response is due in a few seconds is warned, then reassigned, each person told once; after a
worker outage every missed escalation happens, once; and a worker killed in the middle of a
batch leaves nothing half done and nothing done twice."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from datetime import timedelta
from types import SimpleNamespace

import pytest
import time_machine
from django.db import transaction
from django.utils import timezone

from cases.models import Case, CaseEvent, EventKind
from cases.services import case_assign, case_raise
from escalation.tasks import ping
from sla.models import EscalationRecord, Notification, SlaPolicy
from sla.services import case_clocks_sync
from tests.factories import CaseFactory
from tests.sla.conftest import (  # noqa: F401 - the escalation ladder's fixtures
    customer,
    engineering,
    ladder,
    management,
    second_line,
)
from tests.sla.factories import SlaPolicyFactory

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

# Two seconds, not one: a sweep task expires after 0.9 of the interval, and the filesystem broker
# (local runs without Redis) polls once a second.
SWEEP = {"SLA_SWEEP_SECONDS": "2"}
POLL_SECONDS = 90


def wait_for(
    condition: Callable[[], bool], what: str, output: Callable[[], str], poll: float = 0.5
) -> None:
    """Poll ``condition`` every ``poll`` seconds for at most POLL_SECONDS."""
    deadline = time.monotonic() + POLL_SECONDS
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(poll)
    pytest.fail(f"timed out waiting for {what}\n{output()}")


@pytest.fixture
def quick_policy(db: None) -> SlaPolicy:
    """A one-minute first response, warned at 90 %, never re-escalated."""
    return SlaPolicyFactory(
        response_minutes=1, warn_percent=90, update_minutes=None, reescalate_minutes=None
    )


@pytest.fixture
def world(request, alice, bob, quick_policy) -> SimpleNamespace:  # type: ignore[no-untyped-def]
    """The escalation ladder of tests/sla/conftest.py, alice's customer and the quick policy."""
    return SimpleNamespace(
        desk=request.getfixturevalue("ladder"),
        customer=request.getfixturevalue("customer"),
        alice=alice,
        bob=bob,
    )


def raise_due_in(seconds: int, world: SimpleNamespace) -> Case:
    """A case owned by alice whose one-minute response deadline falls ``seconds`` from now."""
    with time_machine.travel(timezone.now() - timedelta(seconds=60 - seconds), tick=False):
        case = case_raise(
            raised_by=world.alice,
            customer=world.customer,
            title="Checkout fails",
            description="Orders stop at the payment step.",
            severity="S3",
            team=world.desk,
        )
        return case_assign(case=case, by=world.bob, owner=world.alice, reason="Yours")


def escalated(case: Case) -> bool:
    return Case.objects.filter(pk=case.pk, team__name="Second line").exists()


def test_a_few_seconds_target_is_warned_then_escalated_and_people_told_once(
    celery_processes, celery_worker_process, world, erin
) -> None:
    # Worker and beat run before the clock starts, so a slow start-up on a busy machine cannot
    # swallow the warning window (a warning due with its breach is left out on purpose).
    celery_worker_process(**SWEEP)
    celery_processes.start("beat", **SWEEP)
    answered = ping.apply_async(args=["ready"], queue=celery_processes.queue)
    assert answered.get(timeout=POLL_SECONDS) == "pong:ready"
    case = raise_due_in(10, world)
    case.watchers.add(erin)
    Notification.objects.all().delete()

    wait_for(lambda: escalated(case), "the breach escalation", celery_processes.output)
    time.sleep(4)  # two more sweeps: nothing may happen twice

    steps = list(EscalationRecord.objects.filter(case=case).values_list("step", flat=True))
    assert sorted(steps) == ["breach", "warning"]
    kinds = Counter(CaseEvent.objects.filter(case=case).values_list("kind", flat=True))
    assert (kinds[EventKind.SLA_WARNING], kinds[EventKind.SLA_BREACH]) == (1, 1)
    assert kinds[EventKind.ESCALATED] == 1
    case.refresh_from_db()
    new_owner = case.owner.username
    assert new_owner in {"dave", "dina"}
    told = Counter(
        Notification.objects.filter(case=case).values_list("recipient__username", "kind")
    )
    assert told == Counter(
        {
            ("alice", "sla_warning"): 1,
            ("lena", "sla_warning"): 1,
            ("alice", "sla_breach"): 1,
            ("lena", "sla_breach"): 1,
            ("lars", "sla_breach"): 1,
            ("erin", "sla_breach"): 1,
            (new_owner, "escalated"): 1,
        }
    )


def test_after_a_worker_outage_every_missed_escalation_happens_once(
    celery_processes, celery_worker_process, world
) -> None:
    celery_processes.start("beat", **SWEEP)
    worker = celery_worker_process(**SWEEP)
    celery_processes.stop(worker)  # the outage: beat keeps ticking, nobody works

    cases = [raise_due_in(2 + n, world) for n in range(4)]
    time.sleep(8)  # every deadline passes during the outage
    assert not EscalationRecord.objects.exists()

    celery_worker_process(**SWEEP)
    wait_for(
        lambda: all(escalated(c) for c in cases), "the missed escalations", celery_processes.output
    )
    time.sleep(4)  # two more sweeps

    records = Counter(
        EscalationRecord.objects.filter(case__in=cases).values_list("case_id", "step")
    )
    # Warning and breach fell due together: the breach says it all, once per case.
    assert records == Counter({(c.pk, "breach"): 1 for c in cases})
    per_case = Counter(
        CaseEvent.objects.filter(case__in=cases, kind=EventKind.ESCALATED).values_list(
            "case_id", flat=True
        )
    )
    assert per_case == Counter({c.pk: 1 for c in cases})
    notified = Counter(
        Notification.objects.filter(
            case__in=cases, kind__in=["sla_breach", "escalated"]
        ).values_list("case_id", "recipient_id")
    )
    assert set(notified.values()) == {1}
    assert Counter(case_id for case_id, _ in notified) == Counter({c.pk: 4 for c in cases})


def overdue_cases(count: int, world: SimpleNamespace) -> list[Case]:
    """``count`` cases of alice's whose first response was due a minute ago (built directly,
    then their clocks synced: raising hundreds through the service would take long)."""
    raised = timezone.now() - timedelta(minutes=2)
    cases = CaseFactory.create_batch(
        count,
        raised_by=world.alice,
        owner=world.alice,
        team=world.desk,
        customer=world.customer,
        severity="S3",
        raised_at=raised,
    )
    with transaction.atomic():
        for case in cases:
            case_clocks_sync(case=case, now=raised)
    return cases


def test_a_worker_killed_mid_batch_leaves_nothing_half_done_and_nothing_twice(
    celery_processes, celery_worker_process, world
) -> None:
    quick = {**SWEEP, "SLA_REDISPATCH_SECONDS": "3"}
    cases = overdue_cases(600, world)  # six batches of 100
    celery_processes.start("beat", **quick)
    worker = celery_worker_process(**quick)

    def some_but_not_all() -> bool:
        done = EscalationRecord.objects.filter(case__in=cases).count()
        return 0 < done < len(cases)

    wait_for(some_but_not_all, "the first batch", celery_processes.output, poll=0.05)
    celery_processes.stop(worker, kill=True)  # SIGKILL, in the middle of a later batch
    assert worker.returncode == -9
    done_before = EscalationRecord.objects.filter(case__in=cases).count()
    assert done_before % 100 == 0  # whole batches or nothing: no half-done batch

    celery_worker_process(**quick)  # the sweep hands the lost ids out again after 3 s
    wait_for(
        lambda: all(escalated(c) for c in cases), "the rest of the burst", celery_processes.output
    )
    time.sleep(4)  # two more sweeps
    assert done_before < len(cases)
    records = Counter(
        EscalationRecord.objects.filter(case__in=cases).values_list("case_id", "step")
    )
    assert records == Counter({(c.pk, "breach"): 1 for c in cases})
    per_case = Counter(
        CaseEvent.objects.filter(case__in=cases, kind=EventKind.ESCALATED).values_list(
            "case_id", flat=True
        )
    )
    assert per_case == Counter({c.pk: 1 for c in cases})
    notified = Counter(
        Notification.objects.filter(
            case__in=cases, kind__in=["sla_breach", "escalated"]
        ).values_list("case_id", "recipient_id")
    )
    assert set(notified.values()) == {1}
