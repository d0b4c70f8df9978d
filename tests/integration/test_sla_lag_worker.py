"""The SLA engine's lag with a real Celery worker and beat and the default settings (no
SLA_SWEEP_SECONDS: a sweep every 30 s): a deadline a case change brings within the look-ahead
(the countdown sent after its commit) and a deadline written a minute ahead (the countdown a
sweep sends) are each escalated within a second of passing on PostgreSQL and Redis (within
three on the embedded SQLite and filesystem broker), each step once."""

from __future__ import annotations

import os
import time
from collections import Counter
from datetime import timedelta
from types import SimpleNamespace

import pytest
import time_machine
from django.conf import settings
from django.db import connection
from django.utils import timezone

from cases.models import Case
from cases.services import case_assign, case_change_severity, case_raise
from escalation.tasks import ping
from sla.models import CaseClock, EscalationRecord
from tests.integration.test_sla_worker import (  # noqa: F401 - its fixtures
    POLL_SECONDS,
    escalated,
    quick_policy,
    world,
)
from tests.sla.conftest import (  # noqa: F401 - the escalation ladder's fixtures
    customer,
    engineering,
    ladder,
    management,
    second_line,
)
from tests.sla.factories import SlaPolicyFactory

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

# On PostgreSQL and Redis. The embedded default (SQLite, the filesystem broker) is looser: the
# worker reads that broker once a second, and SQLite lets one writer at a time (a step that
# meets a sweep's write may retry a second later), README "The SLA engine".
PRODUCTION_LAG_LIMIT = 1.0
EMBEDDED_LAG_LIMIT = 3.0
POLL = 0.02


def escalated_when(case: Case, *, output) -> float:  # type: ignore[no-untyped-def]
    """Poll every 20 ms until the case's reassignment is committed; the wall-clock time seen."""
    deadline = time.monotonic() + POLL_SECONDS
    while time.monotonic() < deadline:
        if escalated(case):
            return time.time()
        time.sleep(POLL)
    pytest.fail(f"case {case.pk} was never escalated\n{output()}")


def alices_case(people: SimpleNamespace, *, title: str, severity: str) -> Case:
    """A case raised now at the desk and given to alice."""
    case = case_raise(
        raised_by=people.alice,
        customer=people.customer,
        title=title,
        description="D",
        severity=severity,
        team=people.desk,
    )
    return case_assign(case=case, by=people.bob, owner=people.alice, reason="Yours")


def due_at(case: Case) -> float:
    return CaseClock.objects.get(case=case, kind="response").due_at.timestamp()


def test_deadlines_are_escalated_within_a_second_of_passing_with_default_settings(
    celery_processes, celery_worker_process, request
) -> None:
    people = request.getfixturevalue("world")
    assert "SLA_SWEEP_SECONDS" not in os.environ and settings.SLA_SWEEP_SECONDS == 30
    production = connection.vendor == "postgresql" and bool(settings.REDIS_URL)
    limit = PRODUCTION_LAG_LIMIT if production else EMBEDDED_LAG_LIMIT
    celery_worker_process()
    celery_processes.start("beat")
    answered = ping.apply_async(args=["ready"], queue=celery_processes.queue)
    assert answered.get(timeout=POLL_SECONDS) == "pong:ready"

    # Written a minute ahead (the quick policy's one-minute response): a sweep's look-ahead.
    ahead = alices_case(people, title="Written ahead", severity="S3")
    # Raised 50 s ago as an S2 (a long target); narrowed to S3 now, so its one-minute target
    # from the same start falls due in 10 s, long before the next sweep: the change's own
    # countdown.
    SlaPolicyFactory(severity="S2", response_minutes=240, reescalate_minutes=None)
    with time_machine.travel(timezone.now() - timedelta(seconds=50), tick=False):
        near = alices_case(people, title="Narrowed", severity="S2")
    near = case_change_severity(case=near, by=people.bob, severity="S3", reason="Narrower")
    assert due_at(near) - time.time() < settings.SLA_SWEEP_SECONDS / 2

    lag_near = escalated_when(near, output=celery_processes.output) - due_at(near)
    lag_ahead = escalated_when(ahead, output=celery_processes.output) - due_at(ahead)

    assert -POLL < lag_near < limit, f"{lag_near:.3f} s\n{celery_processes.output()}"
    assert -POLL < lag_ahead < limit, f"{lag_ahead:.3f} s\n{celery_processes.output()}"
    records = Counter(
        EscalationRecord.objects.filter(case__in=[near, ahead]).values_list("case_id", "step")
    )
    assert records == Counter(
        {
            (near.pk, "warning"): 1,
            (near.pk, "breach"): 1,
            (ahead.pk, "warning"): 1,
            (ahead.pk, "breach"): 1,
        }
    )
