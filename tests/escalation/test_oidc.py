"""OpenID Connect sign-in without the provider: the claim mapping service, who may still use a
local password, and a login page unchanged while OIDC is off. The flow itself, against a real
provider, is in test_oidc_flow.py."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.contrib.auth.models import Group, User
from django.core.exceptions import ImproperlyConfigured, SuspiciousOperation
from django.test import Client

from cases.models import Team
from escalation.models import OidcIdentity
from escalation.oidc import OidcBackend, oidc_user_sign_in, role_map, user_access_sync
from escalation.roles import Role, user_roles
from tests.escalation.test_settings import run_manage
from tests.factories import PASSWORD, TeamFactory, UserFactory
from tests.oidc_provider.fixtures import OIDC_BACKENDS

ISSUER = "https://idp.example.com/realms/acme"
ROLE_MAP = (
    ("esc-operators", "Operators"),
    ("esc-managers", "manager"),
    ("all-staff", "Operators"),
)
TEAM_MAP = (("sd-team", "Service desk"), ("field-team", "Field support"))


@pytest.fixture
def mapped(settings: Any) -> None:
    settings.OIDC_ENABLED = True
    settings.OIDC_RP_CLIENT_ID = "escalation"
    settings.OIDC_OP_ISSUER = ISSUER
    settings.OIDC_ROLE_MAP = ROLE_MAP
    settings.OIDC_TEAM_MAP = TEAM_MAP
    settings.OIDC_ROLE_CLAIM = "groups"
    settings.OIDC_TEAM_CLAIM = "groups"


@pytest.fixture
def teams(db: None) -> dict[str, Team]:
    return {name: TeamFactory(name=name) for name in ("Service desk", "Field support")}


def claims(sub: str = "s-1", **extra: Any) -> dict[str, Any]:
    return {"sub": sub, "preferred_username": "olga", "email": "olga@example.com", **extra}


# --- The mapping service ---------------------------------------------------------------------


@pytest.mark.django_db
def test_claim_values_give_their_roles_and_teams_and_unknown_values_are_ignored(
    mapped: None, teams: dict[str, Team]
) -> None:
    user = oidc_user_sign_in(
        issuer=ISSUER, claims=claims(groups=["esc-managers", "sd-team", "nobody-knows"])
    )

    assert user_roles(user) == {Role.MANAGER}
    assert list(user.teams.values_list("name", flat=True)) == ["Service desk"]


@pytest.mark.django_db
def test_roles_and_teams_no_longer_claimed_are_removed_but_unmanaged_ones_kept(
    mapped: None, teams: dict[str, Team]
) -> None:
    user = UserFactory(username="olga", role=Role.EXECUTIVE)  # Executives: no map names it
    user.groups.add(Group.objects.get_or_create(name=Role.MANAGER.value)[0])
    teams["Service desk"].members.add(user)
    night = TeamFactory(name="Night shift")
    night.members.add(user)

    change = user_access_sync(user=user, claims={"groups": ["esc-operators", "field-team"]})

    assert user_roles(User.objects.get(pk=user.pk)) == {Role.OPERATOR, Role.EXECUTIVE}
    assert sorted(user.teams.values_list("name", flat=True)) == ["Field support", "Night shift"]
    assert change.roles_added == ("Operators",)
    assert change.roles_removed == ("Escalation managers",)
    assert change.teams_added == ("Field support",)
    assert change.teams_removed == ("Service desk",)


@pytest.mark.django_db
def test_each_change_of_access_is_logged(
    mapped: None, teams: dict[str, Team], caplog: pytest.LogCaptureFixture
) -> None:
    user = UserFactory(username="olga", role=Role.MANAGER)

    with caplog.at_level(logging.INFO, logger="escalation.oidc"):
        user_access_sync(user=user, claims={"groups": ["esc-operators", "sd-team"]})

    assert (
        "access of olga set from claims: roles +['Operators'] -['Escalation managers'], "
        "teams +['Service desk'] -[]" in caplog.text
    )


@pytest.mark.django_db
def test_a_claim_given_as_one_string_counts_as_one_value(
    mapped: None, teams: dict[str, Team]
) -> None:
    user = oidc_user_sign_in(issuer=ISSUER, claims=claims(groups="esc-operators"))

    assert user_roles(user) == {Role.OPERATOR}


@pytest.mark.django_db
def test_a_mapped_team_that_does_not_exist_is_skipped_with_a_warning(
    mapped: None, settings: Any, caplog: pytest.LogCaptureFixture
) -> None:
    settings.OIDC_TEAM_MAP = (("ghost-team", "Ghosts"),)

    user = oidc_user_sign_in(issuer=ISSUER, claims=claims(groups=["ghost-team", "esc-operators"]))

    assert not user.teams.exists()
    assert user_roles(user) == {Role.OPERATOR}
    assert "the mapped team 'Ghosts' does not exist" in caplog.text


@pytest.mark.django_db
def test_a_person_with_no_mapped_group_gets_no_role(mapped: None) -> None:
    user = oidc_user_sign_in(issuer=ISSUER, claims=claims(groups=["finance"]))

    assert user_roles(user) == frozenset()


def test_a_role_map_naming_no_role_is_refused(settings: Any) -> None:
    settings.OIDC_ROLE_MAP = (("esc-admins", "Administrators"),)

    with pytest.raises(ImproperlyConfigured, match="unknown role 'Administrators'"):
        role_map()


# --- Matching people -------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_person_is_found_again_by_issuer_and_subject_whatever_their_email_becomes(
    mapped: None,
) -> None:
    first = oidc_user_sign_in(issuer=ISSUER, claims=claims())
    again = oidc_user_sign_in(
        issuer=ISSUER, claims=claims(email="olga.new@example.com", given_name="Olga")
    )

    assert again == first
    again.refresh_from_db()
    assert (again.email, again.first_name) == ("olga.new@example.com", "Olga")
    other_issuer = oidc_user_sign_in(issuer="https://other.example.com", claims=claims())
    assert other_issuer != first
    assert OidcIdentity.objects.count() == 2


@pytest.mark.django_db
def test_a_local_account_with_the_same_email_is_not_linked_unless_the_setting_allows(
    mapped: None,
) -> None:
    local = UserFactory(username="o.rossi", email="olga@example.com")

    user = oidc_user_sign_in(issuer=ISSUER, claims=claims(email_verified=True))

    assert user != local


@pytest.mark.django_db
def test_with_linking_on_a_verified_email_links_a_local_account_once(
    mapped: None, settings: Any
) -> None:
    settings.OIDC_LINK_BY_EMAIL = True
    local = UserFactory(username="o.rossi", email="Olga@Example.com")

    user = oidc_user_sign_in(issuer=ISSUER, claims=claims(email_verified=True))

    assert user == local
    assert OidcIdentity.objects.get(user=local).subject == "s-1"
    # The account is now that subject's: another subject with the same email is not let in.
    assert oidc_user_sign_in(issuer=ISSUER, claims=claims(sub="s-2", email_verified=True)) != local


@pytest.mark.django_db
def test_with_linking_on_an_unverified_email_or_an_administrator_is_never_linked(
    mapped: None, settings: Any
) -> None:
    settings.OIDC_LINK_BY_EMAIL = True
    UserFactory(username="o.rossi", email="olga@example.com")
    admin = UserFactory(username="root", email="root@example.com", is_staff=True)

    unverified = oidc_user_sign_in(issuer=ISSUER, claims=claims(email_verified=False))
    claimed_admin = oidc_user_sign_in(
        issuer=ISSUER, claims=claims(sub="s-2", email="root@example.com", email_verified=True)
    )

    assert unverified.username == "olga"
    assert claimed_admin != admin
    assert not claimed_admin.is_staff


@pytest.mark.django_db
def test_an_id_token_for_another_client_or_issuer_is_refused(mapped: None) -> None:
    backend = OidcBackend.__new__(OidcBackend)  # no provider settings are needed for this check
    good = {"iss": ISSUER, "aud": "escalation", "sub": "s-1"}

    for payload in (
        {**good, "iss": "https://evil.example.com"},
        {**good, "aud": "another-app"},
        {**good, "aud": ["escalation", "another-app"], "azp": "another-app"},
    ):
        with pytest.raises(SuspiciousOperation):
            backend.get_or_create_user("access", "id-token", payload)
    assert not User.objects.exists()


# --- The login page and local passwords ------------------------------------------------------


@pytest.fixture
def admin(db: None) -> User:
    user: User = UserFactory(username="root", is_staff=True)
    return user


@pytest.fixture
def oidc_settings(settings: Any, mapped: None) -> Any:
    settings.OIDC_PROVIDER_NAME = "Acme SSO"
    settings.OIDC_LOCAL_LOGIN = "admins"
    settings.AUTHENTICATION_BACKENDS = OIDC_BACKENDS
    return settings


def _log_in(username: str) -> Any:
    return Client().post(
        "/accounts/login/", {"username": username, "password": PASSWORD}, follow=False
    )


def test_oidc_is_off_by_default_and_the_backends_are_unchanged() -> None:
    assert django_settings.OIDC_ENABLED is False
    assert django_settings.AUTHENTICATION_BACKENDS == [
        "axes.backends.AxesStandaloneBackend",
        "django.contrib.auth.backends.ModelBackend",
    ]


@pytest.mark.django_db
def test_with_oidc_off_the_login_page_has_no_provider_button_and_its_urls_are_not_found(
    alice: User,
) -> None:
    page = Client().get("/accounts/login/")

    assert page.status_code == 200
    assert b"Sign in with" not in page.content
    assert b'name="password"' in page.content
    assert Client().get("/oidc/authenticate/").status_code == 404
    assert Client().get("/oidc/callback/?code=x&state=y").status_code == 404
    assert _log_in("alice").status_code == 302


@pytest.mark.django_db
def test_with_oidc_on_the_login_page_offers_the_provider_and_passwords_for_administrators(
    oidc_settings: Any,
) -> None:
    page = Client().get("/accounts/login/?next=/cases/")

    assert page.status_code == 200
    assert b"Sign in with Acme SSO" in page.content
    assert b'href="/oidc/authenticate/?next=/cases/"' in page.content
    assert b"for administrators" in page.content


@pytest.mark.django_db
def test_with_oidc_on_an_administrator_still_logs_in_with_a_local_password(
    oidc_settings: Any, admin: User
) -> None:
    answer = _log_in("root")

    assert answer.status_code == 302
    assert "/accounts/login/" not in answer.headers["Location"]


@pytest.mark.django_db
def test_with_oidc_on_an_operator_is_refused_a_local_password(
    oidc_settings: Any, alice: User
) -> None:
    answer = _log_in("alice")

    assert answer.status_code == 200
    assert b"correct username and password" in answer.content


@pytest.mark.django_db
def test_with_local_login_for_all_an_operator_may_still_use_a_password(
    oidc_settings: Any, alice: User
) -> None:
    oidc_settings.OIDC_LOCAL_LOGIN = "all"

    assert _log_in("alice").status_code == 302
    assert b"for administrators" not in Client().get("/accounts/login/").content


# --- Settings --------------------------------------------------------------------------------

OIDC_ENV = {
    "OIDC_ENABLED": "true",
    "OIDC_RP_CLIENT_ID": "escalation",
    "OIDC_RP_CLIENT_SECRET": "secret",
    "OIDC_OP_ISSUER": "https://sso.example.com/realms/acme",
    "OIDC_OP_AUTHORIZATION_ENDPOINT": "https://sso.example.com/auth",
    "OIDC_OP_TOKEN_ENDPOINT": "https://sso.example.com/token",
    "OIDC_OP_USER_ENDPOINT": "https://sso.example.com/userinfo",
    "OIDC_OP_JWKS_ENDPOINT": "https://sso.example.com/certs",
    "OIDC_ROLE_MAP": "esc-ops=Operators, esc-managers = manager",
}
SHOW_BACKENDS = (
    "from django.conf import settings; print(settings.AUTHENTICATION_BACKENDS);"
    " print(settings.OIDC_ROLE_MAP)"
)


def test_oidc_on_replaces_the_password_backend_and_adds_its_own_after_axes() -> None:
    result = run_manage("shell", "-c", SHOW_BACKENDS, **OIDC_ENV)

    assert result.returncode == 0, result.stderr
    assert str(OIDC_BACKENDS) in result.stdout
    assert "(('esc-ops', 'Operators'), ('esc-managers', 'manager'))" in result.stdout


def test_oidc_on_without_its_provider_settings_stops_with_their_names() -> None:
    env = {**OIDC_ENV, "OIDC_RP_CLIENT_ID": "", "OIDC_OP_JWKS_ENDPOINT": ""}

    result = run_manage("check", **env)

    assert result.returncode != 0
    assert "OIDC_ENABLED needs OIDC_RP_CLIENT_ID, OIDC_OP_JWKS_ENDPOINT set too" in result.stderr


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("OIDC_LOCAL_LOGIN", "nobody", "OIDC_LOCAL_LOGIN must be admins or all"),
        ("OIDC_TEAM_MAP", "sd-team", "OIDC_TEAM_MAP must be 'claim value=name, ...'"),
    ],
)
def test_a_bad_oidc_setting_stops_the_app_with_its_name(
    name: str, value: str, message: str
) -> None:
    result = run_manage("check", **{name: value})

    assert result.returncode != 0
    assert message in result.stderr


@pytest.mark.django_db
def test_with_no_provider_name_the_button_names_the_company_account_in_the_page_language(
    oidc_settings: Any,
) -> None:
    oidc_settings.OIDC_PROVIDER_NAME = ""

    page = Client().get("/accounts/login/")

    assert b"Sign in with your company account" in page.content
