"""Bad input is a 4xx with a clear message, never a 500: case references written with other
scripts' digits, JSON nested too deep, path segments that are not ids; and the choices a
resolution and an assignment refuse (root-cause groups, executives)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from cases.models import Case, CaseEvent, CaseLink, Status
from tests.cases.factories import case_in, root_cause
from tests.cases.test_api import api_for
from tests.conftest import client_for

pytestmark = pytest.mark.django_db

# Digits str.isdigit() accepts and int() reads (or chokes on): superscript, circled, Arabic-Indic.
ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
ODD_REFERENCES = ["ESC-²", "ESC-①", "ESC-1²", "²"]


@pytest.fixture
def team_case(alice, service_desk) -> Case:  # type: ignore[no-untyped-def]
    return case_in(Status.IN_PROGRESS, raised_by=alice, team=service_desk)


def arabic_indic(case: Case) -> str:
    """The case's reference with the same digits in Arabic-Indic script."""
    return f"ESC-{str(case.pk).translate(ARABIC_INDIC)}"


@pytest.mark.parametrize("reference", [*ODD_REFERENCES, "ESC-١٢٣", "١٢٣", "ESC-𝟏"])
def test_a_reference_with_digits_of_another_script_names_no_case(reference) -> None:
    assert Case.pk_from_reference(reference) is None


def test_references_with_ascii_digits_still_resolve() -> None:
    assert Case.pk_from_reference("ESC-000123") == 123
    assert Case.pk_from_reference(" esc-7 ") == 7
    assert Case.pk_from_reference("42") == 42


def test_case_pages_answer_404_for_references_with_other_digits(bob, team_case) -> None:
    client = client_for(bob)
    for reference in [*ODD_REFERENCES, arabic_indic(team_case)]:
        for name in ("cases:detail", "cases:timeline"):
            response = client.get(reverse(name, args=[reference]))
            assert response.status_code == 404, (name, reference, response.status_code)
        review = client.get(reverse("reviews:review", args=[reference]))
        assert review.status_code == 404, reference
        related = client.get(reverse("reviews:related"), {"case": reference})
        assert related.status_code == 404, reference
        note = client.post(reverse("cases:note", args=[reference]), {"note-body": "hi"})
        assert note.status_code == 404, reference
    assert not CaseEvent.objects.exists()


def test_the_api_answers_json_404_for_references_with_other_digits(bob, team_case) -> None:
    client = api_for(bob)
    for reference in [*ODD_REFERENCES, arabic_indic(team_case)]:
        for suffix in ("", "timeline/"):
            answer = client.get(f"/api/cases/{reference}/{suffix}")
            assert answer.status_code == 404, (reference, suffix)
            assert answer.json() == {"detail": "No such case."}
        note = client.post(f"/api/cases/{reference}/notes/", {"body": "hi"}, format="json")
        assert note.status_code == 404
    assert not CaseEvent.objects.exists()


def test_searching_for_references_with_other_digits_finds_nothing(alice, bob, team_case) -> None:
    for reference in [*ODD_REFERENCES, arabic_indic(team_case)]:
        queue = client_for(bob).get(reverse("cases:queue"), {"q": reference})
        assert queue.status_code == 200 and team_case.reference not in queue.content.decode()
        mine = client_for(alice).get(reverse("cases:mine"), {"q": reference, "filtered": "1"})
        assert mine.status_code == 200 and team_case.reference not in mine.content.decode()
        listed = api_for(bob).get("/api/cases/", {"q": reference})
        assert listed.status_code == 200 and listed.json()["results"] == []


