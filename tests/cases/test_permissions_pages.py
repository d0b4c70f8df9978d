"""The pages of whoever works a case: the case page offers the owner and her team-mates the
forms of working it (and no more), refuses them to the others as the POSTs do, and "My
escalations" finds the case escalated to her.

olga, of the service desk, owns the case; alice is her team-mate; charlie, of another team,
raised it; bob is a manager, erin an executive.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from cases.models import Case, Level, Status
from escalation.roles import Role
from tests.cases.factories import case_in
from tests.cases.web import HX, page_text, reload
from tests.conftest import client_for
from tests.factories import TeamFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def case(olga, charlie, service_desk) -> Case:  # type: ignore[no-untyped-def]
    return case_in(Status.NEW, owner=olga, team=service_desk, raised_by=charlie)


def detail(case: Case) -> str:
    return reverse("cases:detail", args=[case.reference])


def form_url(name: str, case: Case) -> str:
    return reverse("cases:action_form", args=[case.reference, name])


def panel(text: str) -> str:
    return text.split('id="case-actions"')[1].split("</section>")[0]


def test_the_owner_gets_the_forms_of_working_the_case_and_none_of_the_managers(olga, case) -> None:
    actions = panel(page_text(client_for(olga).get(detail(case))))
    assert "Work this case" in actions and "Manage this case" not in actions
    assert reverse("cases:acknowledge", args=[case.reference]) in actions
    assert form_url("assign", case) in actions
    for managers_only in ("severity", "link"):
        assert form_url(managers_only, case) not in actions


def test_a_working_case_offers_status_resolve_and_hand_on(alice, case) -> None:
    case.status = Status.IN_PROGRESS
    case.save()
    actions = panel(page_text(client_for(alice).get(detail(case))))
    for name in ("assign", "status", "resolve"):
        assert form_url(name, case) in actions
    assert reverse("cases:acknowledge", args=[case.reference]) not in actions


def test_the_owner_of_a_resolved_case_neither_reopens_nor_closes_it(olga, case) -> None:
    # Reopening and closing are the managers'.
    case.status = Status.RESOLVED
    case.save()
    text = page_text(client_for(olga).get(detail(case)))
    assert reverse("cases:note", args=[case.reference]) in text
    assert form_url("reopen", case) not in text
    assert reverse("cases:close", args=[case.reference]) not in text


def test_the_raiser_of_another_team_adds_notes_but_does_not_work_the_case(charlie, case) -> None:
    text = page_text(client_for(charlie).get(detail(case)))
    assert reverse("cases:note", args=[case.reference]) in text
    assert "Work this case" not in text and "Manage this case" not in text
    for htmx in ({}, HX):
        assert client_for(charlie).get(form_url("assign", case), **htmx).status_code == 403
    assert (
        client_for(charlie).post(reverse("cases:acknowledge", args=[case.reference])).status_code
        == 403
    )
    assert reload(case).status == Status.NEW


def test_the_manager_still_manages_the_owners_case(bob, case) -> None:
    actions = panel(page_text(client_for(bob).get(detail(case))))
    assert "Manage this case" in actions and form_url("severity", case) in actions


def test_an_engineer_is_offered_her_team_as_owners_and_a_manager_everyone(
    olga, alice, bob, charlie, case
) -> None:
    case.status = Status.IN_PROGRESS
    case.save()
    offered = page_text(client_for(olga).get(form_url("assign", case), **HX))
    assert f'value="{alice.pk}"' in offered and f'value="{charlie.pk}"' not in offered
    assert "choose the team alone" in offered
    everyone = page_text(client_for(bob).get(form_url("assign", case), **HX))
    assert f'value="{alice.pk}"' in everyone and f'value="{charlie.pk}"' in everyone


def test_handing_the_case_on_out_of_sight_leaves_the_page_for_home(olga, case) -> None:
    case.status = Status.IN_PROGRESS
    case.save()
    level2 = TeamFactory(name="Level 2", level=Level.L2)
    response = client_for(olga).post(
        reverse("cases:assign", args=[case.reference]),
        {"assign-team": level2.pk, "assign-reason": "Needs level 2"},
        **HX,
    )
    assert response.status_code == 200 and response["HX-Redirect"] == reverse("home")
    case = reload(case)
    assert (case.team, case.owner) == (level2, None)


def test_naming_a_person_of_another_team_is_refused_in_the_form(
    olga, charlie, other_team, case
) -> None:
    case.status = Status.IN_PROGRESS
    case.save()
    response = client_for(olga).post(
        reverse("cases:assign", args=[case.reference]),
        {"assign-team": other_team.pk, "assign-owner": charlie.pk, "assign-reason": "He knows"},
    )
    assert response.status_code == 200
    assert "without naming a person" in page_text(response)
    assert reload(case).owner == olga


# --- My escalations -----------------------------------------------------------------------------


def test_my_escalations_finds_the_case_escalated_to_her(charlie) -> None:
    level2 = TeamFactory(name="Level 2", level=Level.L2)
    ines = UserFactory(username="ines", first_name="Ines", role=Role.OPERATOR)
    level2.members.add(ines)
    hers = case_in(Status.NEW, owner=ines, team=level2, raised_by=charlie, level=Level.L2)
    team_case = case_in(Status.NEW, team=level2, raised_by=charlie, level=Level.L2)
    client = client_for(ines)
    everything = page_text(client.get(reverse("cases:mine")))
    assert hers.reference in everything and team_case.reference in everything
    assigned = page_text(client.get(reverse("cases:mine"), {"status": "open", "owner": ines.pk}))
    assert hers.reference in assigned and team_case.reference not in assigned
    assert '<span class="badge text-bg-primary">You</span>' in assigned
    assert 'aria-current="page" href="?status=open&amp;owner=' in assigned
