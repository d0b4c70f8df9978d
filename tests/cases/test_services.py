"""The status lifecycle: each allowed move, each refusal with its reason, and the timeline."""

from __future__ import annotations

import pytest
import time_machine
from django.core.exceptions import PermissionDenied

from cases.events import CaseChanged, CaseRaised, CaseResolved, subscribe
from cases.models import CaseEvent, EventKind, Status
from cases.services import (
    case_acknowledge,
    case_close,
    case_reopen,
    case_resolve,
    case_set_root_cause,
    case_set_status,
)
from escalation.errors import DomainError
from tests.cases.factories import case_in, root_cause

pytestmark = pytest.mark.django_db

NOON = "2026-03-02 12:00:00+00:00"


def kinds(case) -> list[str]:  # type: ignore[no-untyped-def]
    return list(CaseEvent.objects.filter(case=case).values_list("kind", flat=True))


@time_machine.travel(NOON, tick=False)
def test_acknowledge_moves_new_case_sets_first_response_and_takes_ownership(bob, alice) -> None:
    case = case_in(Status.NEW, raised_by=alice)
    case = case_acknowledge(case=case, by=bob)
    case.refresh_from_db()
    assert case.status == Status.ACKNOWLEDGED
    assert case.owner == bob
    assert case.first_response_at.isoformat() == "2026-03-02T12:00:00+00:00"
    event = CaseEvent.objects.get(case=case)
    assert (event.kind, event.actor, event.from_value, event.to_value) == (
        EventKind.ACKNOWLEDGED,
        bob,
        "new",
        "acknowledged",
    )


def test_acknowledge_keeps_an_existing_owner(bob, alice) -> None:
    case = case_in(Status.NEW, raised_by=alice, owner=alice)
    case = case_acknowledge(case=case, by=bob)
    assert case.owner == alice


def test_acknowledge_refuses_a_case_that_is_not_new_and_says_why(bob) -> None:
    case = case_in(Status.IN_PROGRESS)
    with pytest.raises(DomainError, match="is in progress: only a new case can be acknowledged"):
        case_acknowledge(case=case, by=bob)
    assert kinds(case) == []


def test_operator_cannot_acknowledge(alice) -> None:
    case = case_in(Status.NEW, raised_by=alice)
    with pytest.raises(PermissionDenied):
        case_acknowledge(case=case, by=alice)
    case.refresh_from_db()
    assert case.status == Status.NEW


def test_executive_changes_nothing(erin) -> None:
    case = case_in(Status.IN_PROGRESS)
    with pytest.raises(PermissionDenied):
        case_set_status(case=case, by=erin, status=Status.WAITING)


@pytest.mark.parametrize(
    ("start", "target"),
    [
        (Status.ACKNOWLEDGED, Status.IN_PROGRESS),
        (Status.ACKNOWLEDGED, Status.WAITING),
        (Status.IN_PROGRESS, Status.WAITING),
        (Status.WAITING, Status.IN_PROGRESS),
    ],
)
def test_set_status_makes_each_allowed_move_with_its_reason(bob, start, target) -> None:
    case = case_in(start)
    case = case_set_status(case=case, by=bob, status=target, reason="Customer is testing")
    case.refresh_from_db()
    assert case.status == target
    event = CaseEvent.objects.get(case=case)
    assert (event.kind, event.from_value, event.to_value, event.reason) == (
        EventKind.STATUS,
        start,
        target,
        "Customer is testing",
    )


def test_set_status_to_acknowledged_on_a_new_case_acknowledges_it(bob) -> None:
    case = case_set_status(case=case_in(Status.NEW), by=bob, status=Status.ACKNOWLEDGED)
    assert case.status == Status.ACKNOWLEDGED
    assert case.first_response_at is not None
    assert kinds(case) == [EventKind.ACKNOWLEDGED]


