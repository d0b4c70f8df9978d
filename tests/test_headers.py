"""Security headers and login throttling: a Content-Security-Policy on every page, nothing of a
signed-in page or an API answer kept in a cache, and wrong passwords locked out (django-axes)
by username and by address, logged, and lifted by an administrator."""

from __future__ import annotations

import logging

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.test import Client
from django.urls import reverse

from tests.cases.test_api import api_for
from tests.conftest import client_for
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def policy(response) -> dict[str, str]:  # type: ignore[no-untyped-def]
    header = response.headers["Content-Security-Policy"]
    return dict(part.strip().split(" ", 1) for part in header.split(";") if part.strip())


@pytest.mark.parametrize("path", ["/accounts/login/", "/cases/", "/learning/", "/reports/"])
def test_every_page_forbids_inline_and_foreign_scripts(bob, path) -> None:
    response = client_for(bob).get(path, follow=True)
    assert response.status_code == 200
    directives = policy(response)
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert "unsafe" not in response.headers["Content-Security-Policy"]


def test_signed_in_pages_and_api_answers_are_private_and_not_stored(bob, alice) -> None:
    page = client_for(bob).get("/cases/")
    api = api_for(alice).get("/api/cases/")
    for response in (page, api):
        cache = response.headers["Cache-Control"]
        assert "private" in cache and "no-store" in cache
    anonymous_api = Client().get("/api/cases/")
    assert "no-store" in anonymous_api.headers["Cache-Control"]


def fail_login(client: Client, username: str, path: str = "/accounts/login/"):  # type: ignore[no-untyped-def]
    return client.post(path, {"username": username, "password": "wrong"})


def test_wrong_passwords_lock_the_username_out_even_from_another_address(caplog) -> None:
    UserFactory(username="dora")
    attacker = Client(REMOTE_ADDR="203.0.113.7")
    with caplog.at_level(logging.WARNING):
        assert fail_login(attacker, "dora").status_code == 200  # the form, with its error
        for _ in range(settings.AXES_FAILURE_LIMIT - 1):
            fail_login(attacker, "dora")
    elsewhere = Client(REMOTE_ADDR="198.51.100.9")
    locked = elsewhere.post("/accounts/login/", {"username": "dora", "password": PASSWORD})
    assert locked.status_code == 429
    assert "Too many failed log-ins" in locked.content.decode()
    assert "_auth_user_id" not in elsewhere.session
    assert 'username: "dora"' in caplog.text and "after repeated login failures" in caplog.text


def test_one_address_trying_many_usernames_is_locked_out() -> None:
    UserFactory(username="dora")
    attacker = Client(REMOTE_ADDR="203.0.113.7")
    for n in range(settings.AXES_FAILURE_LIMIT):
        fail_login(attacker, f"guess{n}")
    assert (
        attacker.post("/accounts/login/", {"username": "dora", "password": PASSWORD}).status_code
        == 429
    )
    # Someone else, from their own address, still logs in.
    other = Client(REMOTE_ADDR="198.51.100.9")
    assert (
        other.post("/accounts/login/", {"username": "dora", "password": PASSWORD}).status_code
        == 302
    )


def test_the_admin_login_is_throttled_too() -> None:
    UserFactory(username="root", is_staff=True, is_superuser=True)
    attacker = Client(REMOTE_ADDR="203.0.113.7")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        fail_login(attacker, "root", path="/admin/login/")
    answer = attacker.post("/admin/login/", {"username": "root", "password": PASSWORD})
    assert answer.status_code == 429


def test_an_administrator_lifts_a_lockout_in_the_admin() -> None:
    dora = UserFactory(username="dora")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        fail_login(Client(REMOTE_ADDR="203.0.113.7"), "dora")
    admin = client_for(UserFactory(username="root", is_staff=True, is_superuser=True))
    attempts = admin.get(reverse("admin:axes_accessattempt_changelist"))
    assert attempts.status_code == 200 and "dora" in attempts.content.decode()
    attempt = AccessAttempt.objects.get(username="dora")
    lifted = admin.post(
        reverse("admin:axes_accessattempt_delete", args=[attempt.pk]), {"post": "yes"}
    )
    assert lifted.status_code == 302
    back = Client(REMOTE_ADDR="203.0.113.7")
    assert (
        back.post("/accounts/login/", {"username": "dora", "password": PASSWORD}).status_code == 302
    )
    assert int(back.session["_auth_user_id"]) == dora.pk
