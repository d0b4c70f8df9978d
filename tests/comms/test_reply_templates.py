"""Reply templates: managers keep them on their page; the update box offers the shared ones and
those of the case's and the writer's teams, and fills the chosen one in for the case. A
placeholder that is not one is refused when the template is saved, and nothing the text says
is ever evaluated.

Personas of tests/conftest.py: alice (operator, service desk), bob (manager), charlie
(operator, another team), erin (executive).
"""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from cases.models import Case, Status
from comms.macros import macro_fill, placeholder_problems, placeholder_values
from comms.models import ReplyTemplate
from comms.services import reply_template_save
from escalation.errors import DomainError
from tests.cases.factories import case_in
from tests.conftest import client_for
from tests.factories import ContactFactory

pytestmark = pytest.mark.django_db

BODY = (
    "Dear {contact}, {customer}'s case {reference} is with {owner}; next update: {next_update_due}."
)


@pytest.fixture
def case(service_desk, alice) -> Case:  # type: ignore[no-untyped-def]
    case = case_in(Status.IN_PROGRESS, team=service_desk, owner=alice)
    case.contact = ContactFactory(customer=case.customer, name="Ana", email="ana@customer.example")
    case.save(update_fields=["contact"])
    return case


def template(name: str = "Ack", body: str = BODY, team=None) -> ReplyTemplate:  # type: ignore[no-untyped-def]
    return ReplyTemplate.objects.create(name=name, body=body, team=team, updated_at=timezone.now())


# --- Placeholders ------------------------------------------------------------------------------


def test_placeholders_are_filled_in_for_the_case(case: Case) -> None:
    text = macro_fill(BODY, placeholder_values(case=case))
    assert text == (
        f"Dear Ana, {case.customer.name}'s case {case.reference} is with Alice; "
        "next update: not scheduled."
    )


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ("Hi {name}", "{name} is not a placeholder."),
        ("Hi {customer.__class__}", "is not a placeholder"),
        ("Hi {owner!r}", "without anything after its name"),
        ("Hi {owner:>40}", "without anything after its name"),
        ("Hi {0}", "{0} is not a placeholder."),
        ("Hi {customer", "braces do not match"),
        ("Hi customer}", "braces do not match"),
    ],
)
def test_a_template_that_names_anything_but_a_placeholder_is_refused(
    body: str, problem: str, bob
) -> None:
    assert any(problem in p for p in placeholder_problems(body))
    with pytest.raises(DomainError, match="placeholder|braces|anything"):
        reply_template_save(by=bob, name="Bad", body=body, team=None)
    assert not ReplyTemplate.objects.exists()


def test_doubled_braces_are_braces_and_a_template_written_by_other_means_is_never_evaluated(
    case: Case,
) -> None:
    values = placeholder_values(case=case)
    assert placeholder_problems("Use {{reference}} as {reference}") == []
    assert macro_fill("Use {{reference}} as {reference}", values) == (
        f"Use {{reference}} as {case.reference}"
    )
    assert macro_fill("{customer.__class__} {owner!r} {x}", values) == (
        "{customer.__class__} {owner!r} {x}"
    )
    assert macro_fill("Hi {customer", values) == "Hi {customer"


# --- The managers' page ------------------------------------------------------------------------


def test_a_manager_adds_a_template_and_an_unknown_placeholder_is_a_form_error(
    bob, service_desk
) -> None:
    client = client_for(bob)
    url = reverse("comms:reply_templates")
    refused = client.post(url, {"name": "Ack", "team": "", "body": "Hi {nmae}"})
    assert refused.status_code == 400
    assert "{nmae} is not a placeholder." in refused.content.decode()
    assert not ReplyTemplate.objects.exists()

    saved = client.post(url, {"name": "Ack", "team": service_desk.pk, "body": BODY})
    assert saved.status_code == 302
    [kept] = ReplyTemplate.objects.all()
    assert (kept.name, kept.team, kept.body, kept.updated_by) == ("Ack", service_desk, BODY, bob)
    again = client.post(url, {"name": "Ack", "team": service_desk.pk, "body": "Hi"})
    assert again.status_code == 400 and "already have one named" in again.content.decode()


def test_a_manager_changes_and_deletes_a_template(bob) -> None:
    kept = template()
    client = client_for(bob)
    changed = client.post(
        reverse("comms:reply_template", args=[kept.pk]),
        {"name": "Ack 2", "team": "", "body": "Hi {owner}"},
    )
    assert changed.status_code == 302
    kept.refresh_from_db()
    assert (kept.name, kept.body) == ("Ack 2", "Hi {owner}")
    assert client.post(reverse("comms:reply_template_delete", args=[kept.pk])).status_code == 302
    assert not ReplyTemplate.objects.exists()


@pytest.mark.parametrize("persona", ["alice", "erin"])
def test_operators_and_executives_may_not_keep_templates(persona: str, request) -> None:
    client = client_for(request.getfixturevalue(persona))
    kept = template()
    assert client.get(reverse("comms:reply_templates")).status_code == 403
    assert (
        client.post(reverse("comms:reply_templates"), {"name": "X", "body": "Hi"}).status_code
        == 403
    )
    assert client.post(reverse("comms:reply_template_delete", args=[kept.pk])).status_code == 403
    assert ReplyTemplate.objects.count() == 1
    with pytest.raises(Exception, match="managers"):
        reply_template_save(by=request.getfixturevalue(persona), name="X", body="Hi", team=None)


# --- The update box ----------------------------------------------------------------------------


def test_the_update_box_offers_shared_and_own_team_templates_only(
    case: Case, alice, service_desk, other_team
) -> None:
    template("Shared")
    template("Desk", team=service_desk)
    template("Field", team=other_team)
    response = client_for(alice).get(reverse("comms:reply_template_picker", args=[case.reference]))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Shared" in html and "Desk (Service desk)" in html and "Field" not in html


def test_choosing_a_template_fills_the_message_in_for_the_case_and_makes_it_customer_facing(
    case: Case, alice
) -> None:
    chosen = template()
    response = client_for(alice).get(
        reverse("comms:reply_template_fill", args=[case.reference]), {"template": chosen.pk}
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert (
        'id="id_note-body"' in html
        and f"Dear Ana, {case.customer.name}&#x27;s case {case.reference}" in html
    )
    assert 'value="customer" checked hx-swap-oob="true"' in html


def test_another_teams_template_and_a_bad_choice_are_not_found(
    case: Case, alice, other_team
) -> None:
    theirs = template("Field", team=other_team)
    url = reverse("comms:reply_template_fill", args=[case.reference])
    client = client_for(alice)
    assert client.get(url, {"template": theirs.pk}).status_code == 404
    assert client.get(url, {"template": "1 OR 1=1"}).status_code == 404


def test_the_update_box_of_a_case_one_may_not_see_or_write_to_is_refused(
    case: Case, charlie, erin
) -> None:
    chosen = template()
    picker = reverse("comms:reply_template_picker", args=[case.reference])
    fill = reverse("comms:reply_template_fill", args=[case.reference])
    assert client_for(charlie).get(picker).status_code == 404
    assert client_for(charlie).get(fill, {"template": chosen.pk}).status_code == 404
    assert client_for(erin).get(picker).status_code == 403
    assert client_for(erin).get(fill, {"template": chosen.pk}).status_code == 403
