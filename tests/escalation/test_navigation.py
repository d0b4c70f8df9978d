from __future__ import annotations

import pytest
from django.urls import reverse

from tests.conftest import client_for


def nav_labels(response) -> list[str]:  # type: ignore[no-untyped-def]
    return [label for label, _url in response.context["nav_items"]]


@pytest.mark.django_db
def test_each_role_lands_on_its_own_start_page(alice, bob, erin) -> None:
    assert client_for(alice).get("/").url == reverse("cases:mine")
    assert client_for(bob).get("/").url == reverse("reviews:dashboard")
    assert client_for(erin).get("/").url == reverse("reports:index")


@pytest.mark.django_db
def test_a_user_without_a_role_is_told_why_there_is_nothing(nora) -> None:
    response = client_for(nora).get("/")
    assert response.status_code == 200
    assert "has no role yet" in response.content.decode()
    assert nav_labels(response) == []


@pytest.mark.django_db
def test_navigation_shows_each_role_what_it_can_do(alice, bob, erin) -> None:
    operator = nav_labels(client_for(alice).get(reverse("password_change")))
    manager = nav_labels(client_for(bob).get(reverse("password_change")))
    executive = nav_labels(client_for(erin).get(reverse("password_change")))
    assert "Raise escalation" in operator and "My escalations" in operator
    assert "Triage queue" not in operator and "Reports" not in operator
    assert {"Dashboard", "Triage queue", "Raise escalation", "Reports"} <= set(manager)
    assert "Raise escalation" not in executive and "Reports" in executive


@pytest.mark.django_db
def test_anonymous_visitors_are_sent_to_log_in() -> None:
    from django.test import Client

    response = Client().get("/")
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))
