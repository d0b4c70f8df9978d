"""A monitoring source (its token issued) and a client posting events with it."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from alerts.tokens import Issued, integration_token_create
from cases.models import Customer, Team
from tests.factories import CustomerFactory


@pytest.fixture
def acme(db: None) -> Customer:
    return CustomerFactory(name="Acme Corp")


@pytest.fixture
def datadog(service_desk: Team, acme: Customer) -> Issued:
    return integration_token_create(source="Datadog", customer=acme, team=service_desk)


class Monitoring:
    """Posts events as a source: ``post(events)`` -> the answer."""

    def __init__(self, token: str) -> None:
        self.client = APIClient()
        self.client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")

    def post(self, *events: dict[str, Any]) -> Any:
        return self.client.post("/api/events/", {"events": list(events)}, format="json")

    def results(self, *events: dict[str, Any]) -> list[dict[str, Any]]:
        answer = self.post(*events)
        assert answer.status_code == 200, answer.content
        return answer.json()["results"]  # type: ignore[no-any-return]


@pytest.fixture
def monitoring(datadog: Issued) -> Monitoring:
    return Monitoring(datadog.token)


def trigger(key: str = "disk-full/db1", **fields: Any) -> dict[str, Any]:
    return {
        "action": "trigger",
        "dedup_key": key,
        "summary": "Disk full on db1",
        "severity": "S2",
        **fields,
    }


def acknowledge(key: str = "disk-full/db1") -> dict[str, Any]:
    return {"action": "acknowledge", "dedup_key": key}


def resolve(key: str = "disk-full/db1", **fields: Any) -> dict[str, Any]:
    return {"action": "resolve", "dedup_key": key, **fields}
