"""Who may see and change where a case's updates go: those who see the case see the panel; those
who work it (its team's operators, managers) change the CC contacts and send failed mail again;
executives and other teams are refused, each refusal next to its success."""

from __future__ import annotations

import pytest
from django.urls import reverse

from cases.models import Case, Status
from comms.models import CaseCc
from comms.services import case_cc_add
from escalation.roles import Role
from tests.cases.factories import case_in
from tests.conftest import client_for
from tests.factories import ContactFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def case(service_desk, charlie) -> Case:  # type: ignore[no-untyped-def]
    # Raised by charlie (another team): he sees it, but does not work it.
    return case_in(Status.IN_PROGRESS, team=service_desk, raised_by=charlie)


def add(client, case: Case, email: str = "bo@customer.example"):  # type: ignore[no-untyped-def]
    return client.post(
        reverse("comms:cc_add", args=[case.reference]), {"cc-email": email, "cc-name": "Bo"}
    )


@pytest.mark.parametrize("persona", ["alice", "bob"])
def test_those_who_work_the_case_add_and_remove_cc_contacts(
    persona: str, request, case: Case
) -> None:
    client = client_for(request.getfixturevalue(persona))
    assert add(client, case).status_code == 302
    [cc] = CaseCc.objects.all()
    assert (
        "Add a CC contact"
        in client.get(reverse("comms:case_panel", args=[case.reference])).content.decode()
    )
    response = client.post(reverse("comms:cc_remove", args=[case.reference, cc.pk]))
    assert response.status_code == 302 and not CaseCc.objects.exists()


def test_the_raiser_of_another_team_and_an_executive_see_the_panel_but_change_nothing(
    case: Case, charlie, erin, alice
) -> None:
    cc = case_cc_add(case=case, by=alice, contact=ContactFactory(customer=case.customer))
    for user in (charlie, erin):
        client = client_for(user)
        panel = client.get(reverse("comms:case_panel", args=[case.reference]))
        assert panel.status_code == 200 and cc.contact.email in panel.content.decode()
        assert "Add a CC contact" not in panel.content.decode()
        assert add(client, case, "zed@customer.example").status_code == 403
        assert (
            client.post(reverse("comms:cc_remove", args=[case.reference, cc.pk])).status_code == 403
        )
        assert client.post(reverse("comms:resend", args=[case.reference])).status_code == 403
    assert list(CaseCc.objects.all()) == [cc]


def test_an_operator_of_another_team_who_may_not_see_the_case_is_told_it_does_not_exist(
    service_desk, other_team
) -> None:
    case = case_in(Status.IN_PROGRESS, team=service_desk)
    dave = UserFactory(username="dave", role=Role.OPERATOR)
    other_team.members.add(dave)
    client = client_for(dave)
    assert client.get(reverse("comms:case_panel", args=[case.reference])).status_code == 404
    assert add(client, case).status_code == 404
    assert not CaseCc.objects.exists()


def test_a_bad_address_is_refused_and_said_so_on_the_case(case: Case, alice) -> None:
    client = client_for(alice)
    response = add(client, case, "not an address")
    assert response.status_code == 302 and not CaseCc.objects.exists()
    page = client.get(reverse("cases:detail", args=[case.reference])).content.decode()
    assert "The contact was not added" in page
