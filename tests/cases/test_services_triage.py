"""Assigning, severity, notes, links, watchers and bulk triage."""

from __future__ import annotations

import pytest
import time_machine
from django.core.exceptions import PermissionDenied

from cases.models import CaseEvent, CaseLink, EventKind, Level, LinkKind, Severity, Status
from cases.services import (
    case_add_note,
    case_assign,
    case_change_severity,
    case_link,
    case_set_watching,
    case_unlink,
    cases_bulk_update,
)
from escalation.errors import DomainError
from escalation.roles import Role
from sla.models import Notification, NotificationKind
from tests.cases.factories import case_in
from tests.factories import TeamFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_assign_gives_the_case_to_a_team_member_and_notifies_them(
    bob, alice, service_desk, django_capture_on_commit_callbacks, mailoutbox
) -> None:
    case = case_in(Status.ACKNOWLEDGED, team=service_desk)
    with django_capture_on_commit_callbacks(execute=True):
        case = case_assign(case=case, by=bob, owner=alice, reason="She knows the customer")
    case.refresh_from_db()
    assert case.owner == alice
    event = CaseEvent.objects.get(case=case)
    assert event.kind == EventKind.ASSIGNED
    assert event.reason == "She knows the customer"
    assert event.from_value == "unassigned (Service desk, L1)"
    assert event.to_value == "Alice (Service desk, L1)"
    assert event.data["owner"] == [None, alice.pk]
    note = Notification.objects.get(recipient=alice)
    assert note.kind == NotificationKind.ASSIGNED
    assert len(mailoutbox) == 1
    assert case.reference in mailoutbox[0].subject


def test_assign_requires_a_reason(bob, alice, service_desk) -> None:
    case = case_in(Status.ACKNOWLEDGED, team=service_desk)
    with pytest.raises(DomainError, match="Reason is required"):
        case_assign(case=case, by=bob, owner=alice, reason="")
    case.refresh_from_db()
    assert case.owner is None


def test_assign_refuses_an_operator_of_another_team(bob, charlie, service_desk) -> None:
    case = case_in(Status.ACKNOWLEDGED, team=service_desk)
    with pytest.raises(DomainError, match="Charlie is not a member of Service desk") as refused:
        case_assign(case=case, by=bob, owner=charlie, reason="Try")
    assert refused.value.field == "owner"
    assert not Notification.objects.exists()


def test_assign_refuses_people_who_cannot_hold_cases(bob, erin, nora, service_desk) -> None:
    case = case_in(Status.ACKNOWLEDGED, team=service_desk)
    for person in (erin, nora):
        with pytest.raises(DomainError, match="cannot hold cases"):
            case_assign(case=case, by=bob, owner=person, reason="Try")


def test_reassigning_to_another_team_takes_its_level_and_drops_an_outside_owner(
    bob, alice, service_desk
) -> None:
    specialists = TeamFactory(name="Payments L2", level=Level.L2)
    case = case_in(Status.IN_PROGRESS, team=service_desk, owner=alice)
    case = case_assign(case=case, by=bob, team=specialists, reason="Needs payments expertise")
    case.refresh_from_db()
    assert (case.team, case.level, case.owner) == (specialists, Level.L2, None)


def test_manager_may_take_a_case_of_any_team(bob, service_desk) -> None:
    case = case_in(Status.NEW, team=service_desk)
    case = case_assign(case=case, by=bob, owner=bob, reason="Taking it")
    assert case.owner == bob
    # Assigning to yourself notifies nobody.
    assert not Notification.objects.exists()


def test_assign_refuses_a_change_that_changes_nothing(bob, alice, service_desk) -> None:
    case = case_in(Status.IN_PROGRESS, team=service_desk, owner=alice)
    with pytest.raises(DomainError, match="already assigned that way"):
        case_assign(case=case, by=bob, owner=alice, reason="Again")


def test_assign_refuses_a_closed_case(bob, alice, service_desk) -> None:
    with pytest.raises(DomainError, match="is closed"):
        case_assign(case=case_in(Status.CLOSED), by=bob, owner=alice, reason="x")