def test_linking_to_a_reference_with_other_digits_is_a_field_error(bob, team_case) -> None:
    other = case_in(Status.NEW)
    for reference in [*ODD_REFERENCES, arabic_indic(other)]:
        page = client_for(bob).post(
            reverse("cases:link", args=[team_case.reference]),
            {"link-reference": reference, "link-kind": "related"},
        )
        assert page.status_code in (200, 400), (reference, page.status_code)
        assert "not a case reference" in page.content.decode()
        answer = api_for(bob).post(
            f"/api/cases/{team_case.reference}/links/",
            {"target": reference, "kind": "related"},
            format="json",
        )
        assert answer.status_code == 400, reference
        assert "target" in answer.json()["errors"]
    assert not CaseLink.objects.exists()


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


@pytest.mark.parametrize("body", [nested(1_000), '{"title": ' + nested(5_000) + "}"])
def test_json_nested_too_deep_is_a_400_with_a_clear_message(bob, team_case, body) -> None:
    client = api_for(bob)
    for method, path in [
        ("POST", "/api/cases/"),
        ("PATCH", f"/api/cases/{team_case.reference}/"),
        ("POST", f"/api/cases/{team_case.reference}/notes/"),
    ]:
        answer = client.generic(method, path, body, content_type="application/json")
        assert answer.status_code == 400, (method, path, answer.status_code)
        assert "nested too deeply" in answer.json()["detail"]
    assert Case.objects.count() == 1
    assert not CaseEvent.objects.exists()


def test_json_nested_a_little_is_still_read(bob, team_case) -> None:
    answer = api_for(bob).post(
        f"/api/cases/{team_case.reference}/notes/", {"body": "ok"}, format="json"
    )
    assert answer.status_code == 201


@pytest.mark.parametrize("segment", ["null,null", "null", "-1", "1.5", "%20", "9" * 30, "١"])
def test_team_members_of_a_team_that_is_not_an_id_is_a_json_404(bob, segment) -> None:
    answer = api_for(bob).get(f"/api/teams/{segment}/members/")
    assert answer.status_code == 404, segment
    assert answer["Content-Type"] == "application/json"
    assert answer.json() == {"detail": "No such team."}


def test_team_members_of_a_real_team_are_listed(bob, alice, service_desk) -> None:
    answer = api_for(bob).get(f"/api/teams/{service_desk.pk}/members/")
    assert answer.status_code == 200
    assert [person["username"] for person in answer.json()] == ["alice"]


# --- Choices a resolution and an assignment refuse -------------------------------------------


def test_the_api_refuses_a_root_cause_group_as_the_root_cause(bob, team_case) -> None:
    cause = root_cause(name="Missing runbook", group="Process")
    answer = api_for(bob).post(
        f"/api/cases/{team_case.reference}/resolve/",
        {"summary": "Fixed", "root_cause": cause.parent_id},
        format="json",
    )
    assert answer.status_code == 400
    assert "root_cause" in answer.json()["errors"]
    team_case.refresh_from_db()
    assert team_case.status == Status.IN_PROGRESS
    answer = api_for(bob).post(
        f"/api/cases/{team_case.reference}/resolve/",
        {"summary": "Fixed", "root_cause": cause.pk},
        format="json",
    )
    assert answer.status_code == 200


def test_the_resolve_page_refuses_a_root_cause_group(bob, team_case) -> None:
    cause = root_cause(name="Missing runbook", group="Process")
    response = client_for(bob).post(
        reverse("cases:resolve", args=[team_case.reference]),
        {"resolve-summary": "Fixed", "resolve-root_cause": cause.parent_id},
    )
    assert response.status_code in (200, 400)
    assert "root_cause" in response.context["forms"]["resolve"].errors
    team_case.refresh_from_db()
    assert team_case.status == Status.IN_PROGRESS


def test_the_api_refuses_an_executive_as_owner_of_a_case(bob, erin, team_case) -> None:
    answer = api_for(bob).post(
        f"/api/cases/{team_case.reference}/assign/",
        {"owner": erin.pk, "reason": "She asked"},
        format="json",
    )
    assert answer.status_code == 400
    assert "owner" in answer.json()["errors"]
    team_case.refresh_from_db()
    assert team_case.owner_id is None
