"""Exactly once under concurrency, on PostgreSQL: sweeps racing in threads, tasks delivered
twice, a second beat's sweep. Real transactions and row locks, so these tests commit."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import timedelta

import pytest
import time_machine
from django.db import connection, connections, transaction
from django.utils import timezone

from cases.models import Case, CaseEvent, EventKind
from cases.services import case_assign, case_raise
from sla import sweep
from sla.escalation import clock_escalate_due
from sla.models import CaseClock, EscalationRecord, Notification
from sla.sweep import SWEEP_LOCK_KEY, sla_sweep
from tests.conftest import require_service
from tests.portable import take_portable_path
from tests.threads import in_threads

pytestmark = pytest.mark.django_db(transaction=True)

CASES = 24


@pytest.fixture(autouse=True)
def _postgresql_only() -> None:
    require_service(connection.vendor == "postgresql", "PostgreSQL (row locks, advisory locks)")


@pytest.fixture
def breached_cases(ladder, alice, bob, customer, policy) -> list[Case]:  # type: ignore[no-untyped-def]
    """Cases raised two hours ago and owned by alice: their first response is overdue."""
    with time_machine.travel(timezone.now() - timedelta(hours=2), tick=False):
        cases = []
        for n in range(CASES):
            case = case_raise(
                raised_by=alice, customer=customer, title=f"T{n}", description="D", severity="S3"
            )
            cases.append(case_assign(case=case, by=bob, owner=alice, reason="Yours"))
    return cases


def take_inline(clock_ids: list[int]) -> None:
    for clock_id in clock_ids:
        clock_escalate_due(clock_id=clock_id, now=timezone.now())


def assert_each_case_escalated_once(cases: list[Case]) -> None:
    ids = {c.pk for c in cases}
    records = Counter(
        EscalationRecord.objects.filter(case_id__in=ids).values_list("case_id", "step")
    )
    assert set(records.values()) == {1}
    assert {case_id for case_id, _ in records} == ids
    for kind in (EventKind.SLA_BREACH, EventKind.ESCALATED):
        per_case = Counter(
            CaseEvent.objects.filter(case_id__in=ids, kind=kind)
            .exclude(data={})
            .values_list("case_id", flat=True)
        )
        assert per_case == Counter({pk: 1 for pk in ids}), kind
    # alice (old owner), lena and lars (leads), the new owner: one notification each.
    per_case = Counter(
        Notification.objects.filter(
            case_id__in=ids, kind__in=["sla_breach", "escalated"]
        ).values_list("case_id", "recipient_id")
    )
    assert set(per_case.values()) == {1}
    assert Counter(case_id for case_id, _ in per_case) == Counter({pk: 4 for pk in ids})
    assert Case.objects.filter(pk__in=ids, team__name="Second line").count() == len(ids)


def test_two_sweeps_in_parallel_escalate_each_case_once(breached_cases) -> None:
    now = timezone.now()
    errors = in_threads(
        lambda: sla_sweep(now=now, dispatch=take_inline, page_size=5, batch_size=3),
        lambda: sla_sweep(now=now, dispatch=take_inline, page_size=5, batch_size=3),
    )
    assert errors == []
    assert_each_case_escalated_once(breached_cases)


def test_without_the_advisory_lock_the_claim_alone_hands_each_clock_to_one_sweep(
    breached_cases, monkeypatch
) -> None:
    """What the embedded SQLite default relies on: no sweep lock, only the row claim."""
    take_portable_path(monkeypatch, sweep)
    now = timezone.now()
    handed: list[list[int]] = [[], []]

    def sweep_into(mine: list[int]) -> None:
        def take(clock_ids: list[int]) -> None:
            mine.extend(clock_ids)
            take_inline(clock_ids)

        sla_sweep(now=now, dispatch=take, page_size=5, batch_size=3)

    assert in_threads(lambda: sweep_into(handed[0]), lambda: sweep_into(handed[1])) == []
    everything = handed[0] + handed[1]
    assert len(everything) == len(set(everything)) == CASES
    assert_each_case_escalated_once(breached_cases)


def test_tasks_delivered_twice_and_racing_workers_escalate_each_case_once(
    breached_cases,
) -> None:
    clock_ids = list(
        CaseClock.objects.filter(kind="response", case__in=breached_cases).values_list(
            "pk", flat=True
        )
    )
    # Three workers get the same ids (redelivery), in different orders.
    errors = in_threads(
        lambda: take_inline(clock_ids),
        lambda: take_inline(list(reversed(clock_ids))),
        lambda: take_inline(clock_ids[::2] + clock_ids[1::2]),
    )
    assert errors == []
    assert_each_case_escalated_once(breached_cases)


def test_a_sweep_finding_another_one_running_does_nothing(breached_cases) -> None:
    holding = threading.Event()
    release = threading.Event()
    handed: list[int] = []

    def hold_the_lock() -> None:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [SWEEP_LOCK_KEY])
            holding.set()
            release.wait(timeout=30)

    def second_sweep() -> None:
        holding.wait(timeout=30)
        try:
            result = sla_sweep(now=timezone.now(), dispatch=handed.extend)
            assert result.skipped and result.dispatched == 0
        finally:
            release.set()

    assert in_threads(hold_the_lock, second_sweep) == []
    assert handed == []
    assert not EscalationRecord.objects.exists()


def test_a_worker_that_dies_mid_step_leaves_no_trace_and_the_retry_completes_it(
    breached_cases, monkeypatch
) -> None:
    from sla import escalation

    clock = CaseClock.objects.get(kind="response", case=breached_cases[0])

    def die(**kwargs: object) -> None:
        raise SystemExit("worker killed")

    monkeypatch.setattr(escalation, "breach_event", die)
    with pytest.raises(SystemExit):
        clock_escalate_due(clock_id=clock.pk, now=timezone.now())
    assert not EscalationRecord.objects.exists()
    assert Case.objects.get(pk=breached_cases[0].pk).team.name == "Service desk"
    monkeypatch.undo()
    assert clock_escalate_due(clock_id=clock.pk, now=timezone.now()) == ["breach"]
    assert_each_case_escalated_once(breached_cases[:1])


def wait_until_a_backend_waits_for_a_lock() -> None:
    """Poll PostgreSQL until another connection is blocked on a row lock (no sleeping blind)."""
    with connections["default"].cursor() as cursor:
        for _ in range(2000):
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE wait_event_type = 'Lock' AND datname = current_database()"
            )
            row = cursor.fetchone()
            if row and row[0]:
                return
            threading.Event().wait(0.005)
    raise AssertionError("the escalation batch never waited for the case lock")


def test_a_reassignment_committed_while_the_batch_waits_is_what_the_engine_escalates_from(
    breached_cases, bob, second_line
) -> None:
    case = breached_cases[0]
    clock = CaseClock.objects.get(case=case, kind="response")
    dave = second_line.members.get(username="dave")
    holding = threading.Event()
    release = threading.Event()

    def reassign() -> None:
        with transaction.atomic():
            case_assign(case=case, by=bob, owner=dave, team=second_line, reason="Second line's")
            holding.set()
            release.wait(timeout=30)

    def escalate() -> None:
        holding.wait(timeout=30)
        clock_escalate_due(clock_id=clock.pk, now=timezone.now())

    def watch() -> None:
        holding.wait(timeout=30)
        wait_until_a_backend_waits_for_a_lock()
        release.set()

    assert in_threads(reassign, escalate, watch) == []
    record = EscalationRecord.objects.get(case=case, step="breach")
    assert (record.from_team_id, record.from_owner_id) == (second_line.pk, dave.pk)
    # Second line's next level, not the fall-through to the manager on duty.
    assert record.rule == "breach_to_next_level"
    escalated = Case.objects.select_related("team", "owner").get(pk=case.pk)
    assert (escalated.team.name, escalated.owner.username) == ("Engineering", "ed")
    told = set(
        Notification.objects.filter(case=case, kind="sla_breach").values_list(
            "recipient__username", flat=True
        )
    )
    assert told == {"dave", "lars", "elsa"}
