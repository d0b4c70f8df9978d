"""The look-ahead (sla.soon): which clocks get a countdown task and when, grouped by slot, with
ETAs of one sweep period at most; a task woken before its moment (the clock moved since) does
nothing; at its moment it takes the step, once; a clock write that brings a step near sends its
task after the commit, and one that does not sends nothing."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.conf import settings

from cases.models import Case, Severity
from cases.services import case_assign, case_change_severity, case_raise
from sla import soon
from sla.models import CaseClock, EscalationRecord
from sla.soon import SLOT, Wake, slot_end, wakes_for
from sla.sweep import sla_sweep
from sla.tasks import clocks_soon
from tests.factories import CaseFactory
from tests.sla.factories import SlaPolicyFactory, clock_stored

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)  # on a slot boundary
SECOND = timedelta(seconds=1)
LONG_AGO = -3600.0


@pytest.fixture
def now() -> Iterator[datetime]:
    with time_machine.travel(NOW, tick=False):
        yield NOW


@pytest.fixture
def sent(monkeypatch: pytest.MonkeyPatch) -> list[Wake]:
    """The countdown tasks sent, in order (what would have gone to the broker)."""
    wakes: list[Wake] = []
    monkeypatch.setattr(soon, "wake_send", lambda wake, *, now: wakes.append(wake))
    return wakes


def clock(due: float, *, warn: float = LONG_AGO, warned: bool = True, **kwargs: bool) -> CaseClock:
    """A running clock of a new case, due ``due`` seconds from now, warning at ``warn`` (taken
    already unless ``warned`` is False)."""
    stored = clock_stored(CaseFactory(), due_in=due * SECOND, warn_in=warn * SECOND, **kwargs)
    if warned:
        stored.warned_at = stored.warn_at
        stored.save(update_fields=["warned_at"])
    return stored


def sweep_wakes(now: datetime, capture) -> tuple[list[Wake], list[int]]:  # type: ignore[no-untyped-def]
    """What one sweep at ``now`` sends: its countdown tasks and the due clocks it hands out."""
    wakes: list[Wake] = []
    handed: list[int] = []
    with capture(execute=True):
        sla_sweep(now=now, dispatch=handed.extend, wake=wakes.extend)
    return wakes, handed


def in_slots(wakes: list[Wake]) -> list[tuple[float, set[int]]]:
    return [((w.at - NOW).total_seconds(), set(w.clock_ids)) for w in wakes]


def test_a_sweep_sends_a_countdown_per_slot_for_the_steps_before_the_next_sweep(
    now, django_capture_on_commit_callbacks
) -> None:
    assert settings.SLA_SWEEP_SECONDS == 30  # the default: the window is 31 s
    first, same_slot = clock(10.05), clock(10.15)
    warning = clock(40, warn=20.3, warned=False)
    at_the_edge, past_it = clock(31), clock(31.1)
    overdue = clock(-1)

    wakes, handed = sweep_wakes(now, django_capture_on_commit_callbacks)

    assert in_slots(wakes) == [
        (10.2, {first.pk, same_slot.pk}),
        (20.4, {warning.pk}),
        (31.0, {at_the_edge.pk}),
    ]
    assert past_it.pk not in {pk for w in wakes for pk in w.clock_ids}
    assert handed == [overdue.pk]  # due now: the sweep's own, as before


def test_paused_stopped_and_handled_clocks_get_none_and_a_reescalation_gets_one(
    now, django_capture_on_commit_callbacks
) -> None:
    clock(5, paused=True)
    clock(5, stopped=True)
    handled = clock(-600)
    handled.breach_handled_at = NOW - 600 * SECOND
    handled.breached_at = handled.due_at
    handled.save()
    again = clock(-600)
    again.breach_handled_at = NOW - 600 * SECOND
    again.breached_at = again.due_at
    again.reescalate_at = NOW + 7 * SECOND
    again.save()

    wakes, handed = sweep_wakes(now, django_capture_on_commit_callbacks)

    assert in_slots(wakes) == [(7.0, {again.pk})]
    assert handed == []
    # The in-memory reading (for clock writes) says the same of each clock.
    window = NOW + soon.look_ahead()
    near = {
        c.pk
        for c in CaseClock.objects.all()
        if any(NOW < m <= window for m in soon.owed_moments(c))
    }
    assert near == {again.pk}


def test_slots_end_on_their_boundary_and_a_full_slot_takes_several_tasks() -> None:
    assert slot_end(NOW) == NOW
    assert slot_end(NOW + timedelta(microseconds=1)) == NOW + SLOT
    assert slot_end(NOW + SLOT) == NOW + SLOT
    wakes = wakes_for([(pk, NOW + SECOND) for pk in range(250)], batch_size=100)
    assert [len(w.clock_ids) for w in wakes] == [100, 100, 50]
    assert {w.at for w in wakes} == {NOW + SECOND}
    # One clock with two steps in one slot is looked at once.
    assert wakes_for([(1, NOW + SECOND), (1, NOW + SECOND)]) == [Wake(NOW + SECOND, (1,))]


def test_a_countdown_is_one_period_and_the_margin_at_most_and_expires_a_period_later() -> None:
    period = timedelta(seconds=settings.SLA_SWEEP_SECONDS)
    latest = Wake(at=NOW + soon.look_ahead(), clock_ids=(1,))
    options = soon.wake_options(latest, now=NOW)
    assert options["eta"] - NOW == period + soon.MARGIN <= timedelta(seconds=31)
    assert options["expires"] == options["eta"] + period
    # A moment that has come already goes at once.
    come = soon.wake_options(Wake(at=NOW - SECOND, clock_ids=(1,)), now=NOW)
    assert come == {"eta": None, "expires": NOW + period}


def raise_case(*, at: datetime, severity: str, people) -> Case:  # type: ignore[no-untyped-def]
    """alice's case at the desk, raised at ``at``."""
    alice, bob, customer = people
    with time_machine.travel(at, tick=False):
        case = case_raise(
            raised_by=alice, customer=customer, title="T", description="D", severity=severity
        )
        return case_assign(case=case, by=bob, owner=alice, reason="Yours")


