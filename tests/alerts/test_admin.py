"""The admin issues a source's token and shows it once; the list shows only its prefix."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import User
from django.test import Client

from alerts.models import IntegrationToken
from tests.alerts.conftest import Monitoring, trigger

pytestmark = pytest.mark.django_db


def test_adding_a_source_in_the_admin_shows_its_token_once(service_desk, acme) -> None:
    admin = User.objects.create_superuser("root", "root@example.com", "x")
    client = Client()
    client.force_login(admin)
    answer = client.post(
        "/admin/alerts/integrationtoken/add/",
        {"source": "Zabbix", "customer": acme.pk, "team": service_desk.pk},
        follow=True,
    )
    assert answer.status_code == 200
    found = re.search(r"(esc_[A-Za-z0-9_-]{43})", answer.content.decode())
    assert found is not None
    token = found.group(1)
    row = IntegrationToken.objects.get(source="Zabbix")
    assert (row.customer, row.team, row.user.is_active) == (acme, service_desk, False)
    [result] = Monitoring(token).results(trigger())
    assert result["outcome"] == "raised"
    listing = client.get("/admin/alerts/integrationtoken/").content.decode()
    assert row.prefix in listing
    assert token not in listing
