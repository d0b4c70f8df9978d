"""The escalation rules, each step once: warnings, breaches, specialist teams, re-escalation up
to management, and the sweep that finds due clocks.

The ladder (tests/sla/conftest.py): Service desk (L1: alice; lead lena) -> Second line (L2: dave,
dina; lead lars) -> Engineering (L3: ed; lead elsa) -> Management (lead bob). The policy is
Standard S3 on 24x7: respond in 1 h (warn at 45 min), re-escalate after 1 h still breached.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command
from django.test import TestCase

from cases.models import Case, CaseEvent, EventKind, Level, Status
from cases.services import case_acknowledge, case_assign, case_raise, case_set_status
from escalation.roles import Role
from sla.escalation import clock_escalate_due
from sla.models import (
    CaseClock,
    ClockKind,
    EscalationRecord,
    Notification,
    NotificationKind,
    OnDuty,
    SlaPolicy,
)
from sla.soon import redispatch_after
from sla.sweep import sla_sweep
from tests.factories import CaseFactory, UserFactory
from tests.sla.conftest import operator

pytestmark = pytest.mark.django_db

NOON = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
M = timedelta(minutes=1)
H = timedelta(hours=1)


def sweep(offset: timedelta) -> list[str]:
    """Run one sweep at NOON + offset and take the handed-out steps right here."""
    steps: list[str] = []
    now = NOON + offset
    with time_machine.travel(now, tick=False):

        def take(ids: list[int]) -> None:
            for clock_id in ids:
                steps.extend(clock_escalate_due(clock_id=clock_id, now=now))

        # The sweep hands out ids after its commit: run those callbacks (and the mail's).
        with TestCase.captureOnCommitCallbacks(execute=True):
            sla_sweep(now=now, dispatch=take)
    return steps


@pytest.fixture
def case(ladder, alice, bob, customer, policy) -> Case:  # type: ignore[no-untyped-def]
    """A new S3 case of the service desk, owned by alice, raised at noon."""
    with time_machine.travel(NOON, tick=False):
        raised = case_raise(
            raised_by=alice,
            customer=customer,
            title="Checkout fails",
            description="Orders stop at the payment step.",
            severity="S3",
            team=ladder,
        )
        return case_assign(case=raised, by=bob, owner=alice, reason="Yours")


def notified(kind: str | None = None) -> list[tuple[str, str]]:
    rows = Notification.objects.order_by("recipient__username")
    if kind:
        rows = rows.filter(kind=kind)
    return list(rows.values_list("recipient__username", "kind"))


def events(case: Case, *kinds: str) -> list[CaseEvent]:
    return list(CaseEvent.objects.filter(case=case, kind__in=kinds).order_by("id"))


def fresh(case: Case) -> Case:
    return Case.objects.select_related("owner", "team").get(pk=case.pk)


def test_nothing_happens_before_the_warning_time(case) -> None:
    assert sweep(44 * M) == []
    assert not EscalationRecord.objects.exists()


def test_a_warning_notifies_the_owner_and_the_team_lead_once(case) -> None:
    Notification.objects.all().delete()
    assert sweep(46 * M) == ["warning"]
    assert notified() == [("alice", NotificationKind.SLA_WARNING), ("lena", "sla_warning")]
    subject = Notification.objects.filter(recipient__username="alice").get().subject
    assert subject == f"{case.reference} at risk: first response due in 14 min"
    [event] = events(case, EventKind.SLA_WARNING)
    assert event.actor is None
    assert event.data["rule"] == "warn_owner_and_lead" and event.data["clock"] == "response"
    # The next sweep and a redelivered task find nothing left to do.
    assert sweep(50 * M) == []
    response = CaseClock.objects.get(case=case, kind=ClockKind.RESPONSE)
    assert clock_escalate_due(clock_id=response.pk, now=NOON + 50 * M) == []
    assert Notification.objects.count() == 2


def test_warning_mail_goes_out_after_commit_once(case) -> None:
    mail.outbox.clear()
    sweep(46 * M)
    sweep(47 * M)
    assert sorted(m.to[0] for m in mail.outbox) == ["alice@example.com", "lena@example.com"]


def test_a_breach_reassigns_to_the_next_level_member_with_fewest_open_cases(
    case, customer, second_line, erin
) -> None:
    dave = second_line.members.get(username="dave")
    CaseFactory.create_batch(2, owner=dave, customer=customer, status=Status.IN_PROGRESS)
    CaseFactory(owner=dave, customer=customer, status=Status.CLOSED)  # closed ones do not count
    dina = second_line.members.get(username="dina")
    CaseFactory(owner=dina, customer=customer, status=Status.IN_PROGRESS)
    case.watchers.add(erin)
    Notification.objects.all().delete()

    assert sweep(61 * M) == ["breach"]

    case = fresh(case)
    assert (case.owner.username, case.team, case.level) == ("dina", second_line, Level.L2)
    [breach] = events(case, EventKind.SLA_BREACH)
    assert breach.data["rule"] == "breach_to_next_level"
    [escalated] = events(case, EventKind.ESCALATED)
    assert escalated.data["rule"] == "breach_to_next_level"
    assert escalated.data["step"] == "breach" and escalated.actor is None
    assert notified() == [
        ("alice", NotificationKind.SLA_BREACH),  # the old owner
        ("dina", NotificationKind.ESCALATED),  # the new owner, from case_assign
        ("erin", NotificationKind.SLA_BREACH),  # a watcher
        ("lars", NotificationKind.SLA_BREACH),  # the new team's lead
        ("lena", NotificationKind.SLA_BREACH),  # the old team's lead
    ]
    response = CaseClock.objects.get(case=case, kind=ClockKind.RESPONSE)
    assert response.breached_at == NOON + H  # the breach moment is the deadline
    assert sweep(62 * M) == []
    assert Notification.objects.count() == 5


def test_a_breach_goes_to_the_categorys_specialist_team(case, network, network_specialists) -> None:
    Case.objects.filter(pk=case.pk).update(category=network)
    assert sweep(61 * M) == ["breach"]
    case = fresh(case)
    assert (case.owner.username, case.team, case.level) == ("nick", network_specialists, "L2")
    [escalated] = events(case, EventKind.ESCALATED)
    assert escalated.data["rule"] == "breach_to_specialist_team"


def test_a_case_already_with_the_specialists_climbs_their_ladder(
    case, network, network_specialists, engineering
) -> None:
    network_specialists.escalates_to = engineering
    network_specialists.save()
    nick = network_specialists.members.get()
    Case.objects.filter(pk=case.pk).update(
        category=network, team=network_specialists, owner=nick, level=Level.L2
    )
    sweep(61 * M)
    case = fresh(case)
    assert (case.owner.username, case.team) == ("ed", engineering)


def test_still_breached_it_escalates_again_up_to_management(case, engineering, management) -> None:
    assert sweep(61 * M) == ["breach"]
    assert fresh(case).team.name == "Second line"
    assert sweep(2 * H) == []  # one hour after the escalation at 61 min is 2 h 1 min
    assert sweep(2 * H + 2 * M) == ["reescalation-1"]
    case = fresh(case)
    assert (case.owner.username, case.team, case.level) == ("ed", engineering, Level.L3)
    assert sweep(3 * H + 3 * M) == ["reescalation-2"]
    case = fresh(case)
    assert (case.owner.username, case.team, case.level) == ("bob", management, "MGMT")
    rules = [e.data["rule"] for e in events(case, EventKind.ESCALATED) if "rule" in e.data]
    assert rules == ["breach_to_next_level", "breach_to_next_level", "breach_to_manager_on_duty"]
    # Management is the top: no further step, however long it stays breached.
    assert sweep(5 * H + 59 * M) == []
    steps = list(EscalationRecord.objects.order_by("id").values_list("step", flat=True))
    assert steps == ["breach", "reescalation-1", "reescalation-2"]


def test_without_a_reescalation_time_it_escalates_once(case) -> None:
    SlaPolicy.objects.update(reescalate_minutes=None)
    assert sweep(61 * M) == ["breach"]
    assert sweep(5 * H) == []


def test_the_manager_on_duty_takes_precedence_over_the_management_lead(
    case, engineering, management
) -> None:
    mia = UserFactory(username="mia", role=Role.MANAGER)
    OnDuty.objects.create(user=mia, starts_at=NOON, ends_at=NOON + 12 * H)
    OnDuty.objects.create(user=mia, starts_at=NOON - 12 * H, ends_at=NOON - H)  # over
    Case.objects.filter(pk=case.pk).update(team=engineering, level=Level.L3, owner=None)
    sweep(61 * M)
    case = fresh(case)
    assert (case.owner.username, case.team, case.level) == ("mia", management, "MGMT")
    [escalated] = events(case, EventKind.ESCALATED)
    assert escalated.data["rule"] == "breach_to_manager_on_duty"


def test_a_shift_of_someone_who_is_not_a_manager_does_not_count(case, engineering, management):  # type: ignore[no-untyped-def]
    OnDuty.objects.create(user=operator("olga"), starts_at=NOON, ends_at=NOON + 12 * H)
    Case.objects.filter(pk=case.pk).update(team=engineering, level=Level.L3, owner=None)
    sweep(61 * M)
    assert fresh(case).owner.username == "bob"


def test_a_breach_at_management_level_notifies_without_reassigning(case, management, erin) -> None:
    Case.objects.filter(pk=case.pk).update(team=management, level=Level.MANAGEMENT)
    case.watchers.add(erin)
    Notification.objects.all().delete()
    assert sweep(61 * M) == ["breach"]
    case = fresh(case)
    assert (case.owner.username, case.team) == ("alice", management)
    assert not events(case, EventKind.ESCALATED)
    [breach] = events(case, EventKind.SLA_BREACH)
    assert breach.data["rule"] == "breach_at_management"
    assert sorted(u for u, _ in notified()) == ["alice", "bob", "erin"]


def test_with_nobody_to_escalate_to_the_breach_is_still_recorded_and_told(
    alice, bob, customer, policy, service_desk
) -> None:
    with time_machine.travel(NOON, tick=False):
        case = case_raise(
            raised_by=alice, customer=customer, title="T", description="D", severity="S3"
        )
    assert sweep(61 * M) == ["breach"]
    [breach] = events(case, EventKind.SLA_BREACH)
    assert breach.data["rule"] == "breach_without_target"


def test_a_team_without_eligible_members_takes_the_case_unassigned(case, second_line) -> None:
    second_line.members.clear()
    sweep(61 * M)
    case = fresh(case)
    assert (case.owner, case.team) == (None, second_line)


def test_an_overdue_customer_update_notifies_without_reassigning(case, bob) -> None:
    with time_machine.travel(NOON + 10 * M, tick=False):
        case_acknowledge(case=case, by=bob)
    Notification.objects.all().delete()
    steps = sweep(2 * H + 11 * M)  # the update was due at 2 h 10 min
    assert steps == ["breach"]
    case = fresh(case)
    assert case.team.name == "Service desk"
    [breach] = events(case, EventKind.SLA_BREACH)
    assert (breach.data["rule"], breach.data["clock"]) == ("update_overdue", "update")
    assert sorted(u for u, _ in notified()) == ["alice", "lena"]
    update = CaseClock.objects.get(case=case, kind=ClockKind.UPDATE)
    assert update.breached_at == update.due_at and update.dispatched_at is None
    assert sweep(2 * H + 12 * M) == []


def test_a_paused_clock_is_neither_warned_nor_breached(case, bob) -> None:
    with time_machine.travel(NOON + 10 * M, tick=False):
        case = case_acknowledge(case=case, by=bob)
        case_set_status(case=case, by=bob, status=Status.WAITING, reason="Logs")
    assert sweep(20 * H) == []


def test_a_stopped_or_deleted_clock_is_skipped_quietly(case, bob) -> None:
    response = CaseClock.objects.get(case=case, kind=ClockKind.RESPONSE)
    with time_machine.travel(NOON + 30 * M, tick=False):
        case_acknowledge(case=case, by=bob)
    assert clock_escalate_due(clock_id=response.pk, now=NOON + 2 * H) == []
    assert clock_escalate_due(clock_id=10**9, now=NOON) == []


def test_a_warning_due_with_its_breach_only_breaches(case) -> None:
    # After an outage both the warning and the breach of the response clock are due.
    Notification.objects.all().delete()
    assert sweep(90 * M) == ["breach"]
    kinds = sorted(
        EscalationRecord.objects.filter(clock_kind="response").values_list("step", flat=True)
    )
    assert kinds == ["breach"]
    assert CaseClock.objects.get(case=case, kind="response").warned_at == NOON + 90 * M


def test_a_step_recorded_once_is_never_taken_again_even_if_its_flag_is_reset(case) -> None:
    sweep(61 * M)
    owner = fresh(case).owner
    CaseClock.objects.filter(case=case, kind=ClockKind.RESPONSE).update(breach_handled_at=None)
    assert sweep(62 * M) == []
    assert fresh(case).owner == owner
    assert CaseClock.objects.get(case=case, kind="response").breached_at == NOON + H


def test_the_sweep_pages_through_every_due_clock(ladder, alice, customer, policy) -> None:
    with time_machine.travel(NOON, tick=False):
        for n in range(7):
            case_raise(
                raised_by=alice, customer=customer, title=f"T{n}", description="D", severity="S3"
            )
    handed: list[list[int]] = []
    with TestCase.captureOnCommitCallbacks(execute=True):
        result = sla_sweep(now=NOON + 61 * M, dispatch=handed.append, page_size=3, batch_size=2)
    ids = [pk for batch in handed for pk in batch]
    # Each case: response warning+breach (one clock), resolution not yet warned (6 h).
    assert len(ids) == len(set(ids)) == 7
    assert (result.dispatched, result.pages, result.skipped) == (7, 3, False)
    assert max(len(batch) for batch in handed) == 2


def test_a_handed_out_clock_is_handed_out_again_only_when_its_task_must_be_lost(case) -> None:
    handed: list[list[int]] = []
    with TestCase.captureOnCommitCallbacks(execute=True):
        sla_sweep(now=NOON + 61 * M, dispatch=handed.append)
        sla_sweep(now=NOON + 62 * M, dispatch=handed.append)
    assert len(handed) == 1
    with TestCase.captureOnCommitCallbacks(execute=True):
        sla_sweep(now=NOON + 62 * M + redispatch_after(), dispatch=handed.append)
    assert len(handed) == 2


def test_the_sweep_reads_a_fixed_number_of_queries_however_many_clocks_are_not_due(
    ladder, alice, customer, policy, django_assert_max_num_queries
) -> None:
    with time_machine.travel(NOON, tick=False):
        for n in range(20):
            case_raise(
                raised_by=alice, customer=customer, title=f"T{n}", description="D", severity="S3"
            )
    # The transaction, the advisory lock and one read per due set (sla.sweep.due_clocks: five
    # with the ladder's climbs).
    with django_assert_max_num_queries(8):
        result = sla_sweep(now=NOON + 10 * M, dispatch=lambda ids: None)
    assert result.dispatched == 0


def test_the_sweep_task_hands_due_clocks_to_the_escalation_task(case) -> None:
    from escalation.celery import app
    from sla import tasks

    app.conf.task_always_eager = True
    try:
        with time_machine.travel(NOON + 61 * M, tick=False):
            with TestCase.captureOnCommitCallbacks(execute=True):
                tasks.sla_sweep()
    finally:
        app.conf.task_always_eager = False
    assert fresh(case).team.name == "Second line"


@pytest.mark.django_db(transaction=True)
def test_the_command_runs_one_sweep_by_hand(case, capsys) -> None:
    with time_machine.travel(NOON + 61 * M, tick=False):
        call_command("sla_sweep", "--inline")
    out = capsys.readouterr().out
    assert "1 due clocks taken here" in out and "steps taken: breach" in out
    assert fresh(case).team.name == "Second line"


def test_a_step_that_fails_is_logged_and_does_not_hold_up_the_rest_of_the_batch(
    ladder, alice, bob, customer, policy, monkeypatch, caplog
) -> None:
    from sla import escalation

    with time_machine.travel(NOON, tick=False):
        cases = [
            case_raise(
                raised_by=alice, customer=customer, title=f"T{n}", description="D", severity="S3"
            )
            for n in range(3)
        ]
    broken = cases[1]
    real = escalation.escalation_target

    def target(*, case, now, lookups):  # type: ignore[no-untyped-def]
        if case.pk == broken.pk:
            raise ValueError("a broken team setup")
        return real(case=case, now=now, lookups=lookups)

    monkeypatch.setattr(escalation, "escalation_target", target)
    clock_ids = list(
        CaseClock.objects.filter(kind="response", case__in=cases).values_list("pk", flat=True)
    )
    steps = escalation.clocks_escalate_due(clock_ids=clock_ids, clock_now=lambda: NOON + 61 * M)
    assert steps == ["breach", "breach"]
    assert "SLA step on clock" in caplog.text and "a broken team setup" in caplog.text
    assert set(EscalationRecord.objects.values_list("case_id", flat=True)) == {
        cases[0].pk,
        cases[2].pk,
    }
    # The broken one left no trace: the next sweep hands it out again.
    assert CaseClock.objects.get(case=broken, kind="response").breached_at is None


def test_an_escalation_task_stops_retrying_before_the_sweep_hands_its_clocks_out_again() -> None:
    from sla.tasks import escalate_retry_window

    # Otherwise, after a database outage, the retries and the redispatch hand out the same
    # clocks twice over (harmless, the records are unique, but unbounded work).
    assert escalate_retry_window() < redispatch_after().total_seconds() / 2
