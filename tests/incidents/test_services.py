"""The major-incident services: declaring, linking children, roles, updates, resolving with
the children; each success next to its refusals."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test import TestCase
from django.test.utils import CaptureQueriesContext

from cases.models import Case, CaseEvent, EventKind, Status
from cases.services import case_acknowledge, case_close, case_resolve
from comms.models import Broadcast, BroadcastTarget
from escalation.errors import DomainError
from incidents.models import IncidentState, MajorIncident, Playbook, PlaybookTask
from incidents.services import (
    incident_declare,
    incident_declare_new,
    incident_link,
    incident_link_many,
    incident_post_update,
    incident_resolve,
    incident_set_roles,
    incident_unlink,
)
from reviews.models import Review
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def kinds(case: Case) -> list[str]:
    return list(CaseEvent.objects.filter(case=case).order_by("id").values_list("kind", flat=True))


def test_declaring_sets_the_cadence_from_the_severity_and_records_it(parent, bob) -> None:
    incident = incident_declare(case=parent, by=bob, lead=bob)
    parent.refresh_from_db()
    assert incident.cadence_minutes == 30  # S1
    assert parent.update_every_minutes == 30
    event = CaseEvent.objects.filter(case=parent, kind=EventKind.INCIDENT).get()
    assert event.data["action"] == "declared" and event.actor == bob
    assert "every 30 minutes" in event.to_value


def test_declaring_takes_a_given_cadence(parent, bob) -> None:
    assert incident_declare(case=parent, by=bob, cadence_minutes=45).cadence_minutes == 45


def test_declaring_applies_the_playbook_of_the_category(parent, bob) -> None:
    playbook = Playbook.objects.create(name="Payments", category=parent.category)
    PlaybookTask.objects.create(
        playbook=playbook, title="Status page updated", due_after_minutes=15
    )
    PlaybookTask.objects.create(playbook=playbook, title="Fix deployed", position=1)
    incident = incident_declare(case=parent, by=bob)
    tasks = list(incident.tasks.order_by("id"))
    assert [t.title for t in tasks] == ["Status page updated", "Fix deployed"]
    assert tasks[0].due_at is not None
    assert (tasks[0].due_at - incident.declared_at).total_seconds() == 15 * 60
    assert tasks[1].due_at is None


def test_declaring_a_new_case_raises_it_first(bob) -> None:
    incident = incident_declare_new(
        by=bob,
        customer=CustomerFactory(),
        title="Login down",
        description="Nobody can sign in.",
        severity="S2",
    )
    assert incident.case.status == Status.NEW
    assert incident.cadence_minutes == 60
    assert kinds(incident.case)[:1] == [EventKind.RAISED]


def test_only_managers_declare(parent, alice, erin) -> None:
    for person in (alice, erin):
        with pytest.raises(PermissionDenied):
            incident_declare(case=parent, by=person)
    assert not MajorIncident.objects.exists()


def test_declaring_is_refused_twice_for_a_child_and_for_a_finished_case(
    incident, raise_case, bob, root_cause
) -> None:
    with pytest.raises(DomainError, match="major incident already"):
        incident_declare(case=incident.case, by=bob)
    child = raise_case("Shop A")
    incident_link(incident=incident, child=child, by=bob)
    with pytest.raises(DomainError, match="a child cannot be a parent"):
        incident_declare(case=child, by=bob)
    done = raise_case("Shop B")
    case_acknowledge(case=done, by=bob)
    case_resolve(case=done, by=bob, summary="Fixed", root_cause=root_cause)
    with pytest.raises(DomainError, match="only an open case"):
        incident_declare(case=done, by=bob)


def test_declaring_refuses_a_cadence_out_of_range(parent, bob) -> None:
    with pytest.raises(DomainError, match="cadence"):
        incident_declare(case=parent, by=bob, cadence_minutes=1)


def test_linking_a_child_records_it_on_both_timelines(incident, raise_case, bob) -> None:
    child = raise_case("Shop A")
    incident_link(incident=incident, child=child, by=bob)
    child.refresh_from_db()
    assert child.parent_id == incident.case_id
    on_child = CaseEvent.objects.filter(case=child, kind=EventKind.LINKED).get()
    assert on_child.to_value == f"Part of major incident {incident.case.reference}"
    on_parent = CaseEvent.objects.filter(case=incident.case, kind=EventKind.LINKED).get()
    assert on_parent.data["source"] == child.pk


def test_linking_refuses_itself_another_parent_a_parent_and_a_closed_case(
    incident, raise_case, bob, root_cause
) -> None:
    parent = incident.case
    with pytest.raises(DomainError, match="not its own child"):
        incident_link(incident=incident, child=parent, by=bob)
    other = incident_declare(case=raise_case("Other fault"), by=bob)
    with pytest.raises(DomainError, match="a parent has no parent"):
        incident_link(incident=incident, child=other.case, by=bob)
    taken = raise_case("Shop A")
    incident_link(incident=other, child=taken, by=bob)
    with pytest.raises(DomainError, match="unlink it there first"):
        incident_link(incident=incident, child=taken, by=bob)
    with pytest.raises(DomainError, match="already"):
        incident_link(incident=other, child=taken, by=bob)
    closed = raise_case("Shop C")
    case_acknowledge(case=closed, by=bob)
    case_resolve(case=closed, by=bob, summary="Fixed", root_cause=root_cause)
    case_close(case=closed, by=bob)
    with pytest.raises(DomainError, match="closed"):
        incident_link(incident=incident, child=closed, by=bob)
    assert not Case.objects.filter(parent=parent).exists()


def test_only_managers_link(incident, raise_case, alice) -> None:
    with pytest.raises(PermissionDenied):
        incident_link(incident=incident, child=raise_case("Shop A"), by=alice)


def test_linking_many_reports_each_reference(incident, raise_case, bob) -> None:
    a, b = raise_case("Shop A"), raise_case("Shop B")
    result = incident_link_many(
        incident=incident,
        references=[a.reference, b.reference, incident.case.reference, "ESC-999999", "nonsense"],
        by=bob,
    )
    assert result.linked == [a.reference, b.reference]
    assert set(result.refused) == {incident.case.reference, "ESC-999999", "nonsense"}
    assert Case.objects.filter(parent=incident.case).count() == 2


def test_linking_many_takes_as_many_statements_for_twenty_children_as_for_two(
    incident, raise_case, bob
) -> None:
    few = [raise_case(f"Shop {n}").reference for n in range(2)]
    stores = [raise_case(f"Store {n}") for n in range(20)]
    many = [case.reference for case in stores]
    with CaptureQueriesContext(connection) as two:
        incident_link_many(incident=incident, references=few, by=bob)
    with CaptureQueriesContext(connection) as twenty:
        result = incident_link_many(incident=incident, references=many, by=bob)
    assert result.linked == many
    assert len(twenty.captured_queries) == len(two.captured_queries)
    assert Case.objects.filter(parent=incident.case).count() == 22
    assert CaseEvent.objects.filter(kind=EventKind.LINKED, case__in=stores).count() == 20


def test_linking_one_case_twice_in_one_request_links_it_once(incident, raise_case, bob) -> None:
    case = raise_case("Shop A")
    result = incident_link_many(
        incident=incident, references=[case.reference, case.reference.lower()], by=bob
    )
    assert result.linked == [case.reference]
    assert result.refused == {
        case.reference: f"{case.reference} is part of this major incident already."
    }
    assert CaseEvent.objects.filter(case=case, kind=EventKind.LINKED).count() == 1


def test_linking_many_refuses_an_empty_list(incident, bob) -> None:
    with pytest.raises(DomainError, match="at least one"):
        incident_link_many(incident=incident, references=["  "], by=bob)


def test_unlinking_takes_the_child_out(incident, raise_case, bob) -> None:
    child = raise_case("Shop A")
    incident_link(incident=incident, child=child, by=bob)
    incident_unlink(incident=incident, child=child, by=bob)
    child.refresh_from_db()
    assert child.parent_id is None
    assert kinds(child).count(EventKind.LINKED) == 2
    with pytest.raises(DomainError, match="not part of this"):
        incident_unlink(incident=incident, child=child, by=bob)


def test_setting_roles_and_cadence_moves_the_update_target(incident, alice, bob) -> None:
    incident_set_roles(incident=incident, by=bob, lead=alice, comms_lead=bob, cadence_minutes=20)
    incident.refresh_from_db()
    assert (incident.lead, incident.comms_lead, incident.cadence_minutes) == (alice, bob, 20)
    assert Case.objects.get(pk=incident.case_id).update_every_minutes == 20
    with pytest.raises(DomainError, match="Nothing changed"):
        incident_set_roles(
            incident=incident, by=bob, lead=alice, comms_lead=bob, cadence_minutes=20
        )


def test_roles_refuse_an_executive_as_lead_and_an_operator_as_actor(incident, erin, alice, bob):  # type: ignore[no-untyped-def]
    with pytest.raises(DomainError, match="cannot be the incident lead"):
        incident_set_roles(
            incident=incident, by=bob, lead=erin, comms_lead=None, cadence_minutes=30
        )
    with pytest.raises(PermissionDenied):
        incident_set_roles(
            incident=incident, by=alice, lead=alice, comms_lead=None, cadence_minutes=30
        )


def test_an_update_posts_on_the_parent_and_starts_a_broadcast(incident, raise_case, bob) -> None:
    children = [raise_case(f"Shop {n}") for n in range(3)]
    incident_link_many(incident=incident, references=[c.reference for c in children], by=bob)
    with TestCase.captureOnCommitCallbacks(execute=False):
        broadcast = incident_post_update(incident=incident, by=bob, body="We are on it.")
    assert isinstance(broadcast, Broadcast) and broadcast.total == 3
    assert BroadcastTarget.objects.filter(broadcast=broadcast).count() == 3
    parent = Case.objects.get(pk=incident.case_id)
    assert parent.last_customer_update_at is not None
    assert CaseEvent.objects.filter(case=parent, kind=EventKind.UPDATE).count() == 1


def test_only_managers_post_the_incident_update(incident, raise_case, alice, bob) -> None:
    incident_link(incident=incident, child=raise_case("Shop A"), by=bob)
    with pytest.raises(PermissionDenied):
        incident_post_update(incident=incident, by=alice, body="Hello")


def test_resolving_resolves_the_chosen_children_with_the_parents_cause(
    incident, raise_case, bob, root_cause
) -> None:
    a, b, c = (raise_case(f"Shop {n}") for n in "ABC")
    incident_link_many(
        incident=incident, references=[a.reference, b.reference, c.reference], by=bob
    )
    case_acknowledge(case=a, by=bob)
    result = incident_resolve(
        incident=incident,
        by=bob,
        summary="Gateway restarted",
        root_cause=root_cause,
        children=[a, b],
    )
    assert sorted(result.resolved) == sorted([a.reference, b.reference])
    for child in (a, b):
        child.refresh_from_db()
        assert child.status == Status.RESOLVED
        assert child.resolution_summary == "Gateway restarted" and child.root_cause == root_cause
    c.refresh_from_db()
    assert c.status == Status.NEW
    incident.refresh_from_db()
    assert incident.state == IncidentState.RESOLVED
    # Each S2 child gets its own review through the CaseResolved subscriber; so does the parent.
    assert Review.objects.filter(case__in=[incident.case_id, a.pk, b.pk]).count() == 3


def test_resolving_reports_a_child_that_cannot_be_resolved(
    incident, raise_case, bob, root_cause
) -> None:
    a = raise_case("Shop A")
    incident_link(incident=incident, child=a, by=bob)
    case_acknowledge(case=a, by=bob)
    case_resolve(case=a, by=bob, summary="Own fix", root_cause=root_cause)
    stranger = raise_case("Not linked")
    result = incident_resolve(
        incident=incident, by=bob, summary="Fixed", root_cause=root_cause, children=[a, stranger]
    )
    assert set(result.refused) == {a.reference, stranger.reference}
    assert Case.objects.get(pk=a.pk).resolution_summary == "Own fix"


def test_a_resolved_incident_takes_no_more_children(incident, raise_case, bob, root_cause):  # type: ignore[no-untyped-def]
    incident_resolve(incident=incident, by=bob, summary="Fixed", root_cause=root_cause)
    with pytest.raises(DomainError, match="is resolved"):
        incident_link(incident=incident, child=raise_case("Late"), by=bob)


def test_resolving_needs_a_root_cause(incident, bob) -> None:
    with pytest.raises(DomainError, match="root cause"):
        incident_resolve(incident=incident, by=bob, summary="Fixed", root_cause=None)
    incident.refresh_from_db()
    assert incident.state == IncidentState.ACTIVE