def test_the_sla_engine_escalates_through_assign_with_its_own_event_kind(service_desk) -> None:
    lead = UserFactory(username="lena", role=Role.OPERATOR)
    level2 = TeamFactory(name="Level 2", level=Level.L2)
    level2.members.add(lead)
    case = case_in(Status.IN_PROGRESS, team=service_desk)
    case_assign(
        case=case,
        by=None,
        owner=lead,
        team=level2,
        reason="Resolution SLA breached",
        event_kind=EventKind.ESCALATED,
        data={"rule": "breach"},
    )
    event = CaseEvent.objects.get(case=case)
    assert (event.kind, event.actor, event.data["rule"]) == (EventKind.ESCALATED, None, "breach")
    assert Notification.objects.get(recipient=lead).kind == NotificationKind.ESCALATED


def test_operator_of_another_team_cannot_assign(alice, charlie, service_desk) -> None:
    case = case_in(Status.NEW, team=service_desk, raised_by=charlie)
    with pytest.raises(PermissionDenied):
        case_assign(case=case, by=charlie, owner=alice, reason="Yours")


def test_change_severity_records_from_to_and_reason(bob) -> None:
    case = case_in(Status.IN_PROGRESS, severity=Severity.S3)
    case = case_change_severity(case=case, by=bob, severity=Severity.S1, reason="Site down")
    event = CaseEvent.objects.get(case=case)
    assert (event.kind, event.from_value, event.to_value, event.reason) == (
        EventKind.SEVERITY,
        "S3",
        "S1",
        "Site down",
    )


@pytest.mark.parametrize(
    ("status", "severity", "reason", "why"),
    [
        (Status.IN_PROGRESS, Severity.S3, "x", "already S3"),
        (Status.IN_PROGRESS, "S9", "x", "not a severity"),
        (Status.IN_PROGRESS, Severity.S1, "", "Reason is required"),
        (Status.RESOLVED, Severity.S1, "x", "only an open case"),
    ],
)
def test_change_severity_refusals(bob, status, severity, reason, why) -> None:
    case = case_in(status, severity=Severity.S3)
    with pytest.raises(DomainError, match=why):
        case_change_severity(case=case, by=bob, severity=severity, reason=reason)
    case.refresh_from_db()
    assert case.severity == Severity.S3


@time_machine.travel("2026-03-02 09:30:00+00:00", tick=False)
def test_customer_update_is_a_response_and_restarts_the_update_clock(alice, service_desk) -> None:
    case = case_in(Status.IN_PROGRESS, team=service_desk)
    event = case_add_note(case=case, by=alice, body="We are on it", customer_facing=True)
    case.refresh_from_db()
    assert event.kind == EventKind.UPDATE
    assert case.last_customer_update_at.isoformat() == "2026-03-02T09:30:00+00:00"
    assert case.first_response_at == case.last_customer_update_at


def test_internal_note_changes_no_clock(alice, service_desk) -> None:
    case = case_in(Status.IN_PROGRESS, team=service_desk)
    event = case_add_note(case=case, by=alice, body="<script>alert(1)</script>")
    case.refresh_from_db()
    assert event.kind == EventKind.NOTE
    assert event.body == "<script>alert(1)</script>"  # stored as typed; pages escape it
    assert case.last_customer_update_at is None


def test_note_refusals(alice, charlie, erin, service_desk) -> None:
    case = case_in(Status.IN_PROGRESS, team=service_desk)
    with pytest.raises(DomainError, match="The note is required"):
        case_add_note(case=case, by=alice, body="  ")
    with pytest.raises(DomainError, match="too long"):
        case_add_note(case=case, by=alice, body="x" * 20_001)
    with pytest.raises(DomainError, match="control character"):
        case_add_note(case=case, by=alice, body="a\x00b")
    for outsider in (charlie, erin):
        with pytest.raises(PermissionDenied):
            case_add_note(case=case, by=outsider, body="Hello")
    with pytest.raises(DomainError, match="is closed"):
        closed = case_in(Status.CLOSED, team=service_desk)
        case_add_note(case=closed, by=alice, body="Hi", customer_facing=True)
    assert not CaseEvent.objects.exists()