@pytest.fixture
def people(ladder, alice, bob, customer, policy):  # type: ignore[no-untyped-def]
    return alice, bob, customer


@pytest.fixture
def escalating_case(people) -> Case:  # type: ignore[no-untyped-def]
    """alice's S3 case whose one-hour first response falls due 10 s after NOW."""
    return raise_case(at=NOW - timedelta(minutes=60) + 10 * SECOND, severity="S3", people=people)


def response_clock(case: Case) -> CaseClock:
    return CaseClock.objects.get(case=case, kind="response")


def test_a_task_woken_before_its_moment_because_the_clock_moved_does_nothing(
    escalating_case, django_assert_num_queries
) -> None:
    response = response_clock(escalating_case)
    # Its warning taken, its deadline moved a minute on since the countdown was sent.
    CaseClock.objects.filter(pk=response.pk).update(
        due_at=NOW + 60 * SECOND, warned_at=response.warn_at
    )
    before = CaseClock.objects.filter(pk=response.pk).values().get()

    with time_machine.travel(NOW + 10.2 * SECOND, tick=False):
        with django_assert_num_queries(1):  # which of its clocks are due: none
            clocks_soon([response.pk])

    assert not EscalationRecord.objects.exists()
    assert CaseClock.objects.filter(pk=response.pk).values().get() == before


def test_a_task_at_its_moment_takes_the_step_and_a_second_delivery_does_nothing(
    escalating_case,
) -> None:
    response = response_clock(escalating_case)
    with time_machine.travel(NOW + 10.2 * SECOND, tick=False):
        clocks_soon([response.pk])
        clocks_soon([response.pk])
    records = list(EscalationRecord.objects.values_list("case_id", "step"))
    assert records == [(escalating_case.pk, "breach")]
    escalated = Case.objects.select_related("team").get(pk=escalating_case.pk)
    assert escalated.team.name == "Second line"


def test_a_severity_change_that_brings_the_deadline_near_sends_its_task_after_commit(
    people, bob, sent, django_capture_on_commit_callbacks
) -> None:
    SlaPolicyFactory(severity=Severity.S2, response_minutes=120, resolution_minutes=480)
    case = raise_case(at=NOW - timedelta(minutes=60) + 10 * SECOND, severity="S2", people=people)
    with time_machine.travel(NOW, tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            case_change_severity(case=case, by=bob, severity="S3", reason="Narrower")
    response = response_clock(case)
    # The one-hour target from the same start: due in 10 s, and its warning has come.
    assert (response.due_at, response.warned_at) == (NOW + 10 * SECOND, None)
    assert response.warn_at < NOW
    assert [(w.at, w.clock_ids) for w in sent] == [
        (NOW, (response.pk,)),
        (NOW + 10 * SECOND, (response.pk,)),
    ]
    assert soon.wake_options(sent[0], now=NOW)["eta"] is None


def test_a_deadline_a_change_moves_into_the_past_is_handed_out_at_once(
    people, bob, sent, django_capture_on_commit_callbacks
) -> None:
    SlaPolicyFactory(severity=Severity.S2, response_minutes=30, resolution_minutes=240)
    case = raise_case(at=NOW - timedelta(minutes=40), severity="S3", people=people)
    with time_machine.travel(NOW, tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            case_change_severity(case=case, by=bob, severity="S2", reason="Wider")
    response = response_clock(case)
    assert response.due_at == NOW - timedelta(minutes=10)
    assert response.breach_handled_at is None
    assert [w.clock_ids for w in sent] == [(response.pk,)]
    assert soon.wake_options(sent[0], now=NOW)["eta"] is None
    assert soon.due_now(clock_ids=[response.pk], now=NOW) == [response.pk]


def test_a_clock_write_with_no_step_near_sends_nothing_and_registers_nothing(
    alice, customer, policy, sent, django_capture_on_commit_callbacks
) -> None:
    with time_machine.travel(NOW, tick=False):
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            case_raise(
                raised_by=alice, customer=customer, title="T", description="D", severity="S3"
            )
    assert sent == []
    assert not any("_written_send" in repr(callback) for callback in callbacks)


def test_a_countdown_leaves_a_clock_a_sweep_handed_out_to_that_sweeps_task(now) -> None:
    handed, lost = clock(-1), clock(-1)
    CaseClock.objects.filter(pk=handed.pk).update(dispatched_at=NOW - SECOND)
    CaseClock.objects.filter(pk=lost.pk).update(
        dispatched_at=NOW - soon.redispatch_after() - SECOND
    )
    # The first is its sweep task's to take; the second's task must be lost: the countdown
    # takes it, as the next sweep would hand it out again.
    assert soon.due_now(clock_ids=[handed.pk, lost.pk], now=NOW) == [lost.pk]
    clocks_soon([handed.pk, lost.pk])
    assert list(EscalationRecord.objects.values_list("case_id", flat=True)) == [lost.case_id]
