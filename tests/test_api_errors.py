"""Every API error matches the published error schema: a message, and one flat list of
messages per field, nested errors named by their path."""

from __future__ import annotations

import pytest

from escalation.api import errors_flat
from tests.cases.test_api import api_for
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def test_the_errors_of_a_lists_items_are_named_by_their_path(alice, service_desk) -> None:
    answer = api_for(alice).post(
        "/api/cases/",
        {
            "customer": CustomerFactory().pk,
            "title": "Checkout fails",
            "description": "Orders stop.",
            "severity": "S2",
            "impact": "site",
            "tags": ["ok", "x" * 51, ""],
        },
        format="json",
    )
    assert answer.status_code == 400
    errors = answer.json()["errors"]
    assert set(errors) == {"tags.1", "tags.2"}
    assert all(isinstance(m, str) for messages in errors.values() for m in messages)


def test_flattening_keeps_plain_field_messages_and_nested_objects() -> None:
    assert errors_flat({"title": ["Too long."]}) == {"title": ["Too long."]}
    nested = {"actions": [{}, {"due_on": ["Bad date."], "owner": ["Nobody."]}], "x": "y"}
    assert errors_flat(nested) == {
        "actions.1.due_on": ["Bad date."],
        "actions.1.owner": ["Nobody."],
        "x": ["y"],
    }
    assert errors_flat(["Not a list."]) == {"non_field_errors": ["Not a list."]}
