"""Handing a case back to its team's queue with no owner: ``case_assign(unassign=True)``, the
assign form's "No owner" choice and the API's ``unassign``. Its owner, her team-mates and
managers may; whoever does not work the case may not."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from cases.models import Case, CaseEvent, EventKind, Status
from cases.services import case_assign
from escalation.errors import DomainError
from escalation.roles import Role
from tests.cases.factories import case_in
from tests.conftest import client_for
from tests.factories import TeamFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def mate(service_desk):  # type: ignore[no-untyped-def]
    user = UserFactory(username="mate", first_name="Mate", role=Role.OPERATOR)
    service_desk.members.add(user)
    return user


@pytest.fixture
def alices_case(alice, service_desk) -> Case:
    return case_in(Status.IN_PROGRESS, team=service_desk, owner=alice)


def reload(case: Case) -> Case:
    return Case.objects.get(pk=case.pk)


def assign_events(case: Case) -> list[CaseEvent]:
    return list(CaseEvent.objects.filter(case=case, kind=EventKind.ASSIGNED))


@pytest.mark.parametrize("who", ["alice", "mate", "bob"])
def test_the_owner_a_team_mate_or_a_manager_hands_the_case_back_to_the_teams_queue(
    who: str, request: Any, alices_case: Case, service_desk: Any
) -> None:
    by = request.getfixturevalue(who)
    case = case_assign(case=alices_case, by=by, unassign=True, reason="Off sick this week")
    case = reload(case)
    assert (case.owner, case.team, case.level) == (None, service_desk, "L1")
    (event,) = assign_events(case)
    assert event.from_value == "Alice (Service desk, L1)"
    assert event.to_value == "unassigned (Service desk, L1)"
    assert event.reason == "Off sick this week"
    assert event.data["owner"] == [request.getfixturevalue("alice").pk, None]


def test_an_engineer_hands_the_case_unassigned_to_another_teams_queue(alice, alices_case) -> None:
    level2 = TeamFactory(name="Level 2", level="L2")
    case = reload(case_assign(case=alices_case, by=alice, team=level2, unassign=True, reason="L2"))
    assert (case.owner, case.team, case.level) == (None, level2, "L2")


def test_an_operator_of_another_team_is_refused(charlie, alices_case) -> None:
    with pytest.raises(PermissionDenied):
        case_assign(case=alices_case, by=charlie, unassign=True, reason="Not mine")
    assert reload(alices_case).owner is not None and assign_events(alices_case) == []


def test_an_executive_is_refused(erin, alices_case) -> None:
    with pytest.raises(PermissionDenied):
        case_assign(case=alices_case, by=erin, unassign=True, reason="Tidy up")
    assert reload(alices_case).owner is not None


def test_no_owner_and_an_owner_at_once_is_refused(bob, mate, alices_case) -> None:
    with pytest.raises(DomainError, match="not both") as refused:
        case_assign(case=alices_case, by=bob, owner=mate, unassign=True, reason="Both")
    assert refused.value.field == "owner"
    assert reload(alices_case).owner is not None


def test_a_case_without_a_team_cannot_go_back_to_its_queue(bob, alice) -> None:
    case = case_in(Status.IN_PROGRESS, team=None, owner=alice)
    with pytest.raises(DomainError, match="no team") as refused:
        case_assign(case=case, by=bob, unassign=True, reason="Queue")
    assert refused.value.field == "team"
    assert reload(case).owner == alice


def test_a_case_already_in_its_teams_queue_is_refused(bob, service_desk) -> None:
    case = case_in(Status.IN_PROGRESS, team=service_desk)
    with pytest.raises(DomainError, match="already assigned that way"):
        case_assign(case=case, by=bob, unassign=True, reason="Again")
    assert assign_events(case) == []


def test_a_closed_case_is_refused(bob, alice, service_desk) -> None:
    case = case_in(Status.CLOSED, team=service_desk, owner=alice)
    with pytest.raises(DomainError):
        case_assign(case=case, by=bob, unassign=True, reason="Closed")
    assert reload(case).owner == alice


# --- The case page's assign form ----------------------------------------------------------


def test_the_owner_chooses_no_owner_in_the_assign_form(alice, alices_case) -> None:
    response = client_for(alice).post(
        reverse("cases:assign", args=[alices_case.reference]),
        {"assign-unassign": "on", "assign-reason": "Off sick"},
        follow=True,
    )
    assert "back in Service desk&#x27;s queue, with no owner" in response.content.decode()
    assert reload(alices_case).owner is None


def test_the_form_refuses_no_owner_together_with_an_owner(alice, mate, alices_case) -> None:
    response = client_for(alice).post(
        reverse("cases:assign", args=[alices_case.reference]),
        {"assign-unassign": "on", "assign-owner": mate.pk, "assign-reason": "Both"},
    )
    assert response.status_code == 200
    assert "not both" in str(response.context["forms"]["assign"].errors["owner"])
    assert reload(alices_case).owner is not None


def test_the_assign_form_offers_no_owner(alice, alices_case) -> None:
    response = client_for(alice).get(
        reverse("cases:action_form", args=[alices_case.reference, "assign"]),
        headers={"HX-Request": "true"},
    )
    assert 'name="assign-unassign"' in response.content.decode()
    assert "No owner: back to the team" in response.content.decode()


def test_another_teams_operator_is_refused_the_page_action(charlie, alices_case) -> None:
    response = client_for(charlie).post(
        reverse("cases:assign", args=[alices_case.reference]),
        {"assign-unassign": "on", "assign-reason": "Not mine"},
    )
    assert response.status_code == 404
    assert reload(alices_case).owner is not None


# --- The API --------------------------------------------------------------------------------


def api_assign(user: Any, case: Case, payload: dict[str, Any]) -> Any:
    client = client_for(user)
    url = reverse("cases_api:assign", args=[case.reference])
    return client.post(url, payload, content_type="application/json")


def test_the_api_hands_the_case_back_to_the_teams_queue(mate, alices_case) -> None:
    response = api_assign(mate, alices_case, {"unassign": True, "reason": "Alice is away"})
    assert response.status_code == 200, response.content
    assert response.json()["owner"] is None
    assert reload(alices_case).owner is None


def test_the_api_refuses_unassign_with_an_owner(bob, mate, alices_case) -> None:
    response = api_assign(bob, alices_case, {"unassign": True, "owner": mate.pk, "reason": "x"})
    assert response.status_code == 400
    assert reload(alices_case).owner is not None


def test_the_api_refuses_an_executive_and_another_teams_operator(
    erin, charlie, alices_case
) -> None:
    assert api_assign(erin, alices_case, {"unassign": True, "reason": "x"}).status_code == 403
    assert api_assign(charlie, alices_case, {"unassign": True, "reason": "x"}).status_code == 404
    assert reload(alices_case).owner is not None
