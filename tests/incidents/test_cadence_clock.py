"""A major incident's customer-update clock runs on its cadence: it warns and breaches like the
other clocks, and the next update starts it again."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.test import TestCase

from cases.models import Case, Tier
from cases.services import case_acknowledge, case_add_note
from incidents.services import incident_declare, incident_set_roles
from sla.escalation import clock_escalate_due
from sla.models import CaseClock, ClockKind, EscalationRecord
from sla.sweep import sla_sweep
from tests.factories import CustomerFactory
from tests.sla.factories import SlaPolicyFactory

pytestmark = pytest.mark.django_db

NOON = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
M = timedelta(minutes=1)


def sweep(at: datetime) -> list[str]:
    steps: list[str] = []
    with time_machine.travel(at, tick=False):

        def take(ids: list[int]) -> None:
            for clock_id in ids:
                steps.extend(clock_escalate_due(clock_id=clock_id, now=at))

        with TestCase.captureOnCommitCallbacks(execute=True):
            sla_sweep(now=at, dispatch=take)
    return steps


def update_clock(case: Case) -> CaseClock:
    return CaseClock.objects.get(case=case, kind=ClockKind.UPDATE)


@pytest.fixture
def parent(raise_case, bob) -> Case:  # type: ignore[no-untyped-def]
    """An S1 case whose policy asks for an update every 4 hours, acknowledged at noon, declared
    a major incident (every 30 minutes) at noon."""
    SlaPolicyFactory(
        tier=Tier.STANDARD,
        severity="S1",
        response_minutes=60,
        resolution_minutes=600,
        update_minutes=240,
    )
    with time_machine.travel(NOON, tick=False):
        case = raise_case("Payments down", severity="S1", customer=CustomerFactory())
        case = case_acknowledge(case=case, by=bob)
        incident_declare(case=case, by=bob, lead=bob)
    return case


def test_the_update_clock_targets_the_cadence(parent) -> None:
    clock = update_clock(parent)
    assert clock.target_seconds == 30 * 60
    assert clock.due_at == NOON + 30 * M


def test_the_cadence_clock_warns_then_breaches_once(parent) -> None:
    assert sweep(NOON + 20 * M) == []
    assert sweep(NOON + 23 * M) == ["warning"]
    assert sweep(NOON + 31 * M)[:1] == ["breach"]
    steps = set(
        EscalationRecord.objects.filter(case=parent, clock_kind=ClockKind.UPDATE).values_list(
            "step", flat=True
        )
    )
    assert {"warning", "breach"} <= steps
    assert Case.objects.get(pk=parent.pk).sla_breach_at == NOON + 30 * M


def test_an_update_on_the_parent_starts_the_next_cycle(parent, bob) -> None:
    with time_machine.travel(NOON + 20 * M, tick=False):
        case_add_note(case=parent, by=bob, body="Still on it.", customer_facing=True)
    assert update_clock(parent).due_at == NOON + 50 * M


def test_a_new_cadence_retargets_the_clock(parent, bob) -> None:
    incident = parent.major_incident
    with time_machine.travel(NOON + 5 * M, tick=False):
        incident_set_roles(incident=incident, by=bob, lead=bob, comms_lead=None, cadence_minutes=15)
    assert update_clock(parent).target_seconds == 15 * 60
    assert update_clock(parent).due_at == NOON + 15 * M
