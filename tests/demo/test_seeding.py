"""The demo case generator: idempotent, realistic in shape, and consistent with the SLA clocks:
what the clock sync would compute, what the SLA engine would have done, the breach facts."""

from __future__ import annotations

import io
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.core.management import call_command
from django.db import transaction
from django.db.models import Count

from cases.models import Case, CaseEvent, EventKind, Severity, Status, Tier
from demo.reference_data import seed_reference_data
from demo.seeding import TROUBLE, seed_cases
from sla import clock as bh
from sla.calendars import calendar_for
from sla.escalation import Rule, clock_escalate_due, clocks_escalate_due
from sla.models import CaseClock, ClockKind, ClockLedgerEntry, EscalationRecord, SlaBreach
from sla.services import SYNC_FIELDS, case_clocks_sync
from sla.sweep import due_clocks

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fast_passwords(settings) -> None:  # type: ignore[no-untyped-def]
    # The demo users get real passwords; the default hasher would take seconds per test.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def reference() -> None:
    seed_reference_data()


@pytest.fixture
def frozen():  # type: ignore[no-untyped-def]
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def seed(total: int, **options: object) -> int:
    return seed_cases(total=total, stdout=io.StringIO(), now=NOW, **options)  # type: ignore[arg-type]


def trouble_ids() -> set[int]:
    """The cases the demo leaves in trouble for the SLA engine: the last ones it writes."""
    return set(Case.objects.order_by("-pk").values_list("pk", flat=True)[: len(TROUBLE)])


def seconds(value: timedelta) -> int:
    return int(value.total_seconds())


def test_it_creates_only_the_missing_cases(reference: None, frozen: object) -> None:
    assert seed(40) == 40
    assert seed(40) == 0
    assert seed(25) == 0
    assert seed(60) == 20
    assert Case.objects.count() == 60


def test_every_case_gets_its_clocks(reference: None, frozen: object) -> None:
    seed(120)

    kinds = Counter(CaseClock.objects.values_list("kind", flat=True))
    assert kinds[ClockKind.RESPONSE] == kinds[ClockKind.RESOLUTION] == 120
    owed_updates = Case.objects.filter(
        first_response_at__isnull=False,
        customer__tier__in=[Tier.STRATEGIC, Tier.PREMIUM],
        severity__in=[Severity.S1, Severity.S2],
    ) | Case.objects.filter(
        first_response_at__isnull=False, customer__tier=Tier.STANDARD, severity=Severity.S1
    )
    assert kinds[ClockKind.UPDATE] == owed_updates.count() > 0


def test_about_the_open_share_stays_open_and_mostly_the_newest(
    reference: None, frozen: object
) -> None:
    seed(400, open_share=0.1)

    open_ids = list(Case.objects.open().values_list("pk", flat=True))
    assert 30 <= len(open_ids) <= 50
    newest_fifty = set(Case.objects.order_by("-raised_at").values_list("pk", flat=True)[:50])
    assert len(newest_fifty & set(open_ids)) >= 0.7 * len(open_ids)
    statuses = set(Case.objects.open().values_list("status", flat=True))
    assert statuses >= {Status.ACKNOWLEDGED, Status.IN_PROGRESS, Status.WAITING}


def test_no_case_stays_open_when_the_share_is_zero(reference: None, frozen: object) -> None:
    seed(50, open_share=0)

    assert not Case.objects.open().exists()


def test_cases_spread_over_the_span_mostly_on_working_days(reference: None, frozen: object) -> None:
    seed(600, span_days=365)

    raised = list(Case.objects.values_list("raised_at", flat=True))
    assert min(raised) >= NOW - timedelta(days=366)
    assert max(raised) <= NOW
    weekend = sum(1 for at in raised if at.weekday() >= 5)
    assert weekend < 0.15 * len(raised)
    first_half = sum(1 for at in raised if at < NOW - timedelta(days=182))
    assert first_half < len(raised) - first_half, "the volume grows over time"


def test_severities_follow_the_weights(reference: None, frozen: object) -> None:
    seed(1000)

    counts = Counter(Case.objects.values_list("severity", flat=True))
    assert counts[Severity.S1] < counts[Severity.S2] < counts[Severity.S4] < counts[Severity.S3]
    assert 10 <= counts[Severity.S1] <= 60


def test_finished_cases_carry_a_leaf_root_cause_and_a_summary(
    reference: None, frozen: object
) -> None:
    seed(200)

    finished = Case.objects.filter(status__in=Status.FINISHED).select_related("root_cause")
    assert finished.count() > 150
    for case in finished:
        assert case.root_cause is not None and case.root_cause.parent_id is not None
        assert case.resolution_summary
        assert case.first_response_at is not None
        assert case.raised_at <= case.first_response_at <= case.resolved_at <= NOW
        assert (case.closed_at is not None) == (case.status == Status.CLOSED)
    assert not Case.objects.open().exclude(resolved_at=None).exists()
    assert not Case.objects.open().exclude(root_cause=None).exists()


