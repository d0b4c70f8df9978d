"""The cases API end to end: an operator raises, a manager triages and resolves, and the
timeline shows every step; plus edits, reference data and query counts."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from cases.models import Case, EventKind, Severity, Source, Status
from tests.cases.factories import TagFactory, case_in, root_cause
from tests.factories import (
    CategoryFactory,
    ContactFactory,
    CustomerFactory,
    ProductFactory,
    UserFactory,
)
from tests.sla.factories import SlaPolicyFactory

pytestmark = pytest.mark.django_db


def api_for(user) -> APIClient:  # type: ignore[no-untyped-def]
    client = APIClient()
    token, _ = Token.objects.get_or_create(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def test_operator_raises_and_manager_triages_to_resolution_with_a_full_timeline(
    alice, bob, service_desk
) -> None:
    acme = CustomerFactory(name="Acme")
    contact = ContactFactory(customer=acme, name="Ada")
    product, category = ProductFactory(name="Portal"), CategoryFactory(name="Login")
    cause = root_cause()

    raised = api_for(alice).post(
        "/api/cases/",
        {
            "customer": acme.pk,
            "contact": contact.pk,
            "product": product.pk,
            "category": category.pk,
            "title": "Nobody can log in",
            "description": "SSO returns 500 since 09:00",
            "severity": "S2",
            "impact": "business",
            "tags": ["sso"],
        },
        format="json",
    )
    assert raised.status_code == 201, raised.json()
    body = raised.json()
    ref = body["reference"]
    assert body["status"] == "new"
    assert body["source"] == Source.API
    assert body["team"]["name"] == "Service desk"
    assert body["raised_by"]["username"] == "alice"
    assert body["contact"]["name"] == "Ada"
    assert body["tags"] == ["sso"]

    manager = api_for(bob)
    listed = manager.get(
        "/api/cases/",
        {"status": "new", "severity": ["S1", "S2"], "team": service_desk.pk, "q": "log in"},
    )
    assert listed.status_code == 200
    assert [row["reference"] for row in listed.json()["results"]] == [ref]

    steps = [
        ("acknowledge", {}),
        ("assign", {"owner": alice.pk, "reason": "Alice knows Acme"}),
        ("status", {"status": "in_progress"}),
        ("notes", {"body": "Found the expired certificate", "customer_facing": False}),
        ("notes", {"body": "We found the cause; fix in 1 hour", "customer_facing": True}),
        ("severity", {"severity": "S1", "reason": "All users affected"}),
        ("resolve", {"summary": "Renewed the certificate", "root_cause": cause.pk}),
    ]
    for action, payload in steps:
        answer = manager.post(f"/api/cases/{ref}/{action}/", payload, format="json")
        assert answer.status_code in (200, 201), (action, answer.json())

    case = manager.get(f"/api/cases/{ref}/").json()
    assert case["status"] == "resolved"
    assert case["owner"]["username"] == "alice"
    assert case["severity"] == "S1"
    assert case["root_cause"]["label"] == "Configuration / Expired certificate"
    assert case["resolution_summary"] == "Renewed the certificate"

    timeline = manager.get(f"/api/cases/{ref}/timeline/").json()
    # (The reviews app may add its own events after the resolution.)
    assert [e["kind"] for e in timeline][:8] == [
        EventKind.RAISED,
        EventKind.ACKNOWLEDGED,
        EventKind.ASSIGNED,
        EventKind.STATUS,
        EventKind.NOTE,
        EventKind.UPDATE,
        EventKind.SEVERITY,
        EventKind.RESOLVED,
    ]
    # The satisfaction survey sent with the resolution is the system's (no actor).
    assert {e["actor"]["username"] for e in timeline if e["actor"]} == {"alice", "bob"}
    assert timeline[2]["reason"] == "Alice knows Acme"
    assert (timeline[6]["from_value"], timeline[6]["to_value"]) == ("S2", "S1")


def test_resolved_case_can_be_reopened_then_resolved_and_closed(bob) -> None:
    case = case_in(Status.RESOLVED)
    manager = api_for(bob)
    ref = case.reference
    assert manager.post(f"/api/cases/{ref}/reopen/", {"reason": "Back"}).json()["status"] == (
        "in_progress"
    )
    manager.post(f"/api/cases/{ref}/resolve/", {"summary": "ok", "root_cause": root_cause().pk})
    closed = manager.post(f"/api/cases/{ref}/close/")
    assert closed.status_code == 200
    assert closed.json()["status"] == "closed"
    assert closed.json()["reopen_count"] == 1


def test_manager_links_a_duplicate_by_reference(bob) -> None:
    case, original = case_in(Status.NEW), case_in(Status.IN_PROGRESS)
    answer = api_for(bob).post(
        f"/api/cases/{case.reference}/links/",
        {"target": original.reference, "kind": "duplicate_of"},
    )
    assert answer.status_code == 201
    assert answer.json()["target"] == original.reference
    detail = api_for(bob).get(f"/api/cases/{case.reference}/").json()
    assert [link["target"] for link in detail["links_out"]] == [original.reference]


def test_manager_patches_details_and_clears_the_product(bob) -> None:
    case = case_in(Status.IN_PROGRESS, title="Old title")
    category = CategoryFactory(name="Billing")
    answer = api_for(bob).patch(
        f"/api/cases/{case.reference}/",
        {
            "title": "New title",
            "impact": "site",
            "category": category.pk,
            "product": None,
            "tags": ["billing", "eu"],
        },
        format="json",
    )
    assert answer.status_code == 200, answer.json()
    body = answer.json()
    assert (body["title"], body["impact"], body["category"]["name"], body["product"]) == (
        "New title",
        "site",
        "Billing",
        None,
    )
    assert sorted(body["tags"]) == ["billing", "eu"]


def test_text_is_returned_as_typed_and_never_rendered(bob, alice, service_desk) -> None:
    hostile = '<img src=x onerror="alert(1)">'
    answer = api_for(alice).post(
        "/api/cases/",
        {
            "customer": CustomerFactory().pk,
            "title": hostile,
            "description": hostile,
            "severity": "S3",
        },
        format="json",
    )
    assert answer.status_code == 201
    assert answer["Content-Type"] == "application/json"
    assert answer.json()["title"] == hostile


def test_session_authentication_works_too(bob) -> None:
    client = APIClient()
    client.force_login(bob)
    assert client.get("/api/cases/").status_code == 200


def test_list_pages_with_next_and_previous_links(bob) -> None:
    for _ in range(5):
        case_in(Status.NEW)
    manager = api_for(bob)
    first = manager.get("/api/cases/", {"sort": "newest", "page_size": 2}).json()
    assert first["previous"] is None
    second = manager.get(first["next"]).json()
    third = manager.get(second["next"]).json()
    assert third["next"] is None
    seen = [r["reference"] for page in (first, second, third) for r in page["results"]]
    assert seen == sorted(seen, reverse=True)
    assert len(set(seen)) == 5
    back = manager.get(second["previous"]).json()
    assert back["results"] == first["results"]


@pytest.mark.parametrize("page_size", ["0", "101", "ten"])
def test_page_size_out_of_range_is_a_field_error(bob, page_size) -> None:
    answer = api_for(bob).get("/api/cases/", {"page_size": page_size})
    assert answer.status_code == 400
    assert "page_size" in answer.json()["errors"]


def test_list_makes_as_many_queries_for_100_rows_as_for_10(bob, alice, service_desk) -> None:
    tag = TagFactory(name="eu")
    for i in range(100):
        case = case_in(
            Status.IN_PROGRESS,
            team=service_desk,
            owner=alice if i % 2 else None,
            severity=Severity.S2,
        )
        case.tags.add(tag)
    manager = api_for(bob)

    def count(rows: int) -> int:
        with CaptureQueriesContext(connection) as captured:
            answer = manager.get(
                "/api/cases/", {"page_size": rows, "status": "open", "team": service_desk.pk}
            )
        assert answer.status_code == 200
        assert len(answer.json()["results"]) == rows
        return len(captured)

    # The token with its user, the roles, validating team=, the rows, their tags, the count:
    # 6, whatever the page size.
    assert count(10) == count(100) == 6


def test_reference_data_for_the_pickers(bob, alice, erin, service_desk) -> None:
    acme = CustomerFactory(name="Acme")
    ContactFactory(customer=acme, name="Ada")
    CustomerFactory(name="Gone", is_active=False)
    ProductFactory(name="Portal")
    root_cause()
    client = api_for(alice)
    customers = client.get("/api/customers/").json()
    assert [(c["name"], [p["name"] for p in c["contacts"]]) for c in customers] == [
        ("Acme", ["Ada"])
    ]
    assert [p["name"] for p in client.get("/api/products/").json()] == ["Portal"]
    assert [r["label"] for r in client.get("/api/root-causes/").json()] == [
        "Configuration",
        "Configuration / Expired certificate",
    ]
    assert [t["name"] for t in client.get("/api/teams/").json()] == ["Service desk"]
    service_desk.members.add(erin, UserFactory(username="mo", role=None))
    members = client.get(f"/api/teams/{service_desk.pk}/members/").json()
    assert [m["username"] for m in members] == ["alice"]
    assert client.get("/api/teams/99999/members/").status_code == 404


def test_created_case_counts_as_raised_via_the_api(alice, service_desk) -> None:
    api_for(alice).post(
        "/api/cases/",
        {"customer": CustomerFactory().pk, "title": "t", "description": "d", "severity": "S4"},
    )
    assert Case.objects.get().source == Source.API


def test_created_case_answers_as_the_case_reads_afterwards(alice, service_desk) -> None:
    client = api_for(alice)
    acme = CustomerFactory(name="Acme")
    SlaPolicyFactory(tier=acme.tier, severity="S2")
    raised = client.post(
        "/api/cases/",
        {
            "customer": acme.pk,
            "contact": ContactFactory(customer=acme).pk,
            "product": ProductFactory().pk,
            "category": CategoryFactory().pk,
            "title": "Invoices are late",
            "description": "Since Monday",
            "severity": "S2",
            "tags": ["zeta", "alpha", "billing"],
        },
        format="json",
    )
    assert raised.status_code == 201, raised.json()
    read = client.get(f"/api/cases/{raised.json()['reference']}/")
    assert raised.json() == read.json()
    assert raised.json()["tags"] == ["alpha", "billing", "zeta"]
    assert raised.json()["next_due_at"] is not None  # the clocks started


def test_one_case_after_another_answers_each_with_its_own_data(alice, bob, service_desk) -> None:
    # The detail answer reuses one serializer per process: nothing of one case may leak into
    # the next (a contact, tags, attachments the next case lacks).
    client = api_for(alice)
    acme, umbrella = CustomerFactory(name="Acme"), CustomerFactory(name="Umbrella")
    first = client.post(
        "/api/cases/",
        {
            "customer": acme.pk,
            "contact": ContactFactory(customer=acme, name="Ada").pk,
            "title": "First",
            "description": "d",
            "severity": "S2",
            "tags": ["billing"],
        },
        format="json",
    ).json()
    second = client.post(
        "/api/cases/",
        {"customer": umbrella.pk, "title": "Second", "description": "d", "severity": "S4"},
        format="json",
    ).json()
    assert (first["title"], first["contact"]["name"]) == ("First", "Ada")
    assert first["tags"] == ["billing"]
    assert (second["title"], second["contact"], second["tags"]) == ("Second", None, [])
    assert second["customer"]["name"] == "Umbrella"
    manager = api_for(bob)
    assert manager.get(f"/api/cases/{first['reference']}/").json() == first
    assert manager.get(f"/api/cases/{second['reference']}/").json() == second


def test_raising_a_case_reads_nothing_back(alice, service_desk) -> None:
    client = api_for(alice)
    customer = CustomerFactory()
    SlaPolicyFactory(tier=customer.tier, severity="S3")
    body = {"customer": customer.pk, "title": "t", "description": "d", "severity": "S3"}
    client.post("/api/cases/", body, format="json")  # the token's first use
    with CaptureQueriesContext(connection) as queries:
        raised = client.post("/api/cases/", body, format="json")
    assert raised.status_code == 201
    # Token and user, roles, customer; savepoint, team, case, event, policy, clocks, next due,
    # release. Nothing re-reads the new case, its clocks or its (empty) relations.
    assert len(queries) <= 12, [q["sql"] for q in queries]
    assert [q["sql"].split()[0] for q in queries if "sla_caseclock" in q["sql"]] == ["INSERT"]
