"""The incident panel and its forms, the list, and the queue's "add to major incident": the
manager's success next to each refusal (operator, executive, anonymous, another team)."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from cases.models import Case, Status
from cases.services import case_raise
from incidents.checklist import task_add
from incidents.models import IncidentState, IncidentTask, MajorIncident, TaskState
from incidents.services import (
    incident_declare,
    incident_link,
    incident_link_many,
    incident_resolve,
)
from tests.conftest import client_for
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def panel_url(case: Case) -> str:
    return reverse("incidents:panel", args=[case.reference])


def action_url(case: Case, name: str) -> str:
    return reverse("incidents:action", args=[case.reference, name])


def test_the_case_page_loads_the_incident_panel(parent, bob) -> None:
    page = client_for(bob).get(reverse("cases:detail", args=[parent.reference]))
    assert panel_url(parent) in page.content.decode()


def test_a_manager_sees_the_declare_form_on_an_open_case(parent, bob) -> None:
    body = client_for(bob).get(panel_url(parent), **HTMX).content.decode()
    assert "Declare a major incident" in body


def test_operators_and_executives_get_no_declare_form(parent, alice, erin) -> None:
    for person in (alice, erin):
        body = client_for(person).get(panel_url(parent), **HTMX).content.decode()
        assert "Declare a major incident" not in body


def test_the_parent_shows_roles_children_and_affected_customers(incident, raise_case, bob) -> None:
    children = [raise_case(f"Shop {n}") for n in range(3)]
    incident_link_many(incident=incident, references=[c.reference for c in children], by=bob)
    body = client_for(bob).get(panel_url(incident.case), **HTMX).content.decode()
    for child in children:
        assert child.reference in body and child.customer.name in body
    assert "3 cases, 3 customers" in body
    assert "every 30 minutes" in body
    assert "Bob" in body  # the incident lead


def test_an_operator_sees_no_child_of_another_team(incident, charlie, alice, bob) -> None:
    theirs = case_raise(
        raised_by=charlie,
        customer=CustomerFactory(name="Hidden Corp"),
        title="Their shop",
        description="Down.",
        severity="S3",
    )
    incident_link(incident=incident, child=theirs, by=bob)
    body = client_for(alice).get(panel_url(incident.case), **HTMX).content.decode()
    assert theirs.reference not in body and "Hidden Corp" not in body
    assert "1 case you cannot open" in body
    # charlie may open his case but not the parent: its panel is a 404 for him.
    assert client_for(charlie).get(panel_url(incident.case), **HTMX).status_code == 404


def test_a_child_names_its_parent(incident, raise_case, alice, bob) -> None:
    child = raise_case("Shop A")
    incident_link(incident=incident, child=child, by=bob)
    body = client_for(alice).get(panel_url(child), **HTMX).content.decode()
    assert f'Part of major incident <a href="/cases/{incident.case.reference}/">' in body


def test_without_htmx_the_panel_is_a_page(incident, bob) -> None:
    body = client_for(bob).get(panel_url(incident.case)).content.decode()
    assert "<html" in body and "Major incident" in body


def test_a_manager_declares_from_the_case_page(parent, bob) -> None:
    response = client_for(bob).post(
        action_url(parent, "declare"), {"declare-cadence_minutes": "20"}
    )
    assert response.status_code == 302
    assert MajorIncident.objects.get(case=parent).cadence_minutes == 20


def test_declaring_is_refused_to_operators_executives_and_visitors(parent, alice, erin) -> None:
    url = action_url(parent, "declare")
    assert client_for(alice).post(url, {}).status_code == 403
    assert client_for(erin).post(url, {}).status_code == 403
    assert Client().post(url, {}).status_code == 302  # to the login page
    assert not MajorIncident.objects.exists()


def test_declaring_twice_is_refused_with_the_reason(incident, bob) -> None:
    response = client_for(bob).post(action_url(incident.case, "declare"), {})
    assert response.status_code == 400
    assert "major incident already" in response.content.decode()


def test_linking_by_reference_says_what_was_refused(incident, raise_case, bob) -> None:
    child = raise_case("Shop A")
    response = client_for(bob).post(
        action_url(incident.case, "link"),
        {"link-references": f"{child.reference}, {incident.case.reference}"},
        follow=True,
    )
    body = response.content.decode()
    assert f"Linked 1: {child.reference}." in body
    assert "not its own child" in body
    assert Case.objects.get(pk=child.pk).parent_id == incident.case_id


def test_an_unknown_action_is_404(incident, bob) -> None:
    assert client_for(bob).post(action_url(incident.case, "nope"), {}).status_code == 404


def test_a_get_of_an_action_is_405(incident, bob) -> None:
    assert client_for(bob).get(action_url(incident.case, "link")).status_code == 405


def test_an_operator_ticks_off_her_task_but_runs_nothing_else(incident, alice, bob) -> None:
    task = task_add(incident=incident, by=bob, title="Status page updated", owner=alice)
    client = client_for(alice)
    response = client.post(
        action_url(incident.case, "task_state"),
        {"task_state-task": task.pk, "task_state-state": "done"},
    )
    assert response.status_code == 302
    assert IncidentTask.objects.get(pk=task.pk).state == TaskState.DONE
    assert client.post(action_url(incident.case, "task"), {"task-title": "x"}).status_code == 403


def test_a_manager_adds_a_task_and_a_bad_one_shows_the_form(incident, alice, bob) -> None:
    client = client_for(bob)
    ok = client.post(
        action_url(incident.case, "task"), {"task-title": "Fix deployed", "task-owner": alice.pk}
    )
    assert ok.status_code == 302
    bad = client.post(action_url(incident.case, "task"), {"task-title": ""})
    assert bad.status_code == 400
    assert IncidentTask.objects.count() == 1


def test_resolving_with_the_children_ticked(incident, raise_case, bob, root_cause) -> None:
    a, b = raise_case("Shop A"), raise_case("Shop B")
    incident_link_many(incident=incident, references=[a.reference, b.reference], by=bob)
    response = client_for(bob).post(
        action_url(incident.case, "resolve"),
        {
            "resolve-summary": "Gateway restarted",
            "resolve-root_cause": root_cause.pk,
            "resolve-children": [a.pk],
        },
    )
    assert response.status_code == 302
    assert Case.objects.get(pk=a.pk).status == Status.RESOLVED
    assert Case.objects.get(pk=b.pk).status == Status.NEW
    assert MajorIncident.objects.get(pk=incident.pk).state == IncidentState.RESOLVED


def test_the_list_shows_incidents_to_managers_and_executives(incident, bob, erin, alice) -> None:
    for person in (bob, erin):
        body = client_for(person).get(reverse("incidents:list")).content.decode()
        assert incident.case.reference in body
    assert client_for(alice).get(reverse("incidents:list")).status_code == 403


def test_the_queue_bulk_bar_adds_ticked_cases_to_an_incident(incident, raise_case, bob) -> None:
    a, b = raise_case("Shop A"), raise_case("Shop B")
    client = client_for(bob)
    picker = client.get(reverse("incidents:bulk_picker"), **HTMX).content.decode()
    assert incident.case.reference in picker
    response = client.post(
        reverse("incidents:bulk_link"),
        {"bulk-cases": [a.pk, b.pk], "bulk-incident": incident.pk},
        follow=True,
    )
    assert f"Linked 2: {a.reference}, {b.reference}." in response.content.decode()
    assert set(Case.objects.filter(parent=incident.case).values_list("pk", flat=True)) == {
        a.pk,
        b.pk,
    }


def test_the_bulk_bar_refuses_operators_and_a_resolved_incident(
    incident, raise_case, alice, bob, root_cause
) -> None:
    a = raise_case("Shop A")
    data = {"bulk-cases": [a.pk], "bulk-incident": incident.pk}
    assert client_for(alice).post(reverse("incidents:bulk_link"), data).status_code == 403
    incident_resolve(incident=incident, by=bob, summary="Fixed", root_cause=root_cause)
    response = client_for(bob).post(reverse("incidents:bulk_link"), data, follow=True)
    assert "not open" in response.content.decode()
    assert Case.objects.get(pk=a.pk).parent_id is None


def test_the_queue_filters_parents_only(incident, raise_case, bob) -> None:
    other = raise_case("Unrelated")
    body = client_for(bob).get(reverse("cases:queue") + "?parents_only=true").content.decode()
    assert incident.case.reference in body and other.reference not in body


def test_declared_cases_are_the_only_parents(raise_case, bob) -> None:
    declared = incident_declare(case=raise_case("Fault"), by=bob)
    assert list(Case.objects.filter(update_every_minutes__isnull=False)) == [declared.case]


def test_a_childs_review_links_to_the_parents_review(incident, raise_case, bob, root_cause) -> None:
    child = raise_case("Shop A")
    incident_link(incident=incident, child=child, by=bob)
    incident_resolve(
        incident=incident, by=bob, summary="Fixed", root_cause=root_cause, children=[child]
    )
    body = client_for(bob).get(reverse("reviews:review", args=[child.reference])).content.decode()
    assert reverse("reviews:review", args=[incident.case.reference]) in body
