"""The look-ahead under concurrency, on PostgreSQL: a sweep that finds another one running sends
no countdown task; countdown tasks sent by racing sweeps, delivered twice and run by racing
workers take each step once. Real transactions, locks and threads, so these tests commit."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import connection, transaction

from cases.models import Case, CaseEvent, EventKind
from cases.services import case_assign, case_raise
from sla.soon import Wake
from sla.sweep import SWEEP_LOCK_KEY, sla_sweep
from sla.tasks import clocks_soon
from tests.conftest import require_service
from tests.threads import in_threads

pytestmark = pytest.mark.django_db(transaction=True)

NOW = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
CASES = 6


@pytest.fixture(autouse=True)
def _postgresql_only() -> None:
    require_service(connection.vendor == "postgresql", "PostgreSQL (row locks, advisory locks)")


@pytest.fixture
def cases_due_soon(ladder, alice, bob, customer, policy) -> list[Case]:  # type: ignore[no-untyped-def]
    """alice's cases whose one-hour first response falls due 10 s after NOW (warning taken)."""
    cases = []
    with time_machine.travel(NOW - timedelta(minutes=60) + timedelta(seconds=10), tick=False):
        for n in range(CASES):
            case = case_raise(
                raised_by=alice, customer=customer, title=f"T{n}", description="D", severity="S3"
            )
            cases.append(case_assign(case=case, by=bob, owner=alice, reason="Yours"))
    for case in cases:
        case.clocks.filter(kind="response").update(warned_at=NOW - timedelta(minutes=10))
    return cases


def test_a_sweep_finding_another_one_running_sends_no_countdown(cases_due_soon) -> None:
    holding = threading.Event()
    release = threading.Event()
    woken: list[Wake] = []

    def hold_the_lock() -> None:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [SWEEP_LOCK_KEY])
            holding.set()
            release.wait(timeout=30)

    def second_sweep() -> None:
        holding.wait(timeout=30)
        try:
            result = sla_sweep(now=NOW, dispatch=lambda ids: None, wake=woken.extend)
            assert result.skipped and result.woken == 0
        finally:
            release.set()

    assert in_threads(hold_the_lock, second_sweep) == []
    assert woken == []
    # Alone, the same sweep sends one countdown for the six deadlines (one slot).
    result = sla_sweep(now=NOW, dispatch=lambda ids: None, wake=woken.extend)
    assert result.woken == 1
    assert [(w.at, len(w.clock_ids)) for w in woken] == [(NOW + timedelta(seconds=10), CASES)]


def test_countdowns_from_racing_sweeps_delivered_twice_take_each_step_once(
    cases_due_soon,
) -> None:
    woken: list[Wake] = []
    errors = in_threads(
        lambda: sla_sweep(now=NOW, dispatch=lambda ids: None, wake=woken.extend),
        lambda: sla_sweep(now=NOW, dispatch=lambda ids: None, wake=woken.extend),
    )
    assert errors == []
    assert woken  # one sweep or both (one after the other) sent them
    ids = [list(w.clock_ids) for w in woken]
    with time_machine.travel(NOW + timedelta(seconds=10.2), tick=False):
        # Each task twice (redelivery), run by three racing workers in different orders.
        errors = in_threads(
            lambda: [clocks_soon(batch) for batch in ids],
            lambda: [clocks_soon(list(reversed(batch))) for batch in ids],
            lambda: [clocks_soon(batch) for batch in reversed(ids)],
        )
    assert errors == []
    escalated = Counter(
        CaseEvent.objects.filter(case__in=cases_due_soon, kind=EventKind.ESCALATED)
        .exclude(data={})
        .values_list("case_id", flat=True)
    )
    assert escalated == Counter({case.pk: 1 for case in cases_due_soon})
