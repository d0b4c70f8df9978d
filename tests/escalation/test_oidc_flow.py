"""Sign-in through a real OpenID Connect provider (tests.oidc_provider, django-oauth-toolkit in
its own process), driven as a browser would with ``requests``: the application is the live
server, the provider signs the ID tokens with its own RSA key."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import pytest
import requests
from django.contrib.auth.models import Group, User
from django.contrib.sessions.backends.db import SessionStore

from cases.models import Team
from escalation.models import OidcIdentity
from escalation.roles import Role, user_roles
from tests.factories import TeamFactory, UserFactory
from tests.oidc_provider import fixtures
from tests.oidc_provider.fixtures import Provider, oidc_sign_in, oidc_to_callback

# The provider and the settings pointing at it (fixtures shared with other test modules).
oidc_provider = fixtures.oidc_provider
oidc_on = fixtures.oidc_on

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def teams(db: None) -> dict[str, Team]:
    # Transactional tests flush the data migration's rows: the role groups are made again.
    for role in Role:
        Group.objects.get_or_create(name=role.value)
    return {
        "Service desk": TeamFactory(name="Service desk"),
        "Field support": TeamFactory(name="Field support"),
    }


def _signed_in_user(browser: requests.Session, app_url: str) -> str | None:
    """Who the application takes the browser for: the name in its navigation, or None when it
    sends the browser to the login page."""
    page = browser.get(f"{app_url}/accounts/password/", allow_redirects=False, timeout=30)
    if page.status_code == 302:
        return None
    assert page.status_code == 200
    return page.text


def test_an_operator_signs_in_with_the_provider_as_the_mapped_role_and_team(
    live_server: Any, oidc_on: Provider, teams: dict[str, Team]
) -> None:
    sub = oidc_on.person("olga", groups=["esc-operators", "sd-team", "unrelated-group"])
    browser = requests.Session()

    landing = oidc_sign_in(browser, live_server.url, "olga")

    # Home sends each role to its own start page: the operator's own cases.
    assert landing.status_code == 200
    assert landing.url == f"{live_server.url}/cases/mine/"
    identity = OidcIdentity.objects.select_related("user").get(issuer=oidc_on.issuer, subject=sub)
    olga = identity.user
    assert olga.username == "olga"
    assert (olga.first_name, olga.last_name, olga.email) == ("Olga", "Provided", "olga@example.com")
    assert identity.last_login_at is not None
    assert user_roles(olga) == {Role.OPERATOR}
    assert list(olga.teams.values_list("name", flat=True)) == ["Service desk"]
    assert "Olga" in landing.text
    # The managers' queue stays closed to her.
    assert browser.get(f"{live_server.url}/cases/", timeout=30).status_code == 403


def test_a_role_and_a_team_the_provider_no_longer_gives_are_taken_away_at_the_next_sign_in(
    live_server: Any, oidc_on: Provider, teams: dict[str, Team]
) -> None:
    oidc_on.person("mario", groups=["esc-managers", "esc-operators", "sd-team", "field-team"])
    first = requests.Session()
    oidc_sign_in(first, live_server.url, "mario")
    mario = User.objects.get(username="mario")
    assert user_roles(mario) == {Role.MANAGER, Role.OPERATOR}
    assert first.get(f"{live_server.url}/cases/", timeout=30).status_code == 200
    # A team the maps do not name is the administrators' to give: the provider leaves it alone.
    TeamFactory(name="Night shift").members.add(mario)

    oidc_on.person("mario", groups=["esc-operators", "field-team"])
    second = requests.Session()
    oidc_sign_in(second, live_server.url, "mario")

    mario = User.objects.get(username="mario")
    assert user_roles(mario) == {Role.OPERATOR}
    assert sorted(mario.teams.values_list("name", flat=True)) == ["Field support", "Night shift"]
    assert OidcIdentity.objects.filter(user=mario).count() == 1
    assert second.get(f"{live_server.url}/cases/", timeout=30).status_code == 403


def test_a_person_with_no_mapped_group_signs_in_with_no_role_and_is_refused_the_pages(
    live_server: Any, oidc_on: Provider, teams: dict[str, Team]
) -> None:
    oidc_on.person("ursula", groups=["finance", "everyone"])
    browser = requests.Session()

    landing = oidc_sign_in(browser, live_server.url, "ursula")

    ursula = User.objects.get(username="ursula")
    assert user_roles(ursula) == frozenset()
    assert not ursula.teams.exists()
    assert landing.status_code == 200  # the home page that explains there is no role
    assert browser.get(f"{live_server.url}/cases/mine/", timeout=30).status_code == 403


def _with_state(url: str, state: str) -> str:
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query))
    query["state"] = state
    return urlunsplit(parts._replace(query=urlencode(query)))


def test_a_tampered_state_is_refused_and_nobody_is_signed_in(
    live_server: Any, oidc_on: Provider, teams: dict[str, Team], caplog: pytest.LogCaptureFixture
) -> None:
    oidc_on.person("tom", groups=["esc-operators"])
    browser = requests.Session()
    callback = oidc_to_callback(browser, live_server.url, "tom")

    answer = browser.get(_with_state(callback, "forged-state"), timeout=30)

    assert answer.url == f"{live_server.url}/accounts/login/"
    assert "Signing in with Test IdP did not succeed" in answer.text
    assert _signed_in_user(browser, live_server.url) is None
    assert not User.objects.filter(username="tom").exists()
    assert "state not found in session" in caplog.text


def test_an_id_token_whose_nonce_is_not_the_one_this_sign_in_sent_is_refused(
    live_server: Any, oidc_on: Provider, teams: dict[str, Team], caplog: pytest.LogCaptureFixture
) -> None:
    oidc_on.person("nina", groups=["esc-operators"])
    browser = requests.Session()
    callback = oidc_to_callback(browser, live_server.url, "nina")
    # As if the provider's answer had been swapped for one made for another sign-in: the nonce
    # this browser's sign-in expects is not the one in the (genuine) token.
    session = SessionStore(session_key=browser.cookies["sessionid"])
    state = dict(parse_qsl(urlsplit(callback).query))["state"]
    session["oidc_states"][state]["nonce"] = "another-sign-in"
    session.save()

    answer = browser.get(callback, timeout=30)

    assert answer.url == f"{live_server.url}/accounts/login/"
    assert "Signing in with Test IdP did not succeed" in answer.text
    assert _signed_in_user(browser, live_server.url) is None
    assert not User.objects.filter(username="nina").exists()
    assert "JWT Nonce verification failed" in caplog.text


def test_a_callback_is_refused_in_another_browser_than_the_one_that_started_the_sign_in(
    live_server: Any, oidc_on: Provider, teams: dict[str, Team]
) -> None:
    oidc_on.person("rita", groups=["esc-operators"])
    callback = oidc_to_callback(requests.Session(), live_server.url, "rita")
    thief = requests.Session()  # another browser, with the code and state of the first

    answer = thief.get(callback, timeout=30)

    assert answer.url == f"{live_server.url}/accounts/login/"
    assert _signed_in_user(thief, live_server.url) is None
    assert not User.objects.filter(username="rita").exists()


def test_an_id_token_from_another_issuer_is_refused(
    live_server: Any, oidc_on: Provider, teams: dict[str, Team], settings: Any
) -> None:
    oidc_on.person("ivan", groups=["esc-operators"])
    settings.OIDC_OP_ISSUER = "https://idp.example.com/realms/other"
    browser = requests.Session()

    answer = oidc_sign_in(browser, live_server.url, "ivan")

    assert answer.url == f"{live_server.url}/accounts/login/"
    assert _signed_in_user(browser, live_server.url) is None
    assert not OidcIdentity.objects.exists()


def test_a_first_sign_in_never_takes_over_a_local_account_of_the_same_name(
    live_server: Any, oidc_on: Provider, teams: dict[str, Team]
) -> None:
    local = UserFactory(username="carla", role=Role.MANAGER)
    oidc_on.person("carla", groups=["esc-operators"])

    oidc_sign_in(requests.Session(), live_server.url, "carla")

    identity = OidcIdentity.objects.select_related("user").get(issuer=oidc_on.issuer)
    assert identity.user != local
    assert identity.user.username.startswith("oidc-")
    assert user_roles(User.objects.get(pk=local.pk)) == {Role.MANAGER}


def test_an_address_locked_out_by_axes_cannot_sign_in_with_the_provider_either(
    live_server: Any, oidc_on: Provider, teams: dict[str, Team], settings: Any
) -> None:
    settings.AXES_FAILURE_LIMIT = 1
    oidc_on.person("lena", groups=["esc-operators"])
    browser = requests.Session()
    login_page = browser.get(f"{live_server.url}/accounts/login/", timeout=30)
    assert login_page.status_code == 200
    refused = browser.post(
        f"{live_server.url}/accounts/login/",
        data={
            "username": "nobody",
            "password": "wrong",
            "csrfmiddlewaretoken": browser.cookies["csrftoken"],
        },
        timeout=30,
    )
    assert refused.status_code == 429

    answer = oidc_sign_in(browser, live_server.url, "lena")

    assert answer.status_code == 429  # axes' lockout page, as for a password
    assert _signed_in_user(browser, live_server.url) is None
