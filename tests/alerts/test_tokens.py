"""Integration tokens: kept hashed, issued by the command, refused (401, logged) when missing,
unknown or revoked, good for POST /api/events/ only, and rate-limited per token."""

from __future__ import annotations

import logging
from io import StringIO

import pytest
from django.core.cache.backends.locmem import LocMemCache
from django.core.management import call_command
from rest_framework.test import APIClient

from alerts.api import IntegrationThrottle
from alerts.models import IntegrationToken
from alerts.tokens import integration_token_revoke, token_digest
from cases.models import Case
from escalation.roles import Role, has_role
from tests.alerts.conftest import Monitoring, trigger

pytestmark = pytest.mark.django_db


def test_the_token_is_kept_only_as_its_hash(datadog) -> None:
    row = IntegrationToken.objects.get()
    assert datadog.token not in (row.digest, row.prefix)
    assert row.digest == token_digest(datadog.token)
    assert datadog.token.startswith(row.prefix)


def test_the_sources_account_cannot_log_in_and_is_an_operator(datadog) -> None:
    user = datadog.integration.user
    assert not user.is_active
    assert not user.has_usable_password()
    assert has_role(user, Role.OPERATOR)
    assert user.get_full_name() == "Monitoring: Datadog"


def test_the_command_prints_a_token_that_works(service_desk, acme) -> None:
    out = StringIO()
    call_command("integration_token", "Prometheus", "--customer", "Acme Corp", stdout=out)
    token = out.getvalue().strip()
    assert IntegrationToken.objects.get(source="Prometheus").customer == acme
    [result] = Monitoring(token).results(trigger())
    assert result["outcome"] == "raised"


def test_the_command_rotates_a_token_and_the_old_one_stops_working(datadog) -> None:
    out = StringIO()
    call_command("integration_token", "Datadog", "--rotate", stdout=out)
    assert Monitoring(datadog.token).post(trigger()).status_code == 401
    assert Monitoring(out.getvalue().strip()).post(trigger()).status_code == 200


@pytest.mark.parametrize(
    "header",
    [None, "Bearer", "Bearer esc_not-a-token", "Basic dXNlcjpwYXNz", "Token esc_x"],
)
def test_a_missing_or_bad_token_is_a_logged_401(datadog, header, caplog) -> None:
    client = APIClient()
    if header:
        client.credentials(HTTP_AUTHORIZATION=header)
    with caplog.at_level(logging.WARNING, logger="alerts.api"):
        answer = client.post("/api/events/", {"events": [trigger()]}, format="json")
    assert answer.status_code == 401
    assert answer.headers["WWW-Authenticate"] == "Bearer"
    assert "refused from 127.0.0.1" in caplog.text
    assert not Case.objects.exists()


def test_a_revoked_token_is_a_logged_401_that_never_logs_the_token(datadog, caplog) -> None:
    integration_token_revoke(integration=datadog.integration)
    with caplog.at_level(logging.WARNING, logger="alerts.api"):
        answer = Monitoring(datadog.token).post(trigger())
    assert answer.status_code == 401
    assert "the revoked token of Datadog" in caplog.text
    assert datadog.token not in caplog.text
    assert not Case.objects.exists()


@pytest.mark.parametrize("scheme", ["Bearer", "Token"])
def test_the_token_opens_no_other_endpoint(datadog, scheme) -> None:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"{scheme} {datadog.token}")
    assert client.get("/api/cases/").status_code in (401, 403)
    assert client.post("/api/cases/", {}, format="json").status_code in (401, 403)
    assert client.get("/api/customers/").status_code in (401, 403)


def test_a_signed_in_person_cannot_post_events(alice, bob) -> None:
    for user in (alice, bob):
        client = APIClient()
        client.force_login(user)
        assert (
            client.post("/api/events/", {"events": [trigger()]}, format="json").status_code == 401
        )
    assert not Case.objects.exists()


def test_a_source_whose_account_lost_its_role_is_refused(datadog) -> None:
    datadog.integration.user.groups.clear()
    answer = Monitoring(datadog.token).post(trigger())
    assert answer.status_code == 403
    assert not Case.objects.exists()


def test_each_token_is_rate_limited_with_retry_after(datadog, monkeypatch, settings) -> None:
    monkeypatch.setattr(IntegrationThrottle, "cache", LocMemCache("alerts-throttle", {}))
    settings.ALERTS_REQUESTS_PER_MINUTE = 2
    monitoring = Monitoring(datadog.token)
    assert [monitoring.post(trigger()).status_code for _ in range(2)] == [200, 200]
    refused = monitoring.post(trigger())
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) > 0
    assert Case.objects.count() == 1


def test_the_endpoint_is_described_in_the_api_schema(bob) -> None:
    client = APIClient()
    client.force_login(bob)
    schema = client.get("/api/schema/?format=json").json()
    post = schema["paths"]["/api/events/"]["post"]
    assert {"200", "400", "401", "429"} <= set(post["responses"])
    components = schema["components"]["schemas"]
    request_ref = post["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    request = components[request_ref.rsplit("/", 1)[1]]
    assert request["properties"]["events"]["type"] == "array"
    answer_ref = post["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    answer = components[answer_ref.rsplit("/", 1)[1]]
    assert "results" in answer["properties"]
