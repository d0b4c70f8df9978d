"""Acknowledge or climb with a real Celery worker and beat (SLA_SWEEP_SECONDS=2): an
escalation nobody acts on climbs twice (the next level, then the team lead), each climb once,
and a note by the new owner stops the ladder.

The acknowledge window's business-time arithmetic is unit-tested (tests/sla/test_ladder.py);
here its end is brought to a few seconds from now by writing the clock's ``climb_at``, so the
worker and beat are what is tested, not the wait.
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.utils import timezone

from cases.models import Case, CaseEvent, EventKind
from cases.services import case_add_note
from escalation.tasks import ping
from sla.models import CaseClock, ClockKind, EscalationRecord, SlaPolicy
from tests.integration.test_sla_worker import (  # noqa: F401 - the ladder and its policy
    POLL_SECONDS,
    SWEEP,
    customer,
    engineering,
    ladder,
    management,
    quick_policy,
    raise_due_in,
    second_line,
    wait_for,
    world,
)

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def owner_of(case: Case) -> str:
    owner = Case.objects.get(pk=case.pk).owner
    return owner.username if owner else ""


def climb_soon(case: Case) -> None:
    """The acknowledge window of the last step ends two seconds from now."""
    CaseClock.objects.filter(case=case, kind=ClockKind.RESPONSE).update(
        climb_at=timezone.now() + timedelta(seconds=2)
    )


def test_an_unacknowledged_escalation_climbs_twice_and_stops_when_acted_on(
    celery_processes, celery_worker_process, request: pytest.FixtureRequest
) -> None:
    things: SimpleNamespace = request.getfixturevalue("world")
    l3 = request.getfixturevalue("engineering")
    SlaPolicy.objects.update(acknowledge_minutes=1)
    l3.members.add(l3.lead)
    celery_worker_process(**SWEEP)
    celery_processes.start("beat", **SWEEP)
    answered = ping.apply_async(args=["ready"], queue=celery_processes.queue)
    assert answered.get(timeout=POLL_SECONDS) == "pong:ready"
    case = raise_due_in(3, things)
    output = celery_processes.output

    wait_for(lambda: owner_of(case) in {"dave", "dina"}, "the breach escalation", output)
    clock = CaseClock.objects.get(case=case, kind=ClockKind.RESPONSE)
    assert clock.climb_at is not None and clock.climb_count == 0
    climb_soon(case)
    wait_for(lambda: owner_of(case) == "ed", "the climb to the next level", output)
    climb_soon(case)
    wait_for(lambda: owner_of(case) == "elsa", "the climb to the team lead", output)

    case_add_note(case=Case.objects.get(pk=case.pk), by=l3.lead, body="On it.")
    climb_soon(case)
    wait_for(
        lambda: CaseClock.objects.filter(
            case=case, kind=ClockKind.RESPONSE, climb_at=None
        ).exists(),
        "the ladder to stop",
        output,
    )
    assert owner_of(case) == "elsa"
    steps = Counter(EscalationRecord.objects.filter(case=case).values_list("step", flat=True))
    assert steps == Counter({"warning": 1, "breach": 1, "climb-1-1": 1, "climb-1-2": 1}) or (
        steps == Counter({"breach": 1, "climb-1-1": 1, "climb-1-2": 1})
    )
    climbs = CaseEvent.objects.filter(
        case=case, kind=EventKind.ESCALATED, data__step__startswith="climb"
    )
    assert sorted(climbs.values_list("data__step", flat=True)) == ["climb-1-1", "climb-1-2"]
