"""Helpers for the tests of the case pages."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from cases.models import Case, Status

# What htmx sends with each request it makes.
HX: dict[str, Any] = {"HTTP_HX_REQUEST": "true"}


def hx_from(page_url: str) -> dict[str, Any]:
    return {**HX, "HTTP_HX_CURRENT_URL": f"http://testserver{page_url}"}


def page_text(response: Any) -> str:
    return response.content.decode()


def reload(case: Case) -> Case:
    case.refresh_from_db()
    return case


def messages_of(response: Any) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


def post(client: Client, url: str, data: dict[str, Any], *, htmx: bool = False) -> Any:
    return client.post(url, data, **(HX if htmx else {}))


@pytest.fixture
def media(settings: Any, tmp_path: Any) -> Any:
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def many_cases(count: int, status: str = Status.NEW, **kwargs: Any) -> list[Case]:
    """``count`` cases sharing one raiser, customer, product and category (fast to build; each
    row still needs its own joins, so query counts stay honest)."""
    from tests.factories import (
        CaseFactory,
        CategoryFactory,
        CustomerFactory,
        ProductFactory,
        UserFactory,
    )

    shared = {
        "raised_by": kwargs.pop("raised_by", None) or UserFactory(username="raiser"),
        "customer": kwargs.pop("customer", None) or CustomerFactory(name="Shared customer"),
        "product": ProductFactory(name="Shared product"),
        "category": CategoryFactory(name="Shared category"),
    }
    return [CaseFactory(status=status, **shared, **kwargs) for _ in range(count)]
