from __future__ import annotations

from unittest import mock

import pytest
from django.test import Client


@pytest.mark.django_db
def test_healthz_reports_database_and_broker_without_login() -> None:
    response = Client().get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "broker": "ok"}


@pytest.mark.django_db
def test_healthz_answers_503_when_the_broker_is_down() -> None:
    with mock.patch("escalation.views.broker_ok", return_value=False):
        response = Client().get("/healthz")
    assert response.status_code == 503
    assert response.json()["broker"] == "unavailable"
    assert response.json()["database"] == "ok"


@pytest.mark.django_db
def test_healthz_answers_503_when_the_database_is_down() -> None:
    with mock.patch("escalation.views.connection") as connection:
        connection.cursor.side_effect = RuntimeError("connection refused")
        response = Client().get("/healthz")
    assert response.status_code == 503
    assert response.json()["database"] == "unavailable"


@pytest.mark.django_db
def test_healthz_reveals_no_configuration() -> None:
    body = Client().get("/healthz").content.decode()
    for secret_word in ("postgres://", "redis://", "SECRET", "password"):
        assert secret_word not in body
