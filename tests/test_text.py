"""Text people type: one check (escalation.text) for the API, the forms and the services:
trimmed, within its limit after trimming, no control characters (line breaks and tabs only in
multi-line fields)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from cases.models import Case, CaseEvent, EventKind, Status
from cases.services import case_add_note
from escalation.errors import DomainError
from escalation.text import text_clean
from tests.cases.factories import case_in
from tests.cases.test_api import api_for
from tests.conftest import client_for
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def raise_payload(customer, **overrides):  # type: ignore[no-untyped-def]
    return {
        "customer": customer.pk,
        "title": "Checkout fails",
        "description": "Orders stop at the payment step.",
        "severity": "S2",
        "impact": "site",
        **overrides,
    }


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("title", "x\r\nBcc: everyone@example.com"),
        ("title", "p0\u0001"),
        ("title", "tab\there"),
        ("description", "escape \x1b[31m red"),
        ("description", "bell \x07"),
        ("tried", "NUL \x00"),
        ("description", "line\u2028separator"),
    ],
)
def test_the_api_refuses_control_characters_with_a_field_message_and_writes_nothing(
    alice, service_desk, field, value
) -> None:
    answer = api_for(alice).post(
        "/api/cases/", raise_payload(CustomerFactory(), **{field: value}), format="json"
    )
    assert answer.status_code == 400, answer.content
    assert list(answer.json()["errors"]) == [field]
    assert Case.objects.count() == 0


def test_multi_line_text_keeps_its_line_breaks_and_tabs(alice, service_desk) -> None:
    text = "Steps:\r\n\t1. open the shop\n\t2. pay"
    answer = api_for(alice).post(
        "/api/cases/", raise_payload(CustomerFactory(), description=text), format="json"
    )
    assert answer.status_code == 201, answer.content
    assert Case.objects.get().description == text


def test_limits_count_the_text_after_trimming(alice, service_desk) -> None:
    title = "x" * 200
    answer = api_for(alice).post(
        "/api/cases/", raise_payload(CustomerFactory(), title=f"  {title}  "), format="json"
    )
    assert answer.status_code == 201, answer.content
    assert Case.objects.get().title == title


def test_the_raise_form_shows_the_refusal_on_the_field(alice, service_desk) -> None:
    page = client_for(alice).post(
        reverse("cases:raise"),
        raise_payload(CustomerFactory(), title="Refund\r\nBcc: x@example.com", tried=""),
    )
    assert page.status_code == 200
    assert "Title contains a line break" in page.content.decode()
    assert Case.objects.count() == 0


def test_a_note_with_a_control_character_is_refused_by_the_service(bob) -> None:
    case = case_in(Status.IN_PROGRESS)
    with pytest.raises(DomainError) as refused:
        case_add_note(case=case, by=bob, body="see \x1b]8;;http://evil\x07 here")
    assert refused.value.field == "body"
    assert not CaseEvent.objects.filter(case=case, kind=EventKind.NOTE).exists()


def test_single_line_text_refuses_line_breaks_that_multi_line_text_keeps() -> None:
    assert text_clean("a\nb", field="f", label="F", max_length=10) == "a\nb"
    with pytest.raises(DomainError, match="line break"):
        text_clean("a\nb", field="f", label="F", max_length=10, multiline=False)
    with pytest.raises(DomainError, match="too long"):
        text_clean("abcdefghijk", field="f", label="F", max_length=10)
    assert text_clean("  abcdefghij  ", field="f", label="F", max_length=10) == "abcdefghij"
