"""Redis down: the API keeps answering (its throttles fail open, logged) and /healthz says 503
quickly. "Down" is a real Redis client talking to a port where no server listens, which is
what a stopped Redis looks like from the app."""

from __future__ import annotations

import logging
import socket
import time
from collections.abc import Iterator

import pytest
from django.core.cache import caches
from django.test import Client

from escalation.celery import app
from tests.cases.test_api import api_for
from tests.factories import CustomerFactory

pytestmark = [pytest.mark.integration, pytest.mark.django_db]


def closed_port() -> int:
    """A loopback port with nothing listening on it (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def redis_down(settings) -> Iterator[str]:  # type: ignore[no-untyped-def]
    url = f"redis://127.0.0.1:{closed_port()}/0"
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": url,
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 1.0},
        }
    }
    broker = app.conf.broker_url
    app.conf.broker_url = url
    try:
        yield url
    finally:
        app.conf.broker_url = broker
        caches["default"].close()


def test_the_api_answers_while_redis_is_down_and_says_so_in_the_log(
    redis_down, alice, service_desk, caplog
) -> None:
    with pytest.raises(Exception):
        caches["default"].get("anything")
    client = api_for(alice)
    with caplog.at_level(logging.WARNING, logger="escalation.throttling"):
        listed = client.get("/api/cases/")
        raised = client.post(
            "/api/cases/",
            {
                "customer": CustomerFactory().pk,
                "title": "Checkout fails",
                "description": "Orders stop at the payment step.",
                "severity": "S2",
                "impact": "site",
            },
            format="json",
        )
    assert listed.status_code == 200, listed.content
    assert raised.status_code == 201, raised.content
    assert "the cache is unreachable" in caplog.text


def test_healthz_reports_the_broker_down_without_holding_the_worker(redis_down) -> None:
    started = time.monotonic()
    answer = Client().get("/healthz")
    took = time.monotonic() - started
    assert answer.status_code == 503
    assert answer.json()["broker"] == "unavailable"
    assert took < 1.5  # one attempt with a short timeout, not a retry loop (it was 2 s)
