"""The forms of the case pages on their own: what they accept, refuse and hand on."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import QueryDict

from cases.forms import (
    MAX_FILES,
    AssignForm,
    BulkForm,
    CaseRaiseForm,
    LinkForm,
    NoteForm,
    ResolveForm,
    StatusForm,
    parse_id,
)
from escalation.roles import Role
from tests.cases.factories import root_cause
from tests.factories import ContactFactory, CustomerFactory, RootCauseFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("12", 12),
        (" 7 ", 7),
        ("0", None),
        ("-1", None),
        ("1e3", None),
        ("", None),
        (None, None),
        ("9" * 19, None),
        ("١٢", None),
    ],
)
def test_parse_id_accepts_only_plain_positive_numbers(raw, expected) -> None:
    assert parse_id(raw) == expected


def test_raise_form_offers_the_contacts_of_the_chosen_customer_only() -> None:
    acme = CustomerFactory(name="Acme")
    dana = ContactFactory(customer=acme)
    ContactFactory(customer=CustomerFactory(name="Other"))
    assert list(CaseRaiseForm(initial={"customer": acme.pk}).fields["contact"].queryset) == [dana]
    assert list(CaseRaiseForm().fields["contact"].queryset) == []


def test_raise_form_refuses_an_inactive_customer() -> None:
    gone = CustomerFactory(name="Gone", is_active=False)
    form = CaseRaiseForm(
        {"customer": gone.pk, "severity": "S1", "impact": "site", "title": "t", "description": "d"}
    )
    assert not form.is_valid()
    assert "customer" in form.errors


def test_raise_form_refuses_more_than_the_file_limit() -> None:
    acme = CustomerFactory(name="Acme")
    files = QueryDict(mutable=True)
    files.setlist(
        "attachments",
        [SimpleUploadedFile(f"{i}.txt", b"x", "text/plain") for i in range(MAX_FILES + 1)],
    )
    form = CaseRaiseForm(
        {"customer": acme.pk, "severity": "S1", "impact": "site", "title": "t", "description": "d"},
        files,
    )
    assert not form.is_valid()
    assert form.errors["attachments"] == [f"Attach at most {MAX_FILES} files at a time."]


def test_raise_form_marks_invalid_fields_for_screen_readers() -> None:
    form = CaseRaiseForm({"title": ""})
    form.is_valid()
    widget = str(form["title"])
    assert 'aria-invalid="true"' in widget
    assert 'aria-describedby="id_title_helptext id_title_error"' in widget
    assert "is-invalid" in widget


def test_note_form_tells_internal_from_customer_facing() -> None:
    internal = NoteForm({"body": "x", "visibility": "internal"})
    customer = NoteForm({"body": "x", "visibility": "customer"})
    assert internal.is_valid() and customer.is_valid()
    assert (internal.customer_facing, customer.customer_facing) == (False, True)
    assert not NoteForm({"body": "x", "visibility": "public"}).is_valid()


def test_assign_form_needs_a_team_or_an_owner_and_a_reason() -> None:
    form = AssignForm({"reason": "because"})
    assert not form.is_valid()
    assert form.non_field_errors() == ["Choose a team, an owner or both."]
    assert "reason" in AssignForm({}).errors


def test_assign_form_offers_only_people_who_can_hold_cases() -> None:
    operator = UserFactory(username="op", role=Role.OPERATOR)
    manager = UserFactory(username="mgr", role=Role.MANAGER)
    UserFactory(username="exec", role=Role.EXECUTIVE)
    UserFactory(username="none")
    inactive = UserFactory(username="gone", role=Role.OPERATOR)
    inactive.is_active = False
    inactive.save()
    assert set(AssignForm().fields["owner"].queryset) == {operator, manager}


def test_status_form_offers_only_working_statuses() -> None:
    values = [value for value, _ in StatusForm().fields["status"].choices]
    assert values == ["in_progress", "waiting"]


@pytest.mark.parametrize("reference", ["ESC-000012", "esc-12", " 12 "])
def test_link_form_accepts_references_in_any_case(reference) -> None:
    form = LinkForm({"reference": reference, "kind": "related"})
    assert form.is_valid(), form.errors


@pytest.mark.parametrize("reference", ["ESC-", "ticket 12", "ESC-12a", "x" * 21])
def test_link_form_refuses_what_is_not_a_reference(reference) -> None:
    assert not LinkForm({"reference": reference, "kind": "related"}).is_valid()


@pytest.mark.parametrize("reference", ["ESC-²", "ESC-①", "ESC-١٢٣", "١٢٣", "ESC-1²"])
def test_link_form_refuses_references_with_other_scripts_digits(reference) -> None:
    form = LinkForm({"reference": reference, "kind": "related"})
    assert not form.is_valid()
    assert "reference" in form.errors


def test_the_resolve_form_offers_root_causes_not_their_groups() -> None:
    cause = root_cause(name="Missing runbook", group="Process")
    standalone = RootCauseFactory(name="Unknown", parent=None)  # a top-level cause, no group
    offered = set(ResolveForm().fields["root_cause"].queryset)
    assert offered == {cause, standalone}
    form = ResolveForm({"summary": "Fixed", "root_cause": cause.parent.pk})
    assert not form.is_valid() and "root_cause" in form.errors


def test_owner_choices_offer_operators_and_managers_never_executives(
    alice, bob, erin, nora
) -> None:
    for form in (AssignForm(), BulkForm()):
        assert set(form.fields["owner"].queryset) == {alice, bob}


def bulk_data(**values: object) -> QueryDict:
    data = QueryDict(mutable=True)
    data.setlist("bulk-cases", ["3", "x", "5"])
    for key, value in values.items():
        data[f"bulk-{key}"] = value
    return data


def test_bulk_form_keeps_the_ids_and_builds_the_change() -> None:
    form = BulkForm(bulk_data(action="severity", severity="S1", reason="r"), prefix="bulk")
    assert form.is_valid(), form.errors
    assert form.cleaned_data["cases"] == [3, 5]
    assert form.changes() == {"severity": "S1"}


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"action": "assign", "reason": "r"}, "team"),
        ({"action": "status", "reason": "r"}, "status"),
        ({"action": "severity", "reason": "r"}, "severity"),
        ({"action": "severity", "severity": "S1"}, "reason"),
        ({"action": "delete", "reason": "r"}, "action"),
    ],
)
def test_bulk_form_refuses_an_incomplete_change(values, field) -> None:
    form = BulkForm(bulk_data(**values), prefix="bulk")
    assert not form.is_valid()
    assert field in form.errors