def test_link_writes_an_event_on_both_cases_and_refuses_duplicates(bob) -> None:
    case, original = case_in(Status.IN_PROGRESS), case_in(Status.IN_PROGRESS)
    link = case_link(case=case, by=bob, target=original, kind=LinkKind.DUPLICATE_OF)
    assert (link.source, link.target) == (case, original)
    assert CaseEvent.objects.filter(kind=EventKind.LINKED).count() == 2
    assert CaseEvent.objects.get(case=case).to_value == f"duplicate of {original.reference}"
    with pytest.raises(DomainError, match="already linked"):
        case_link(case=case, by=bob, target=original, kind=LinkKind.DUPLICATE_OF)
    with pytest.raises(DomainError, match="itself"):
        case_link(case=case, by=bob, target=case, kind=LinkKind.RELATED)
    with pytest.raises(DomainError, match="not a kind of link"):
        case_link(case=case, by=bob, target=original, kind="cousin_of")


def test_unlink_removes_the_link_and_keeps_the_history(bob) -> None:
    case, other = case_in(Status.IN_PROGRESS), case_in(Status.IN_PROGRESS)
    link = case_link(case=case, by=bob, target=other, kind=LinkKind.RELATED)
    case_unlink(case=case, by=bob, link=link, reason="Not related after all")
    assert not CaseLink.objects.exists()
    assert CaseEvent.objects.filter(kind=EventKind.LINKED).count() == 4


def test_watching_is_for_people_who_can_see_the_case(alice, charlie, bob, service_desk) -> None:
    case = case_in(Status.IN_PROGRESS, team=service_desk)
    case_set_watching(case=case, by=alice, user=alice, watching=True)
    case_set_watching(case=case, by=alice, user=alice, watching=True)  # no second event
    assert list(case.watchers.all()) == [alice]
    assert CaseEvent.objects.filter(kind=EventKind.WATCHER).count() == 1
    with pytest.raises(DomainError, match="cannot see"):
        case_set_watching(case=case, by=charlie, user=charlie, watching=True)
    with pytest.raises(PermissionDenied):
        case_set_watching(case=case, by=alice, user=bob, watching=True)
    case_set_watching(case=case, by=bob, user=alice, watching=False)
    assert not case.watchers.exists()


def test_bulk_update_changes_each_case_it_may_and_reports_the_rest(bob, alice, service_desk):  # type: ignore[no-untyped-def]
    ready = case_in(Status.ACKNOWLEDGED, team=service_desk)
    new = case_in(Status.NEW, team=service_desk)
    closed = case_in(Status.CLOSED, team=service_desk)
    result = cases_bulk_update(
        case_ids=[ready.pk, new.pk, closed.pk, 999_999],
        by=bob,
        status=Status.IN_PROGRESS,
        reason="Morning triage",
    )
    assert result.updated == [ready.reference]
    assert "acknowledge it before" in result.refused[new.reference]
    assert "closed" in result.refused[closed.reference]
    assert result.refused["#999999"] == "No such case."
    new.refresh_from_db()
    assert new.status == Status.NEW
    assert CaseEvent.objects.filter(case=new).count() == 0


def test_bulk_update_refused_case_keeps_its_earlier_changes_rolled_back(bob, alice, service_desk):  # type: ignore[no-untyped-def]
    new = case_in(Status.NEW, team=service_desk)
    result = cases_bulk_update(
        case_ids=[new.pk], by=bob, owner=alice, status=Status.WAITING, reason="Triage"
    )
    assert new.reference in result.refused
    new.refresh_from_db()
    # The assignment made before the refused status change is undone with it.
    assert new.owner is None
    assert not CaseEvent.objects.filter(case=new).exists()


def test_bulk_update_is_for_managers(alice) -> None:
    with pytest.raises(PermissionDenied):
        cases_bulk_update(case_ids=[1], by=alice, status=Status.WAITING, reason="x")


@pytest.mark.django_db
def test_executives_cannot_watch_a_case(alice, erin, service_desk) -> None:
    case = case_in(service_desk, raised_by=alice)
    with pytest.raises(PermissionDenied):
        case_set_watching(case=case, by=erin, user=erin, watching=True)
    assert not case.watchers.exists()
