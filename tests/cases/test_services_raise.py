"""Raising a case, attachments and editing details."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied
from django.test import override_settings

from cases.models import Attachment, Case, CaseEvent, EventKind, Level, Severity, Status
from cases.services import (
    attachment_safe_name,
    case_add_attachment,
    case_raise,
    case_update_details,
)
from escalation.errors import DomainError
from tests.cases.factories import case_in, upload
from tests.factories import (
    CategoryFactory,
    ContactFactory,
    CustomerFactory,
    ProductFactory,
    TeamFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(tmp_path: Path, settings) -> None:  # type: ignore[no-untyped-def]
    settings.MEDIA_ROOT = tmp_path


def stored_files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()]


def raise_with_files(raiser, *files):  # type: ignore[no-untyped-def]
    return case_raise(
        raised_by=raiser,
        customer=CustomerFactory(),
        title="t",
        description="d",
        severity="S3",
        attachments=list(files),
    )


def test_operator_raises_a_new_case_for_her_team(alice, service_desk) -> None:
    customer = CustomerFactory(name="Acme")
    contact = ContactFactory(customer=customer)
    case = case_raise(
        raised_by=alice,
        customer=customer,
        contact=contact,
        title="  Checkout fails  ",
        description="Error 502 at payment",
        severity=Severity.S2,
        tags=["Payments", "payments", "EU west"],
    )
    assert case.reference == f"ESC-{case.pk:06d}"
    assert (case.status, case.team, case.level, case.title) == (
        Status.NEW,
        service_desk,
        Level.L1,
        "Checkout fails",
    )
    assert sorted(case.tags.values_list("name", flat=True)) == ["eu-west", "payments"]
    event = CaseEvent.objects.get(case=case)
    assert (event.kind, event.actor, event.to_value) == (EventKind.RAISED, alice, "S2")


def test_references_are_never_reused(alice, service_desk) -> None:
    customer = CustomerFactory()
    first = case_raise(
        raised_by=alice, customer=customer, title="a", description="b", severity="S4"
    )
    reference = first.reference
    Case.objects.filter(pk=first.pk).delete()
    second = case_raise(
        raised_by=alice, customer=customer, title="a", description="b", severity="S4"
    )
    assert second.reference != reference


def test_raise_without_a_team_of_her_own_goes_to_any_level_1_team(bob) -> None:
    desk = TeamFactory(name="Desk", level=Level.L1)
    case = case_raise(
        raised_by=bob, customer=CustomerFactory(), title="t", description="d", severity="S3"
    )
    assert case.team == desk


@pytest.mark.parametrize(
    ("changes", "field", "why"),
    [
        ({"title": ""}, "title", "Title is required"),
        ({"title": "x" * 201}, "title", "at most 200"),
        ({"description": "x" * 20_001}, "description", "at most 20,000"),
        ({"description": " "}, "description", "Description is required"),
        ({"severity": "S0"}, "severity", "not a valid severity"),
        ({"impact": "galaxy"}, "impact", "not a valid impact"),
        ({"title": "a\x00b"}, "title", "control character"),
        ({"tags": [f"t{i}" for i in range(11)]}, "tags", "At most 10 tags"),
    ],
)
def test_raise_refuses_bad_input_with_a_field_message_and_writes_nothing(
    alice, service_desk, changes, field, why
) -> None:
    kwargs = {
        "raised_by": alice,
        "customer": CustomerFactory(),
        "title": "Title",
        "description": "Description",
        "severity": Severity.S3,
        **changes,
    }
    with pytest.raises(DomainError, match=why) as refused:
        case_raise(**kwargs)
    assert refused.value.field == field
    assert not Case.objects.exists()
    assert not CaseEvent.objects.exists()


def test_raise_refuses_a_contact_of_another_customer_and_inactive_reference_data(
    alice, service_desk
) -> None:
    customer = CustomerFactory(name="Acme")
    stranger = ContactFactory(customer=CustomerFactory(name="Globex"))
    base = {"raised_by": alice, "title": "t", "description": "d", "severity": "S3"}
    with pytest.raises(DomainError, match="not a contact of Acme"):
        case_raise(customer=customer, contact=stranger, **base)
    with pytest.raises(DomainError, match="no longer an active product"):
        case_raise(customer=customer, product=ProductFactory(is_active=False), **base)
    with pytest.raises(DomainError, match="no longer an active category"):
        case_raise(customer=customer, category=CategoryFactory(is_active=False), **base)
    with pytest.raises(DomainError, match="no longer an active customer"):
        case_raise(customer=CustomerFactory(name="Gone", is_active=False), **base)


def test_executives_and_people_without_a_role_cannot_raise(erin, nora) -> None:
    for person in (erin, nora):
        with pytest.raises(PermissionDenied):
            case_raise(
                raised_by=person,
                customer=CustomerFactory(),
                title="t",
                description="d",
                severity="S3",
            )


def test_raise_with_attachments_stores_them_under_a_token(alice, service_desk, tmp_path) -> None:
    case = raise_with_files(
        alice, upload("../../etc/passwd.txt"), upload("shot.png", b"png", "image/png")
    )
    names = list(case.attachments.values_list("original_name", flat=True))
    assert names == ["passwd.txt", "shot.png"]
    for attachment in case.attachments.all():
        assert attachment.file.name == f"attachments/{case.pk}/{attachment.token}"
        assert attachment.uploaded_by == alice
    assert len(stored_files(tmp_path)) == 2
    assert list(CaseEvent.objects.filter(case=case).values_list("kind", flat=True)) == [
        EventKind.RAISED,
        EventKind.ATTACHMENT,
        EventKind.ATTACHMENT,
    ]


@pytest.mark.parametrize(
    ("file", "stored_as"),
    [
        (upload("server.log", b"ERROR 502", "text/x-log"), "text/plain"),
        (upload("orders.csv", b"id,total", "application/vnd.ms-excel"), "text/csv"),
        (upload("logs.zip", b"PK", "application/x-zip-compressed"), "application/zip"),
    ],
)
def test_raise_accepts_the_other_names_browsers_give_common_files(
    alice, service_desk, tmp_path, file, stored_as
) -> None:
    case = raise_with_files(alice, file)
    assert case.attachments.get().content_type == stored_as


def test_a_type_alias_still_needs_a_matching_name(alice, service_desk, tmp_path) -> None:
    with pytest.raises(DomainError, match="does not match its type text/csv"):
        raise_with_files(alice, upload("budget.xls", b"\xd0\xcf", "application/vnd.ms-excel"))


@pytest.mark.parametrize(
    ("file", "why"),
    [
        (upload("page.html", b"<html>", "text/html"), "text/html are not accepted"),
        (upload("logo.svg", b"<svg/>", "image/svg+xml"), "not accepted"),
        (upload("trace.exe", b"MZ", "text/plain"), "does not match its type"),
        (upload("empty.txt", b""), "empty"),
    ],
)
def test_raise_refuses_unsafe_attachments_and_stores_nothing(
    alice, service_desk, tmp_path, file, why
) -> None:
    with pytest.raises(DomainError, match=why) as refused:
        raise_with_files(alice, file)
    assert refused.value.field == "attachments"
    assert not Case.objects.exists()
    assert stored_files(tmp_path) == []


@override_settings(ATTACHMENT_MAX_BYTES=10)
def test_attachment_over_the_size_limit_is_refused(alice, service_desk, tmp_path) -> None:
    case = case_in(Status.IN_PROGRESS, team=service_desk)
    with pytest.raises(DomainError, match="too large"):
        case_add_attachment(case=case, by=alice, upload=upload(content=b"x" * 11))
    assert not Attachment.objects.exists()
    assert stored_files(tmp_path) == []


def test_attachment_file_is_removed_when_the_action_rolls_back(
    alice, service_desk, tmp_path, monkeypatch
) -> None:
    case = case_in(Status.IN_PROGRESS, team=service_desk)

    def explode(**kwargs: object) -> None:
        raise RuntimeError("timeline down")

    monkeypatch.setattr("cases.services.attachments.event_record", explode)
    with pytest.raises(RuntimeError):
        case_add_attachment(case=case, by=alice, upload=upload())
    assert not Attachment.objects.exists()
    assert stored_files(tmp_path) == []


def test_attachment_by_someone_who_cannot_contribute_is_refused(charlie, erin, service_desk):  # type: ignore[no-untyped-def]
    case = case_in(Status.IN_PROGRESS, team=service_desk)
    for person in (charlie, erin):
        with pytest.raises(PermissionDenied):
            case_add_attachment(case=case, by=person, upload=upload())


@pytest.mark.parametrize(
    ("given", "safe"),
    [
        ("report.pdf", "report.pdf"),
        ("C:\\Users\\me\\report final.pdf", "report_final.pdf"),
        ("..", "attachment"),
        (".htaccess", "htaccess"),
        ("<script>.txt", "script.txt"),
        ("x" * 300 + ".txt", "x" * 251 + ".txt"),
    ],
)
def test_attachment_names_are_made_safe(given: str, safe: str) -> None:
    assert attachment_safe_name(given) == safe


def test_manager_edits_details_and_each_changed_field_is_one_event(bob, service_desk) -> None:
    case = case_in(Status.IN_PROGRESS, title="Old", impact="single_user")
    category = CategoryFactory(name="Network")
    case = case_update_details(
        case=case, by=bob, title="New", impact="site", category=category, tags=["vpn"]
    )
    case.refresh_from_db()
    assert (case.title, case.impact, case.category) == ("New", "site", category)
    events = {e.data["field"]: e for e in CaseEvent.objects.filter(case=case)}
    assert set(events) == {"title", "impact", "category", "tags"}
    assert {e.kind for e in events.values()} == {EventKind.EDITED}
    assert events["title"].data["changes"]["title"] == ["Old", "New"]
    assert events["tags"].data["changes"]["tags"] == ["", "vpn"]
    assert (events["impact"].from_value, events["impact"].to_value) == (
        "One user",
        "A site or department",
    )


def test_editing_nothing_writes_no_event_and_clearing_product_is_explicit(bob) -> None:
    case = case_in(Status.IN_PROGRESS, title="Same")
    case_update_details(case=case, by=bob, title="Same")
    assert not CaseEvent.objects.exists()
    case = case_update_details(case=case, by=bob, clear=["product"])
    case.refresh_from_db()
    assert case.product is None


def test_another_teams_operator_and_executives_cannot_edit_details(
    alice, charlie, erin, service_desk
) -> None:
    case = case_in(Status.IN_PROGRESS, team=service_desk, raised_by=alice)
    for person in (charlie, erin):
        with pytest.raises(PermissionDenied):
            case_update_details(case=case, by=person, title="Mine now")
