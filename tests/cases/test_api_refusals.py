"""Each refusal of the cases API next to what it protects: wrong role, another team's case,
bad input (400 with field messages and nothing written), throttling."""

from __future__ import annotations

import pytest
from django.core.cache.backends.locmem import LocMemCache
from rest_framework.test import APIClient

from cases.api.views import CaseCreateThrottle
from cases.models import Case, CaseEvent, CaseLink, Status
from tests.cases.factories import case_in
from tests.cases.test_api import api_for
from tests.factories import ContactFactory, CustomerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def team_case(alice, service_desk) -> Case:  # type: ignore[no-untyped-def]
    return case_in(Status.IN_PROGRESS, raised_by=alice, team=service_desk, title="Original")


def assert_untouched(case: Case) -> None:
    before = (case.title, case.status, case.severity, case.owner_id)
    case.refresh_from_db()
    assert (case.title, case.status, case.severity, case.owner_id) == before
    assert not CaseEvent.objects.filter(case=case).exists()


# --- Roles and objects ----------------------------------------------------------------------


def test_an_operator_of_another_team_reads_the_case_she_raised_but_cannot_patch_it(
    charlie, service_desk
) -> None:
    # Editing details is for those who work the case (tests/cases/test_details.py): its
    # team's operators may, the raiser from another team may not.
    case = case_in(Status.IN_PROGRESS, raised_by=charlie, team=service_desk, title="Original")
    client = api_for(charlie)
    assert client.get(f"/api/cases/{case.reference}/").status_code == 200
    answer = client.patch(f"/api/cases/{case.reference}/", {"title": "Mine"}, format="json")
    assert answer.status_code == 403
    assert answer.json() == {
        "detail": "Only the case's owner, its team and escalation managers work on it."
    }
    assert_untouched(case)


def test_operator_adds_notes_but_cannot_triage(alice, team_case) -> None:
    # She works her team's case (tests/cases/test_permissions_table.py): assign, status,
    # resolve and acknowledge are hers too; these stay with the managers.
    client = api_for(alice)
    ref = team_case.reference
    assert client.post(f"/api/cases/{ref}/notes/", {"body": "Called them"}).status_code == 201
    for action, payload in [
        ("severity", {"severity": "S1", "reason": "x"}),
        ("close", {}),
        ("reopen", {"reason": "x"}),
        ("links", {"target": ref, "kind": "related"}),
    ]:
        assert client.post(f"/api/cases/{ref}/{action}/", payload).status_code == 403, action
    assert list(CaseEvent.objects.values_list("kind", flat=True)) == ["note"]


def test_executive_reads_everything_and_changes_nothing(erin, team_case) -> None:
    client = api_for(erin)
    ref = team_case.reference
    assert client.get(f"/api/cases/{ref}/").status_code == 200
    assert client.get(f"/api/cases/{ref}/timeline/").status_code == 200
    assert client.patch(f"/api/cases/{ref}/", {"title": "x"}).status_code == 403
    assert client.post(f"/api/cases/{ref}/notes/", {"body": "x"}).status_code == 403
    assert client.post(f"/api/cases/{ref}/status/", {"status": "waiting"}).status_code == 403
    raised = client.post(
        "/api/cases/",
        {"customer": CustomerFactory().pk, "title": "t", "description": "d", "severity": "S3"},
    )
    assert raised.status_code == 403
    assert Case.objects.count() == 1
    assert_untouched(team_case)


def test_charlie_gets_404_for_everything_about_alices_team_case(charlie, team_case) -> None:
    client = api_for(charlie)
    ref = team_case.reference
    assert client.get(f"/api/cases/{ref}/").status_code == 404
    assert client.get(f"/api/cases/{ref}/timeline/").status_code == 404
    assert client.post(f"/api/cases/{ref}/notes/", {"body": "peek"}).status_code == 404
    assert client.patch(f"/api/cases/{ref}/", {"title": "x"}).status_code == 404
    assert client.get("/api/cases/").json()["results"] == []
    # The 404 for a hidden case is the same as for a case that does not exist.
    assert client.get("/api/cases/ESC-999999/").json() == client.get(f"/api/cases/{ref}/").json()
    assert_untouched(team_case)


