"""The API: a case's ``parent``, ``?parents_only=true``, and linking children with one outcome
per reference."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from cases.models import Case
from incidents.services import incident_link

pytestmark = pytest.mark.django_db


def api_for(user) -> APIClient:  # type: ignore[no-untyped-def]
    client = APIClient()
    client.force_authenticate(user)
    return client


def children_url(case: Case) -> str:
    return f"/api/cases/{case.reference}/children/"


def test_linking_children_answers_each_reference(incident, raise_case, bob) -> None:
    a, b = raise_case("Shop A"), raise_case("Shop B")
    incident_link(incident=incident, child=b, by=bob)
    response = api_for(bob).post(
        children_url(incident.case),
        {"children": [a.reference, b.reference, "ESC-999999"]},
        format="json",
    )
    assert response.status_code == 200, response.content
    results = response.json()["results"]
    assert [(r["reference"], r["outcome"]) for r in results] == [
        (a.reference, "linked"),
        (b.reference, "refused"),
        ("ESC-999999", "refused"),
    ]
    assert "already" in results[1]["error"] and "no such case" in results[2]["error"]
    assert Case.objects.get(pk=a.pk).parent_id == incident.case_id


def test_linking_to_a_case_that_is_no_incident_is_a_400(parent, raise_case, bob) -> None:
    response = api_for(bob).post(
        children_url(parent), {"children": [raise_case("x").reference]}, format="json"
    )
    assert response.status_code == 400
    assert "not a major incident" in response.content.decode()


def test_linking_refuses_bad_input(incident, bob) -> None:
    client = api_for(bob)
    assert (
        client.post(children_url(incident.case), {"children": []}, format="json").status_code == 400
    )
    assert (
        client.post(children_url(incident.case), {"children": "ESC-1"}, format="json").status_code
        == 400
    )
    assert client.post(children_url(incident.case), [1], format="json").status_code == 400


def test_linking_is_refused_to_operators_executives_and_visitors(
    incident, raise_case, alice, erin, charlie
) -> None:
    data = {"children": [raise_case("x").reference]}
    assert api_for(alice).post(children_url(incident.case), data, format="json").status_code == 403
    assert api_for(erin).post(children_url(incident.case), data, format="json").status_code == 403
    # charlie may not even see the parent.
    assert (
        api_for(charlie).post(children_url(incident.case), data, format="json").status_code == 404
    )
    assert APIClient().post(children_url(incident.case), data, format="json").status_code in (
        401,
        403,
    )
    assert not Case.objects.filter(parent=incident.case).exists()


def test_a_case_names_its_parent_and_the_list_filters_parents(incident, raise_case, bob) -> None:
    child = raise_case("Shop A")
    incident_link(incident=incident, child=child, by=bob)
    client = api_for(bob)
    assert client.get(f"/api/cases/{child.reference}/").json()["parent"] == incident.case.reference
    assert client.get(f"/api/cases/{incident.case.reference}/").json()["parent"] is None
    listed = client.get("/api/cases/?parents_only=true").json()["results"]
    assert [r["reference"] for r in listed] == [incident.case.reference]


def test_the_schema_describes_the_children_endpoint(bob) -> None:
    schema = api_for(bob).get("/api/schema/", {"format": "json"}).json()
    assert "/api/cases/{reference}/children/" in schema["paths"]
    assert "parents_only" in str(schema["paths"]["/api/cases/"])
