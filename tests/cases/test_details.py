"""Editing a case's details on the case page and through the API: those who work the case
(its owner, its team, managers) may; each changed field is one timeline event with its before
and after; bad input is a form error and writes nothing."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from cases.forms_details import details_initial
from cases.models import Case, CaseEvent, EventKind, Impact, Status
from escalation.roles import Role
from tests.cases.factories import TagFactory, case_in
from tests.cases.test_api import api_for
from tests.cases.web import HX, page_text, reload
from tests.conftest import client_for
from tests.factories import ProductFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def case(charlie, service_desk) -> Case:  # type: ignore[no-untyped-def]
    """The service desk's case, raised by charlie of another team (he sees it, does not work
    it)."""
    case = case_in(
        Status.IN_PROGRESS,
        raised_by=charlie,
        team=service_desk,
        title="Checkout fails",
        description="Error 502 at payment.",
    )
    case.tags.add(TagFactory(name="checkout"))
    return case


@pytest.fixture
def dave(other_team):  # type: ignore[no-untyped-def]
    """An operator of another team, who may not even see the service desk's case."""
    user = UserFactory(username="dave", first_name="Dave", role=Role.OPERATOR)
    other_team.members.add(user)
    return user


def as_posted(case: Case, **changes: Any) -> dict[str, Any]:
    """The details form as the page shows it for ``case``, with ``changes`` typed in: every
    field and the value it showed (``initial-``)."""
    shown = {k: "" if v is None else v for k, v in details_initial(case).items()}
    data = {f"details-{k}": v for k, v in shown.items()}
    data |= {f"initial-details-{k}": v for k, v in shown.items()}
    data |= {f"details-{k}": v for k, v in changes.items()}
    return data


def edits(case: Case) -> dict[str, CaseEvent]:
    return {e.data["field"]: e for e in CaseEvent.objects.filter(case=case, kind=EventKind.EDITED)}


def details_url(case: Case) -> str:
    return reverse("cases:details", args=[case.reference])


# --- The form -------------------------------------------------------------------------------


def test_the_details_form_is_fetched_with_the_cases_details(alice, case) -> None:
    url = reverse("cases:action_form", args=[case.reference, "details"])
    html = page_text(client_for(alice).get(url, **HX))
    assert 'name="details-title" value="Checkout fails"' in html
    assert 'name="initial-details-title" value="Checkout fails"' in html
    assert "Error 502 at payment." in html
    assert 'value="checkout"' in html
    assert f'action="{details_url(case)}"' in html


def test_the_case_page_offers_edit_details_to_those_who_work_the_case_only(
    alice, bob, charlie, erin, case
) -> None:
    page = reverse("cases:detail", args=[case.reference])
    for person in (alice, bob):
        assert "Edit details" in page_text(client_for(person).get(page))
    for person in (charlie, erin):
        assert "Edit details" not in page_text(client_for(person).get(page))


# --- Saving ---------------------------------------------------------------------------------


def test_teammate_edits_details_and_each_changed_field_is_one_event(alice, case) -> None:
    product = ProductFactory(name="Payments")
    response = client_for(alice).post(
        details_url(case),
        as_posted(
            case,
            title="Checkout fails with 502",
            product=product.pk,
            impact=Impact.SITE,
            tags="checkout, payments",
        ),
    )
    assert response.status_code == 302
    case = reload(case)
    assert (case.title, case.product, case.impact) == (
        "Checkout fails with 502",
        product,
        Impact.SITE,
    )
    assert sorted(case.tags.values_list("name", flat=True)) == ["checkout", "payments"]
    events = edits(case)
    assert set(events) == {"title", "product", "impact", "tags"}
    shown = {name: (e.from_value, e.to_value) for name, e in events.items()}
    assert shown["title"] == ("Checkout fails", "Checkout fails with 502")
    assert shown["impact"] == ("One user", "A site or department")
    assert shown["tags"] == ("checkout", "checkout, payments")
    assert shown["product"][1] == "Payments"
    assert {e.actor for e in events.values()} == {alice}


def test_the_timeline_shows_each_edited_field_before_and_after(alice, case) -> None:
    client_for(alice).post(details_url(case), as_posted(case, title="New title"))
    html = page_text(client_for(alice).get(reverse("cases:detail", args=[case.reference])))
    assert "Title:</span>" in html
    assert "Checkout fails</span>" in html
    assert "New title" in html


