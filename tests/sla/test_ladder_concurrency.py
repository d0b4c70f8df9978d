"""Each climb once under concurrency, on PostgreSQL: two sweeps racing, and workers given the
same clocks at once. Real transactions and row locks, so these tests commit."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.utils import timezone

from cases.models import Case, CaseEvent, EventKind
from sla.models import CaseClock, EscalationRecord, SlaPolicy
from sla.sweep import sla_sweep
from tests.conftest import require_service
from tests.sla.test_sweep_concurrency import CASES, breached_cases, take_inline
from tests.threads import in_threads

pytestmark = pytest.mark.django_db(transaction=True)

__all__ = ["breached_cases"]  # the fixture, shared with the sweep's concurrency tests


@pytest.fixture(autouse=True)
def _postgresql_only() -> None:
    require_service(connection.vendor == "postgresql", "PostgreSQL (row locks, advisory locks)")


@pytest.fixture
def escalated(breached_cases: list[Case], policy: SlaPolicy) -> list[Case]:
    """The breached cases, escalated to the second line, who have 15 minutes to act."""
    SlaPolicy.objects.filter(pk=policy.pk).update(acknowledge_minutes=15, reescalate_minutes=None)
    now = timezone.now()
    sla_sweep(now=now, dispatch=take_inline)
    assert CaseClock.objects.filter(climb_at__isnull=False).count() == CASES
    return breached_cases


def assert_each_case_climbed_once(cases: list[Case]) -> None:
    ids = {c.pk for c in cases}
    climbs = Counter(
        EscalationRecord.objects.filter(case_id__in=ids, step__startswith="climb").values_list(
            "case_id", "step"
        )
    )
    assert climbs == Counter({(pk, "climb-1-1"): 1 for pk in ids})
    events = Counter(
        CaseEvent.objects.filter(
            case_id__in=ids, kind=EventKind.ESCALATED, data__step="climb-1-1"
        ).values_list("case_id", flat=True)
    )
    assert events == Counter({pk: 1 for pk in ids})
    assert Case.objects.filter(pk__in=ids, team__name="Engineering").count() == len(ids)


def test_two_sweeps_in_parallel_climb_each_case_once(escalated) -> None:
    with time_machine.travel(timezone.now() + timedelta(minutes=16), tick=False):
        now = timezone.now()
        errors = in_threads(
            lambda: sla_sweep(now=now, dispatch=take_inline, page_size=5, batch_size=3),
            lambda: sla_sweep(now=now, dispatch=take_inline, page_size=5, batch_size=3),
        )
    assert errors == []
    assert_each_case_climbed_once(escalated)


def test_workers_given_the_same_clocks_climb_each_case_once(escalated) -> None:
    clock_ids = list(CaseClock.objects.filter(climb_at__isnull=False).values_list("pk", flat=True))
    with time_machine.travel(timezone.now() + timedelta(minutes=16), tick=False):
        errors = in_threads(
            lambda: take_inline(clock_ids),
            lambda: take_inline(list(reversed(clock_ids))),
        )
    assert errors == []
    assert_each_case_climbed_once(escalated)