def test_link_to_an_unknown_reference_is_a_field_error(bob, team_case) -> None:
    answer = api_for(bob).post(
        f"/api/cases/{team_case.reference}/links/",
        {"target": "ESC-999999", "kind": "related"},
    )
    assert answer.status_code == 400
    assert answer.json()["errors"] == {"target": ["No such case."]}
    assert not CaseLink.objects.exists()


@pytest.mark.parametrize("path", ["/api/cases/", "/api/customers/", "/api/teams/"])
def test_anonymous_and_roleless_callers_are_refused(nora, path) -> None:
    assert APIClient().get(path).status_code in (401, 403)
    assert api_for(nora).get(path).status_code == 403
    bad_token = APIClient()
    bad_token.credentials(HTTP_AUTHORIZATION="Token not-a-token")
    assert bad_token.get(path).status_code in (401, 403)


def test_anonymous_cannot_raise(service_desk) -> None:
    answer = APIClient().post(
        "/api/cases/",
        {"customer": CustomerFactory().pk, "title": "t", "description": "d", "severity": "S3"},
        format="json",
    )
    assert answer.status_code in (401, 403)
    assert not Case.objects.exists()


# --- Bad input ------------------------------------------------------------------------------


def valid_case(**changes: object) -> dict[str, object]:
    return {
        "customer": CustomerFactory(name="Acme").pk,
        "title": "Title",
        "description": "Description",
        "severity": "S3",
        **changes,
    }


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"title": "x" * 201}, "title"),
        ({"title": ""}, "title"),
        ({"description": "x" * 20_001}, "description"),
        ({"severity": "S9"}, "severity"),
        ({"severity": 1}, "severity"),
        ({"impact": ["site"]}, "impact"),
        ({"customer": 999_999}, "customer"),
        ({"customer": "acme"}, "customer"),
        ({"customer": {"id": 1}}, "customer"),
        ({"customer": 2**70}, "customer"),
        ({"category": 999_999}, "category"),
        ({"tags": "not-a-list"}, "tags"),
        ({"tags": [f"t{i}" for i in range(11)]}, "tags"),
        ({"tags": ["x" * 51]}, "tags.0"),  # an item's errors are named by its path
        ({"title": "a\x00b"}, "title"),
        ({"status": "closed"}, "status"),
        ({"owner": 1}, "owner"),
    ],
)
def test_bad_case_input_gets_field_messages_and_writes_nothing(
    alice, service_desk, changes, field
) -> None:
    answer = api_for(alice).post("/api/cases/", valid_case(**changes), format="json")
    assert answer.status_code == 400, answer.content
    body = answer.json()
    assert body["detail"] == "Invalid input."
    assert field in body["errors"]
    assert all(isinstance(m, str) for m in body["errors"][field])
    assert not Case.objects.exists()
    assert not CaseEvent.objects.exists()


def test_a_lone_surrogate_in_json_text_is_a_field_error_not_a_crash(alice, service_desk) -> None:
    customer = CustomerFactory().pk
    raw = '{"customer": CUSTOMER, "title": "\\ud800", "description": "d", "severity": "S3"}'
    raw = raw.replace("CUSTOMER", str(customer))
    answer = api_for(alice).generic("POST", "/api/cases/", raw, content_type="application/json")
    assert answer.status_code == 400
    assert "title" in answer.json()["errors"]
    assert not Case.objects.exists()


def test_contact_of_another_customer_is_a_field_error(alice, service_desk) -> None:
    stranger = ContactFactory(customer=CustomerFactory(name="Globex"))
    answer = api_for(alice).post("/api/cases/", valid_case(contact=stranger.pk), format="json")
    assert answer.status_code == 400
    assert "contact" in answer.json()["errors"]
    assert not Case.objects.exists()


