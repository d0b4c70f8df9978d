"""A storm of breaches, set-based: a batch of due clocks takes exactly the steps single
escalations take, writes them with a fixed number of statements however large it is, a case
that fails does not sink its batch, and two workers given the same batch take each step once.

The ladder is tests/sla/conftest.py's (Service desk -> Second line -> Engineering ->
Management); the policy is Standard S3 on 24x7: respond in 1 h (warn at 45 min).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cases import events
from cases.models import Case, CaseEvent, Level
from cases.services import case_raise
from sla.escalation import clock_escalate_due, clocks_escalate_due
from sla.models import CaseClock, EscalationRecord, Notification, OutgoingMail
from tests.conftest import require_service
from tests.sla.test_sweep_concurrency import assert_each_case_escalated_once
from tests.threads import in_threads

pytestmark = pytest.mark.django_db

NOON = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
M = timedelta(minutes=1)


def raise_cases(
    count: int, *, alice: Any, customer: Any, team: Any, at: datetime = NOON
) -> list[Case]:
    """``count`` new S3 cases of ``team``, owned by alice, raised at ``at``."""
    with time_machine.travel(at, tick=False):
        cases = [
            case_raise(
                raised_by=alice,
                customer=customer,
                title=f"Checkout fails {n}",
                description="Orders stop at the payment step.",
                severity="S3",
                team=team,
            )
            for n in range(count)
        ]
    Case.objects.filter(pk__in=[c.pk for c in cases]).update(owner=alice)
    return cases


def response_clocks(cases: list[Case]) -> list[int]:
    return list(
        CaseClock.objects.filter(case__in=cases, kind="response")
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def outcome(cases: list[Case]) -> dict[str, Any]:
    """What the engine wrote for ``cases``, without ids or instants: records, timeline events,
    notifications, mail, the cases' assignments and SLA marks, the clocks' engine fields."""
    ids = [c.pk for c in cases]
    return {
        "records": sorted(
            EscalationRecord.objects.filter(case_id__in=ids).values_list(
                "case_id",
                "clock_kind",
                "cycle",
                "step",
                "rule",
                "from_team_id",
                "from_owner_id",
                "to_team_id",
                "to_owner_id",
            )
        ),
        "events": sorted(
            (
                e.case_id,
                e.kind,
                e.actor_id,
                e.from_value,
                e.to_value,
                e.reason,
                sorted(e.data.items()),
            )
            for e in CaseEvent.objects.filter(case_id__in=ids, created_at__gt=NOON)
        ),
        "notifications": sorted(
            Notification.objects.filter(case_id__in=ids).values_list(
                "case_id", "recipient__username", "kind", "subject", "body"
            )
        ),
        "mail": sorted(OutgoingMail.objects.values_list("to", "subject", "body")),
        "cases": sorted(
            Case.objects.filter(pk__in=ids).values_list(
                "pk", "owner_id", "team_id", "level", "next_due_at", "sla_breach_at", "sla_warn_at"
            )
        ),
        "clocks": sorted(
            CaseClock.objects.filter(case_id__in=ids).values_list(
                "pk",
                "warned_at",
                "breached_at",
                "breach_handled_at",
                "escalation_count",
                "reescalate_at",
                "dispatched_at",
            )
        ),
    }


def taken_then_undone(
    take: Callable[[], list[str]], cases: list[Case]
) -> tuple[list[str], dict[str, Any]]:
    """Take the steps, note the outcome, and roll it all back (for the next way to compare)."""
    point = transaction.savepoint()
    steps = take()
    found = outcome(cases)
    transaction.savepoint_rollback(point)
    return steps, found


def test_a_batch_takes_exactly_the_steps_of_single_escalations(
    ladder, alice, customer, policy, management, network, network_specialists, erin
) -> None:
    cases = raise_cases(6, alice=alice, customer=customer, team=ladder)
    # Specialists, management level, a watcher, a case only warned (raised 20 min later).
    Case.objects.filter(pk=cases[1].pk).update(category=network)
    Case.objects.filter(pk=cases[2].pk).update(team=management, level=Level.MANAGEMENT)
    cases[3].watchers.add(erin)
    late = raise_cases(1, alice=alice, customer=customer, team=ladder, at=NOON + 20 * M)
    cases += late
    clock_ids = response_clocks(cases)
    now = NOON + 66 * M
    OutgoingMail.objects.all().delete()

    def singles() -> list[str]:
        return [step for pk in clock_ids for step in clock_escalate_due(clock_id=pk, now=now)]

    with time_machine.travel(now, tick=False):
        one_by_one, expected = taken_then_undone(singles, cases)
        together, found = taken_then_undone(
            lambda: clocks_escalate_due(clock_ids=clock_ids, clock_now=lambda: now), cases
        )
    assert together == one_by_one == ["breach"] * 6 + ["warning"]
    for part in expected:
        assert found[part] == expected[part], part
    assert len(expected["records"]) == 7 and len(expected["notifications"]) > 20


def test_a_batch_writes_with_the_same_statements_for_5_cases_as_for_50(
    ladder, alice, customer, policy, django_assert_max_num_queries
) -> None:
    cases = raise_cases(55, alice=alice, customer=customer, team=ladder)
    small, large = response_clocks(cases[:5]), response_clocks(cases[5:])
    now = NOON + 61 * M
    with time_machine.travel(now, tick=False):
        with CaptureQueriesContext(connection) as captured:
            assert clocks_escalate_due(clock_ids=small, clock_now=lambda: now) == ["breach"] * 5
        # Locks and reads, one write of each kind (second line has two members: two targets),
        # and for each of the two notification writes two reads: the readers' working hours and
        # their digest windows (sla.notifications).
        assert len(captured.captured_queries) <= 34, [q["sql"][:90] for q in captured]
        with django_assert_max_num_queries(len(captured.captured_queries)):
            steps = clocks_escalate_due(clock_ids=large, clock_now=lambda: now)
    assert steps == ["breach"] * 50
    assert Case.objects.filter(pk__in=[c.pk for c in cases], team__name="Second line").count() == 55


def test_a_case_whose_write_fails_does_not_sink_its_batch(
    ladder, alice, customer, policy, caplog
) -> None:
    cases = raise_cases(3, alice=alice, customer=customer, team=ladder)
    broken = cases[1]

    def refuse(event: events.CaseChanged) -> None:
        if event.case.pk == broken.pk:
            raise ValueError("a subscriber refused the change")

    stop = events.subscribe(events.CaseChanged, refuse)
    try:
        steps = clocks_escalate_due(
            clock_ids=response_clocks(cases), clock_now=lambda: NOON + 61 * M
        )
    finally:
        stop()
    assert steps == ["breach", "breach"]
    assert "a subscriber refused the change" in caplog.text
    assert set(EscalationRecord.objects.values_list("case_id", flat=True)) == {
        cases[0].pk,
        cases[2].pk,
    }
    # The broken one left no trace: the next sweep hands it out again.
    assert Case.objects.get(pk=broken.pk).level == Level.L1
    assert not CaseEvent.objects.filter(case=broken, kind__in=["sla_breach", "escalated"]).exists()
    assert CaseClock.objects.get(case=broken, kind="response").breached_at is None


@pytest.mark.django_db(transaction=True)
def test_two_workers_given_the_same_batch_take_each_step_once(
    ladder, alice, customer, policy
) -> None:
    require_service(connection.vendor == "postgresql", "PostgreSQL (row locks)")
    hours_ago = timezone.now() - timedelta(hours=2)
    cases = raise_cases(20, alice=alice, customer=customer, team=ladder, at=hours_ago)
    clock_ids = response_clocks(cases)
    taken: list[list[str]] = [[], []]

    def worker(n: int, ids: list[int]) -> Callable[[], None]:
        return lambda: taken[n].extend(clocks_escalate_due(clock_ids=ids))

    assert in_threads(worker(0, clock_ids), worker(1, list(reversed(clock_ids)))) == []
    assert sorted(taken[0] + taken[1]) == ["breach"] * 20
    assert_each_case_escalated_once(cases)


def test_a_reassignment_leaves_the_clocks_alone_and_a_status_change_does_not(
    alice: Any, customer: Any, service_desk: Any, policy: Any
) -> None:
    """A set-based reassignment touches only owner, team and level, which no clock follows:
    the SLA app does not read the clocks again for it; a change the clocks follow (the case
    now waits on the customer) still re-aligns them."""
    from cases.models import Status
    from cases.services.assign_many import CasesAssigner
    from sla.services import clocks_on_cases_changed

    cases = raise_cases(3, alice=alice, customer=customer, team=service_desk)
    ids = [c.pk for c in cases]

    def clocks() -> list[tuple[Any, ...]]:
        return sorted(
            CaseClock.objects.filter(case_id__in=ids).values_list("pk", "due_at", "paused_at")
        )

    before = clocks()
    assert before and all(paused is None for *_, paused in before)
    assigner = CasesAssigner()
    for case in Case.objects.filter(pk__in=ids).select_related("team"):
        assigner.assign(case=case, level=Level.L2, reason="Needs the second line")
    with CaptureQueriesContext(connection) as captured:
        assigner.save()
    assert not [q for q in captured if "sla_caseclock" in q["sql"]]
    assert set(Case.objects.filter(pk__in=ids).values_list("level", flat=True)) == {Level.L2}
    assert clocks() == before

    Case.objects.filter(pk__in=ids).update(status=Status.WAITING)
    with time_machine.travel(NOON + M, tick=False):
        clocks_on_cases_changed(
            [
                events.CaseChanged(case=c, at=NOON + M, fields=frozenset({"status"}))
                for c in Case.objects.filter(pk__in=ids)
            ]
        )
    assert any(paused is not None for *_, paused in clocks())