def test_the_owner_edits_details_of_a_case_of_another_team(alice, other_team) -> None:
    case = case_in(Status.IN_PROGRESS, team=other_team, owner=alice, raised_by=alice)
    response = client_for(alice).post(details_url(case), as_posted(case, title="Mine"))
    assert response.status_code == 302
    assert reload(case).title == "Mine"


def test_a_description_edit_is_swapped_into_the_page_with_htmx(bob, case) -> None:
    response = client_for(bob).post(
        details_url(case), as_posted(case, description="Error 504 now."), **HX
    )
    html = page_text(response)
    assert 'id="case-description"' in html
    assert "Error 504 now." in html
    event = edits(case)["description"]
    assert event.data["changes"]["description"] == ["Error 502 at payment.", "Error 504 now."]


def test_fields_left_as_shown_are_not_sent_so_an_edit_made_meanwhile_stays(
    alice, bob, case
) -> None:
    seen = as_posted(case, description="Also fails on mobile.")
    client_for(bob).post(details_url(case), as_posted(case, title="Renamed by Bob"))
    client_for(alice).post(details_url(case), seen)
    case = reload(case)
    assert (case.title, case.description) == ("Renamed by Bob", "Also fails on mobile.")


def test_saving_the_form_unchanged_writes_nothing(alice, case) -> None:
    response = client_for(alice).post(details_url(case), as_posted(case, tags="checkout "))
    assert response.status_code == 302
    assert not edits(case)


def test_clearing_the_product_is_an_event_with_an_empty_after(alice, case) -> None:
    client_for(alice).post(details_url(case), as_posted(case, product=""))
    assert reload(case).product is None
    assert edits(case)["product"].to_value == ""


# --- Bad input and refusals -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"title": ""}, "title", "This field is required."),
        ({"impact": "everything"}, "impact", "Select a valid choice."),
        ({"tags": " ".join(f"t{n}" for n in range(11))}, "tags", "At most 10 tags"),
        ({"title": "Two\u0007bells"}, "title", "control character"),
    ],
)
def test_bad_input_is_a_form_error_and_nothing_is_written(
    alice, case, changes, field, message
) -> None:
    before = (case.title, case.impact, sorted(case.tags.values_list("name", flat=True)))
    response = client_for(alice).post(details_url(case), as_posted(case, **changes), **HX)
    assert response.status_code == 200
    html = page_text(response)
    assert f'id="id_details-{field}_error"' in html
    assert message in html
    case = reload(case)
    assert (case.title, case.impact, sorted(case.tags.values_list("name", flat=True))) == before
    assert not CaseEvent.objects.filter(case=case).exists()


def test_executives_and_an_operator_of_another_team_are_refused(charlie, erin, case) -> None:
    for person in (charlie, erin):
        response = client_for(person).post(details_url(case), as_posted(case, title="No"))
        assert response.status_code == 403
        form = reverse("cases:action_form", args=[case.reference, "details"])
        assert client_for(person).get(form, **HX).status_code == 403
    assert reload(case).title == "Checkout fails"
    assert not CaseEvent.objects.filter(case=case).exists()


def test_an_operator_who_may_not_see_the_case_gets_404(dave, case) -> None:
    response = client_for(dave).post(details_url(case), as_posted(case, title="No"))
    assert response.status_code == 404
    assert reload(case).title == "Checkout fails"


def test_a_closed_case_is_not_edited(alice, service_desk) -> None:
    case = case_in(Status.CLOSED, raised_by=alice, team=service_desk, title="Done")
    response = client_for(alice).post(details_url(case), as_posted(case, title="Reopened?"))
    assert response.status_code == 200
    assert f"{case.reference} is closed: it cannot be edited." in page_text(response)
    assert reload(case).title == "Done"


# --- The API --------------------------------------------------------------------------------


def test_api_patch_by_a_teammate_writes_one_event_per_field(alice, case) -> None:
    url = reverse("cases_api:detail", args=[case.reference])
    response = api_for(alice).patch(url, {"title": "From the API", "tags": ["vpn"]}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["tags"] == ["vpn"]
    assert set(edits(case)) == {"title", "tags"}


def test_api_patch_refuses_executives_and_an_operator_of_another_team(charlie, erin, case) -> None:
    url = reverse("cases_api:detail", args=[case.reference])
    for person in (charlie, erin):
        assert api_for(person).get(url).status_code == 200
        response = api_for(person).patch(url, {"title": "No"}, format="json")
        assert response.status_code == 403
    assert reload(case).title == "Checkout fails"