@pytest.mark.parametrize(
    ("start", "target", "why"),
    [
        (Status.NEW, Status.IN_PROGRESS, "is new: acknowledge it before"),
        (Status.NEW, Status.WAITING, "is new: acknowledge it before"),
        (Status.IN_PROGRESS, Status.NEW, "cannot go back to new"),
        (Status.IN_PROGRESS, Status.ACKNOWLEDGED, "acknowledged already"),
        (Status.IN_PROGRESS, Status.IN_PROGRESS, "is already in progress"),
        (Status.IN_PROGRESS, Status.RESOLVED, "resolution summary and a root cause"),
        (Status.IN_PROGRESS, Status.CLOSED, "Only a resolved case can be closed"),
        (Status.RESOLVED, Status.IN_PROGRESS, "reopen it"),
        (Status.CLOSED, Status.IN_PROGRESS, "closed case does not change status"),
        (Status.WAITING, "sleeping", "not a status"),
    ],
)
def test_set_status_refuses_moves_outside_the_lifecycle_saying_why(bob, start, target, why):  # type: ignore[no-untyped-def]
    case = case_in(start)
    with pytest.raises(DomainError, match=why) as refused:
        case_set_status(case=case, by=bob, status=target)
    assert refused.value.field == "status"
    case.refresh_from_db()
    assert case.status == start
    assert kinds(case) == []


@time_machine.travel(NOON, tick=False)
def test_resolve_records_summary_root_cause_and_time(bob) -> None:
    cause = root_cause()
    case = case_resolve(
        case=case_in(Status.IN_PROGRESS), by=bob, summary="Renewed the cert", root_cause=cause
    )
    case.refresh_from_db()
    assert case.status == Status.RESOLVED
    assert case.resolution_summary == "Renewed the cert"
    assert case.root_cause == cause
    assert case.resolved_at.isoformat() == "2026-03-02T12:00:00+00:00"
    event = CaseEvent.objects.get(case=case)
    assert (event.kind, event.body, event.data["root_cause"]) == (
        EventKind.RESOLVED,
        "Renewed the cert",
        cause.pk,
    )


def test_resolve_tells_the_reviews_app_inside_the_transaction(bob) -> None:
    heard = []
    stop = subscribe(
        CaseResolved,
        lambda event: heard.append((event.case.status, event.by)),
    )
    try:
        case_resolve(case=case_in(Status.WAITING), by=bob, summary="Fixed", root_cause=root_cause())
    finally:
        stop()
    assert heard == [(Status.RESOLVED, bob)]


def test_every_service_announces_its_change_for_the_sla_clocks(bob) -> None:
    synced = []
    stops = [
        subscribe(kind, lambda event: synced.append(event.case.status))
        for kind in (CaseRaised, CaseChanged)
    ]
    try:
        case = case_in(Status.NEW)
        case = case_acknowledge(case=case, by=bob)
        case = case_set_status(case=case, by=bob, status=Status.IN_PROGRESS)
        case = case_resolve(case=case, by=bob, summary="Fixed", root_cause=root_cause())
        case = case_reopen(case=case, by=bob, reason="Came back")
    finally:
        for stop in stops:
            stop()
    assert synced == [Status.ACKNOWLEDGED, Status.IN_PROGRESS, Status.RESOLVED, Status.IN_PROGRESS]


@pytest.mark.parametrize(
    ("summary", "cause", "field"),
    [("", "given", "summary"), ("   ", "given", "summary"), ("Fixed", None, "root_cause")],
)
def test_resolve_requires_summary_and_root_cause(bob, summary, cause, field) -> None:
    case = case_in(Status.IN_PROGRESS)
    with pytest.raises(DomainError, match="required") as refused:
        case_resolve(case=case, by=bob, summary=summary, root_cause=root_cause() if cause else None)
    assert refused.value.field == field
    case.refresh_from_db()
    assert case.status == Status.IN_PROGRESS


def test_resolve_refuses_an_inactive_root_cause(bob) -> None:
    cause = root_cause()
    cause.is_active = False
    cause.save()
    with pytest.raises(DomainError, match="no longer an active root cause"):
        case_resolve(case=case_in(Status.IN_PROGRESS), by=bob, summary="x", root_cause=cause)