@pytest.mark.parametrize("raw", [b"{not json", b"[1, 2]", b'"a string"', b"null", b"\xff\xfe"])
def test_malformed_bodies_are_refused_with_400(bob, raw) -> None:
    answer = api_for(bob).generic("POST", "/api/cases/", raw, content_type="application/json")
    assert answer.status_code == 400
    assert "detail" in answer.json()
    assert not Case.objects.exists()


def test_non_json_bodies_are_refused_with_415(bob) -> None:
    answer = api_for(bob).post("/api/cases/", {"title": "t"}, format="multipart")
    assert answer.status_code == 415


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"severity": "S1"}, "severity"),
        ({"status": "closed"}, "status"),
        ({"owner": 1}, "owner"),
        ({"title": "x" * 201}, "title"),
        ({"category": "abc"}, "category"),
        ({"tags": [1, {}]}, "tags.1"),
    ],
)
def test_patch_refuses_fields_it_does_not_take_and_bad_values(bob, team_case, payload, field):  # type: ignore[no-untyped-def]
    answer = api_for(bob).patch(f"/api/cases/{team_case.reference}/", payload, format="json")
    assert answer.status_code == 400
    assert field in answer.json()["errors"]
    assert_untouched(team_case)


def test_patch_with_a_bad_field_writes_none_of_the_good_ones(bob, team_case) -> None:
    answer = api_for(bob).patch(
        f"/api/cases/{team_case.reference}/",
        {"title": "New", "severity": "S1"},
        format="json",
    )
    assert answer.status_code == 400
    assert answer.json()["errors"]["severity"] == [
        "Change the severity with POST .../severity/ and a reason."
    ]
    assert_untouched(team_case)


def test_a_refused_transition_is_400_with_the_reason(bob) -> None:
    case = case_in(Status.NEW)
    answer = api_for(bob).post(f"/api/cases/{case.reference}/status/", {"status": "waiting"})
    assert answer.status_code == 400
    body = answer.json()
    assert "acknowledge it before moving it to waiting on customer" in body["detail"]
    assert body["errors"] == {"status": [body["detail"]]}
    assert_untouched(case)


@pytest.mark.parametrize(
    ("action", "payload", "field"),
    [
        ("resolve", {"summary": "Fixed"}, "root_cause"),
        ("resolve", {"summary": "", "root_cause": 1}, "summary"),
        ("resolve", {"summary": "Fixed", "root_cause": 999_999}, "root_cause"),
        ("assign", {"owner": 1}, "reason"),
        ("assign", {"reason": "why"}, "owner"),
        ("assign", {"owner": 999_999, "reason": "x"}, "owner"),
        ("severity", {"severity": "S1"}, "reason"),
        ("severity", {"severity": "S1", "reason": "x" * 2001}, "reason"),
        ("notes", {"body": "x" * 20_001}, "body"),
        ("notes", {"body": "hi", "customer_facing": "perhaps"}, "customer_facing"),
        ("status", {"status": "resolved"}, "status"),
        ("links", {"target": "ESC-1", "kind": "cousin"}, "kind"),
        ("reopen", {}, "reason"),
    ],
)
def test_bad_action_input_gets_field_messages(bob, team_case, action, payload, field) -> None:
    answer = api_for(bob).post(
        f"/api/cases/{team_case.reference}/{action}/", payload, format="json"
    )
    assert answer.status_code == 400, answer.content
    assert field in answer.json()["errors"]
    assert_untouched(team_case)


def test_raising_is_throttled_harder_than_reading(alice, service_desk, monkeypatch) -> None:
    # A private cache and a tiny rate, so this test neither sees nor leaves other counts.
    monkeypatch.setattr(CaseCreateThrottle, "cache", LocMemCache("throttle-test", {}))
    monkeypatch.setattr(CaseCreateThrottle, "THROTTLE_RATES", {"case_create": "2/minute"})
    client = api_for(alice)
    codes = [client.post("/api/cases/", valid_case(), format="json").status_code for _ in range(3)]
    assert codes == [201, 201, 429]
    assert client.get("/api/cases/").status_code == 200
    assert Case.objects.count() == 2