def test_clocks_agree_with_the_case_and_the_clock_rules(reference: None, frozen: object) -> None:
    seed(300)

    for case in Case.objects.prefetch_related("clocks__policy__calendar"):
        clocks = {clock.kind: clock for clock in case.clocks.all()}
        response, resolution = clocks[ClockKind.RESPONSE], clocks[ClockKind.RESOLUTION]
        assert response.started_at == resolution.started_at == case.raised_at
        assert response.stopped_at == case.first_response_at
        assert resolution.stopped_at == case.resolved_at
        assert (resolution.paused_at is not None) == (case.status == Status.WAITING)
        if ClockKind.UPDATE in clocks:
            update = clocks[ClockKind.UPDATE]
            anchor = case.last_customer_update_at or case.first_response_at
            assert update.started_at == anchor
            assert update.cycle == (2 if case.last_customer_update_at else 1)
            assert update.stopped_at == case.resolved_at
        for clock in clocks.values():
            assert clock.policy is not None
            calendar = calendar_for(clock.policy.calendar)
            paused = timedelta(seconds=clock.paused_seconds)
            target = timedelta(seconds=clock.target_seconds)
            warn = timedelta(seconds=clock.target_seconds * clock.policy.warn_percent // 100)
            assert clock.due_at == bh.add_business_time(calendar, clock.started_at, target + paused)
            assert clock.warn_at == bh.add_business_time(calendar, clock.started_at, warn + paused)
            # A breach is the deadline before the wait on the customer, or the one after it.
            first_due = bh.add_business_time(calendar, clock.started_at, target)
            assert clock.breached_at in (None, clock.due_at, first_due)
            if clock.breached_at is not None:
                assert (clock.stopped_at or clock.paused_at or NOW) >= clock.breached_at
            if clock.stopped_at is not None:
                assert clock.met == (clock.breached_at is None)
                ran = bh.business_time_between(calendar, clock.started_at, clock.stopped_at)
                assert clock.elapsed_seconds == seconds(ran) - clock.paused_seconds
                late = (
                    bh.business_time_between(calendar, clock.breached_at, clock.stopped_at)
                    if clock.breached_at is not None
                    else timedelta(0)
                )
                assert clock.late_seconds == seconds(late)
                assert clock.paused_at is None and clock.reescalate_at is None
            else:
                assert clock.met is None and clock.elapsed_seconds is None
            if clock.paused_at is not None:
                used = bh.business_time_between(calendar, clock.started_at, clock.paused_at)
                left = clock.target_seconds + clock.paused_seconds - seconds(used)
                assert clock.remaining_seconds_at_pause == left
            else:
                assert clock.remaining_seconds_at_pause is None
        running = [
            c.due_at for c in clocks.values() if c.stopped_at is None and c.paused_at is None
        ]
        assert case.next_due_at == (min(running) if running else None)
        if case.status in Status.FINISHED:
            assert case.next_due_at is None


def clock_state() -> dict[tuple[int, str], dict[str, Any]]:
    return {
        (clock.case_id, clock.kind): {name: getattr(clock, name) for name in SYNC_FIELDS}
        for clock in CaseClock.objects.all()
    }


def test_the_clock_sync_leaves_every_seeded_clock_as_it_is(reference: None, frozen: object) -> None:
    """The stored clocks are what case_clocks_sync computes: the first real sync (an SLA
    escalation reassigning the case, say) moves no deadline and changes no bookkeeping."""
    seed(300)
    trouble = trouble_ids()
    before = clock_state()
    next_due = dict(Case.objects.values_list("pk", "next_due_at"))
    facts = set(SlaBreach.objects.values_list("case_id", "clock_kind", "cycle", "recorded_at"))

    for case in Case.objects.select_related("customer").order_by("pk"):
        with transaction.atomic():
            case_clocks_sync(case=case, now=NOW)

    after = clock_state()
    assert after.keys() == before.keys()
    for key, state in before.items():
        deadlines = (state["due_at"], state["warn_at"])
        assert (after[key]["due_at"], after[key]["warn_at"]) == deadlines, key
        if key[0] not in trouble:
            assert after[key] == state, key
    assert dict(Case.objects.values_list("pk", "next_due_at")) == next_due
    others = SlaBreach.objects.exclude(case_id__in=trouble)
    assert set(others.values_list("case_id", "clock_kind", "cycle", "recorded_at")) == {
        fact for fact in facts if fact[0] not in trouble
    }
    assert not ClockLedgerEntry.objects.exclude(case_id__in=trouble).exists()
    # The sample holds every kind of clock the sync treats differently.
    states = list(before.values())
    running = [state for state in states if state["stopped_at"] is None]
    assert len(running) < len(states), "stopped clocks"
    assert any(state["paused_at"] is not None for state in running), "waiting on the customer"
    assert any(state["paused_seconds"] and state["paused_at"] is None for state in running), (
        "resumed after a wait"
    )
    assert any(state["breach_handled_at"] is not None for state in running), "escalated"
    assert any(state["reescalate_at"] is not None for state in running), "re-escalation pending"
    assert any(state["cycle"] == 2 for state in states), "a new update cycle"


def test_breached_clocks_carry_their_breach_facts(reference: None, frozen: object) -> None:
    seed(300)

    facts = {(f.case_id, f.clock_kind, f.cycle): f for f in SlaBreach.objects.all()}
    clocks = {
        (c.case_id, c.kind, c.cycle): c
        for c in CaseClock.objects.select_related("policy__calendar")
    }
    breached = {key: c for key, c in clocks.items() if c.breached_at is not None}
    assert breached
    for key, clock in breached.items():
        fact = facts[key]
        assert clock.policy is not None
        assert fact.breached_at == clock.breached_at
        assert (fact.policy_id, fact.policy_name) == (clock.policy_id, str(clock.policy))
        assert fact.calendar_name == clock.policy.calendar.name
        assert (fact.target_seconds, fact.attempt) == (clock.target_seconds, 1)
        assert fact.breached_at <= fact.recorded_at <= NOW
        if clock.breach_handled_at is not None:
            assert fact.recorded_at <= clock.breach_handled_at
    # The other facts are the breaches of update cycles a customer update has ended since.
    earlier = set(facts) - set(breached)
    assert earlier
    for case_id, kind, cycle in earlier:
        assert (kind, cycle) == (ClockKind.UPDATE, 1)
        assert (case_id, kind, 2) in clocks
        assert facts[(case_id, kind, cycle)].recorded_at <= clocks[(case_id, kind, 2)].started_at


def test_the_clocks_the_engine_escalated_are_marked_handled(
    reference: None, frozen: object
) -> None:
    seed(300)

    steps = {
        (r.case_id, r.clock_kind, r.cycle): r.created_at
        for r in EscalationRecord.objects.filter(step="breach")
    }
    events = {
        (e.case_id, e.data["clock"], e.data["cycle"]): e.created_at
        for e in CaseEvent.objects.filter(kind=EventKind.SLA_BREACH, data__step="breach")
    }
    assert steps and events == steps
    facts = set(SlaBreach.objects.values_list("case_id", "clock_kind", "cycle"))
    assert set(steps) <= facts
    handled = {
        (c.case_id, c.kind, c.cycle): c.breach_handled_at
        for c in CaseClock.objects.exclude(breach_handled_at=None)
    }
    assert handled
    assert handled == {key: at for key, at in steps.items() if key in clock_keys()}
    # Nothing the engine still owes a step, except the demo's trouble.
    owing = CaseClock.objects.filter(
        stopped_at=None, paused_at=None, breach_handled_at=None, breached_at__isnull=False
    )
    assert set(owing.values_list("case_id", flat=True)) <= trouble_ids()


def clock_keys() -> set[tuple[int, str, int]]:
    return set(CaseClock.objects.values_list("case_id", "kind", "cycle"))


def test_escalations_are_recorded_as_the_engine_records_them(
    reference: None, frozen: object
) -> None:
    seed(300)

    records = Counter(
        EscalationRecord.objects.filter(
            rule__in=[Rule.TO_SPECIALIST, Rule.TO_NEXT_LEVEL, Rule.TO_MANAGER_ON_DUTY]
        ).values_list("case_id", "step")
    )
    escalations = Counter(
        (e.case_id, e.data["step"]) for e in CaseEvent.objects.filter(kind=EventKind.ESCALATED)
    )
    assert escalations and escalations == records
    breaches = CaseEvent.objects.filter(kind=EventKind.SLA_BREACH).count()
    assert breaches == EscalationRecord.objects.count()
    for clock in CaseClock.objects.exclude(kind=ClockKind.UPDATE):
        steps = EscalationRecord.objects.filter(case_id=clock.case_id, clock_kind=clock.kind)
        assert clock.escalation_count == steps.count()


def test_escalated_cases_sit_where_the_last_move_put_them(reference: None, frozen: object) -> None:
    seed(300)

    moved = 0
    takes = (EventKind.ESCALATED, EventKind.ASSIGNED, EventKind.ACKNOWLEDGED)
    for case in Case.objects.prefetch_related("events"):
        events = [e for e in case.events.all() if e.kind in takes]
        moves = [e for e in events if e.kind != EventKind.ACKNOWLEDGED]
        if not moves:
            continue
        moved += 1
        last = moves[-1].data
        assert [case.team_id, case.level] == [last["team"][1], last["level"][1]]
        owner = events[-1].data["owner"]
        assert case.owner_id == (owner[1] if isinstance(owner, list) else owner)
    assert moved > 20


def test_the_sla_engine_finds_only_the_demo_trouble_due(reference: None, frozen: object) -> None:
    seed(300)

    due = {clock.pk for queryset in due_clocks(now=NOW) for clock in queryset}
    assert due
    cases = set(Case.objects.filter(clocks__pk__in=due).values_list("pk", flat=True))
    assert cases <= trouble_ids()


def test_one_engine_pass_over_the_trouble_leaves_nothing_due(
    reference: None, frozen: object
) -> None:
    seed(300)
    due = sorted({clock.pk for queryset in due_clocks(now=NOW) for clock in queryset})

    steps = clocks_escalate_due(clock_ids=due, clock_now=lambda: NOW)

    assert "breach" in steps
    assert not any(queryset.exists() for queryset in due_clocks(now=NOW))


def test_breaches_before_the_engine_caught_up_are_the_demo_trouble_only(
    reference: None, frozen: object
) -> None:
    seed(300)

    overdue = CaseClock.objects.filter(
        stopped_at=None, paused_at=None, breached_at=None, due_at__lte=NOW
    ).select_related("case__customer")
    assert overdue.exists(), "the SLA engine finds a deadline to act on at its first sweep"
    strategic_s1 = [
        clock.case
        for clock in overdue
        if clock.case.customer.tier == Tier.STRATEGIC and clock.case.severity == Severity.S1
    ]
    assert strategic_s1 and all(case.status in Status.OPEN for case in strategic_s1)
    assert {clock.case_id for clock in overdue} <= trouble_ids()
    warning_soon = CaseClock.objects.filter(
        stopped_at=None, warned_at=None, warn_at__lte=NOW, due_at__gt=NOW
    )
    assert warning_soon.exists()


def test_every_case_has_a_timeline_in_order(reference: None, frozen: object) -> None:
    seed(120)

    per_case = dict(Case.objects.annotate(n=Count("events")).values_list("pk", "n"))
    assert min(per_case.values()) >= 1
    assert sum(per_case.values()) >= 3 * len(per_case)
    for case in Case.objects.prefetch_related("events"):
        events = list(case.events.all())
        assert events[0].kind == EventKind.RAISED and events[0].created_at == case.raised_at
        assert [e.created_at for e in events] == sorted(e.created_at for e in events)
        assert case.updated_at == events[-1].created_at
        kinds = {e.kind for e in events}
        if case.status in Status.FINISHED:
            assert {EventKind.ACKNOWLEDGED, EventKind.RESOLVED} <= kinds
        if case.status == Status.CLOSED:
            assert EventKind.CLOSED in kinds


def test_the_same_seed_gives_the_same_cases(reference: None, frozen: object) -> None:
    def snapshot() -> list[tuple[object, ...]]:
        return list(
            Case.objects.order_by("raised_at", "pk").values_list(
                "title", "severity", "status", "customer_id", "raised_at", "resolved_at"
            )
        )

    seed(60, seed=3)
    first = snapshot()
    Case.objects.all().delete()
    seed(60, seed=3)
    assert snapshot() == first
    Case.objects.all().delete()
    seed(60, seed=4)
    assert snapshot() != first


def test_it_refuses_to_run_without_reference_data(frozen: object) -> None:
    with pytest.raises(ValueError, match="reference data"):
        seed(10)
    assert not Case.objects.exists()


def test_it_refuses_nonsense_options(reference: None) -> None:
    with pytest.raises(ValueError):
        seed(10, open_share=1.5)
    with pytest.raises(ValueError):
        seed(10, span_days=0)


def test_the_seed_demo_command_reports_what_it_created(frozen: object) -> None:
    out = io.StringIO()
    call_command("seed_demo", cases=30, stdout=out)
    call_command("seed_demo", cases=30, stdout=out)

    assert "Demo cases: 30 created" in out.getvalue()
    assert "Demo cases: 0 created" in out.getvalue()
    assert Case.objects.count() == 30


def test_the_engine_escalates_the_strategic_s1_at_its_first_sweep(
    reference: None, frozen: object
) -> None:
    seed(300)
    case = Case.objects.get(
        customer__tier=Tier.STRATEGIC,
        severity=Severity.S1,
        status=Status.NEW,
        raised_at__gt=NOW - timedelta(hours=1),
    )
    clock = case.clocks.get(kind=ClockKind.RESPONSE)

    steps = clock_escalate_due(clock_id=clock.pk, now=NOW)

    assert steps == ["breach"]
    case.refresh_from_db()
    assert case.team.name != "Service desk"
    assert case.events.filter(kind=EventKind.ESCALATED).exists()