def test_resolve_refuses_a_root_cause_group_and_takes_its_causes(bob) -> None:
    cause = root_cause(name="Missing runbook", group="Process")
    group = cause.parent
    case = case_in(Status.IN_PROGRESS)
    with pytest.raises(DomainError, match="is a group") as refused:
        case_resolve(case=case, by=bob, summary="Fixed", root_cause=group)
    assert refused.value.field == "root_cause"
    case.refresh_from_db()
    assert (case.status, case.root_cause) == (Status.IN_PROGRESS, None)
    assert case_resolve(case=case, by=bob, summary="Fixed", root_cause=cause).root_cause == cause


@pytest.mark.parametrize(
    ("start", "why"),
    [(Status.NEW, "acknowledge it first"), (Status.RESOLVED, "only an open, acknowledged")],
)
def test_resolve_refuses_new_and_resolved_cases(bob, start, why) -> None:
    with pytest.raises(DomainError, match=why):
        case_resolve(case=case_in(start), by=bob, summary="Fixed", root_cause=root_cause())


def test_reopen_counts_the_reopen_and_clears_the_resolution_time(bob) -> None:
    case = case_resolve(
        case=case_in(Status.IN_PROGRESS), by=bob, summary="Fixed", root_cause=root_cause()
    )
    case = case_reopen(case=case, by=bob, reason="The error is back")
    case.refresh_from_db()
    assert (case.status, case.reopen_count, case.resolved_at) == (Status.IN_PROGRESS, 1, None)
    assert kinds(case) == [EventKind.RESOLVED, EventKind.REOPENED]
    assert CaseEvent.objects.get(kind=EventKind.REOPENED).reason == "The error is back"


def test_reopen_requires_a_reason(bob) -> None:
    case = case_in(Status.RESOLVED)
    with pytest.raises(DomainError, match="Reason is required") as refused:
        case_reopen(case=case, by=bob, reason=" ")
    assert refused.value.field == "reason"


@pytest.mark.parametrize(
    ("start", "why"),
    [(Status.CLOSED, "a closed case stays closed"), (Status.IN_PROGRESS, "only a resolved")],
)
def test_reopen_refuses_cases_that_are_not_resolved(bob, start, why) -> None:
    with pytest.raises(DomainError, match=why):
        case_reopen(case=case_in(start), by=bob, reason="Again")


def test_close_finishes_a_resolved_case(bob) -> None:
    case = case_close(case=case_in(Status.RESOLVED), by=bob)
    case.refresh_from_db()
    assert case.status == Status.CLOSED
    assert case.closed_at is not None
    assert kinds(case) == [EventKind.CLOSED]


@pytest.mark.parametrize(
    ("start", "why"),
    [(Status.IN_PROGRESS, "resolve it first"), (Status.CLOSED, "closed already")],
)
def test_close_refuses_cases_that_are_not_resolved(bob, start, why) -> None:
    with pytest.raises(DomainError, match=why):
        case_close(case=case_in(start), by=bob)


def test_root_cause_can_be_corrected_with_an_event(bob) -> None:
    first, second = root_cause("Expired certificate"), root_cause("Wrong DNS record")
    case = case_in(Status.RESOLVED, root_cause=first)
    case = case_set_root_cause(case=case, by=bob, root_cause=second, reason="Review found it")
    event = CaseEvent.objects.get(case=case)
    assert (event.kind, event.to_value, event.reason) == (
        EventKind.ROOT_CAUSE,
        "Configuration / Wrong DNS record",
        "Review found it",
    )
    with pytest.raises(DomainError, match="already"):
        case_set_root_cause(case=case, by=bob, root_cause=second)


def test_the_system_may_act_without_a_person(bob) -> None:
    case = case_set_status(case=case_in(Status.ACKNOWLEDGED), by=None, status=Status.IN_PROGRESS)
    assert CaseEvent.objects.get(case=case).actor is None


def test_the_database_refuses_to_edit_a_timeline_event(bob) -> None:
    from django.db import DatabaseError, transaction

    case = case_set_status(case=case_in(Status.ACKNOWLEDGED), by=bob, status=Status.WAITING)
    event = CaseEvent.objects.get(case=case)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        CaseEvent.objects.filter(pk=event.pk).update(reason="rewritten history")
    event.refresh_from_db()
    assert event.reason == ""
