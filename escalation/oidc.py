"""Sign-in with the company's identity provider (OpenID Connect, through mozilla-django-oidc).

The library runs the authorization-code flow (state, nonce, PKCE, the signature of the ID
token). This module decides who the person is and what they may do:

1. The person is their (issuer, ``sub``) pair (``OidcIdentity``), never an email address, which
   can change hands; a first sign-in makes an account, or takes over the local account with the
   same provider-verified email when ``OIDC_LINK_BY_EMAIL`` allows it (never an administrator's).
2. Every sign-in sets the person's roles and teams from the groups claim, through
   ``OIDC_ROLE_MAP`` and ``OIDC_TEAM_MAP``: what the claim maps to is added, what it no longer
   maps to is taken away. Only the roles and teams the maps name are the provider's to manage;
   unknown claim values are ignored, and so are the roles and teams no map names (an
   administrator may still give them by hand).
3. With OIDC on, local passwords are for administrators (staff, superusers) only unless
   ``OIDC_LOCAL_LOGIN=all``.

The project package may not import the apps (import-linter), so teams are reached through the
user's reverse relation (``user.teams``), which ``cases.Team.members`` declares.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import requests
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.models import AnonymousUser, Group, User
from django.core.exceptions import ImproperlyConfigured, SuspiciousOperation
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from mozilla_django_oidc.auth import OIDCAuthenticationBackend
from mozilla_django_oidc.views import OIDCAuthenticationCallbackView, OIDCAuthenticationRequestView

from escalation.models import OidcIdentity
from escalation.roles import Role

logger = logging.getLogger(__name__)

# What Django accepts in a username (its UnicodeUsernameValidator), and its length.
_USERNAME_UNSAFE = re.compile(r"[^\w.@+-]")
_USERNAME_MAX = 150


def oidc_enabled() -> bool:
    return bool(settings.OIDC_ENABLED)


def local_login_admins_only() -> bool:
    return oidc_enabled() and settings.OIDC_LOCAL_LOGIN == "admins"


def provider_name() -> str:
    """How the login page and its messages name the provider."""
    return str(settings.OIDC_PROVIDER_NAME or _("your company account"))


# --- Claims to roles and teams -------------------------------------------------------------------


def _role_named(name: str) -> Role:
    # The group's name ("Operators") or the role's short name ("operator").
    for role in Role:
        if name.casefold() in (role.value.casefold(), role.name.casefold()):
            return role
    known = ", ".join(role.value for role in Role)
    raise ImproperlyConfigured(f"OIDC_ROLE_MAP names an unknown role {name!r} (roles: {known})")


def role_map() -> dict[str, frozenset[Role]]:
    """Claim value to the roles it gives, from ``OIDC_ROLE_MAP``."""
    mapped: dict[str, set[Role]] = {}
    for value, role in settings.OIDC_ROLE_MAP:
        mapped.setdefault(value, set()).add(_role_named(role))
    return {value: frozenset(roles) for value, roles in mapped.items()}


def team_map() -> dict[str, frozenset[str]]:
    """Claim value to the names of the teams it gives, from ``OIDC_TEAM_MAP``."""
    mapped: dict[str, set[str]] = {}
    for value, team in settings.OIDC_TEAM_MAP:
        mapped.setdefault(value, set()).add(team)
    return {value: frozenset(teams) for value, teams in mapped.items()}


def claim_values(claims: Mapping[str, Any], name: str) -> frozenset[str]:
    """The values of a groups-like claim: a list (Keycloak, Entra, Okta) or one string."""
    raw = claims.get(name)
    if isinstance(raw, str):
        return frozenset({raw})
    if isinstance(raw, list | tuple):
        return frozenset(str(value) for value in raw)
    return frozenset()


def _mapped(values: Iterable[str], mapping: Mapping[str, frozenset[Any]]) -> set[Any]:
    return {target for value in values for target in mapping.get(value, ())}


@dataclass(frozen=True)
class AccessChange:
    roles_added: tuple[str, ...]
    roles_removed: tuple[str, ...]
    teams_added: tuple[str, ...]
    teams_removed: tuple[str, ...]


def user_access_sync(*, user: User, claims: Mapping[str, Any]) -> AccessChange:
    """Set ``user``'s roles and teams to what ``claims`` map to, within what the maps manage.

    1. Lock the user, so two sign-ins of one person at once apply one after the other.
    2. Roles: the managed ones are the roles ``OIDC_ROLE_MAP`` names; add the mapped, remove the
       other managed ones. Teams likewise with ``OIDC_TEAM_MAP``; a mapped team that does not
       exist (or is inactive) is skipped with a warning: teams are made by administrators.
    3. Log what changed: the audit trail of who gained or lost access, and from which claim.
    """
    roles, teams = role_map(), team_map()
    with transaction.atomic():
        User.objects.select_for_update().filter(pk=user.pk).first()
        managed_roles = {role.value for targets in roles.values() for role in targets}
        wanted_roles = {
            role.value for role in _mapped(claim_values(claims, settings.OIDC_ROLE_CLAIM), roles)
        }
        held_roles = set(user.groups.filter(name__in=managed_roles).values_list("name", flat=True))
        add_roles, remove_roles = wanted_roles - held_roles, held_roles - wanted_roles
        if add_roles:
            # The groups come with the data migration; a flushed database gets them back here.
            user.groups.add(*(Group.objects.get_or_create(name=name)[0] for name in add_roles))
        if remove_roles:
            user.groups.remove(*Group.objects.filter(name__in=remove_roles))

        team_model = user.teams.model  # cases.Team, through its members relation
        managed_teams = {name for names in teams.values() for name in names}
        wanted_names = _mapped(claim_values(claims, settings.OIDC_TEAM_CLAIM), teams)
        wanted_teams = {
            team.name: team
            for team in team_model.objects.filter(name__in=wanted_names, is_active=True)
        }
        for name in sorted(wanted_names - wanted_teams.keys()):
            logger.warning("oidc: the mapped team %r does not exist or is inactive", name)
        held_teams = {team.name: team for team in user.teams.filter(name__in=managed_teams)}
        add_teams = wanted_teams.keys() - held_teams.keys()
        remove_teams = held_teams.keys() - wanted_teams.keys()
        if add_teams:
            user.teams.add(*(wanted_teams[name] for name in add_teams))
        if remove_teams:
            user.teams.remove(*(held_teams[name] for name in remove_teams))
    if hasattr(user, "_escalation_roles"):
        del user._escalation_roles  # the per-request cache of escalation.roles.user_roles
    change = AccessChange(
        roles_added=tuple(sorted(add_roles)),
        roles_removed=tuple(sorted(remove_roles)),
        teams_added=tuple(sorted(add_teams)),
        teams_removed=tuple(sorted(remove_teams)),
    )
    logger.info(
        "oidc: access of %s set from claims: roles +%s -%s, teams +%s -%s",
        user.get_username(),
        list(change.roles_added),
        list(change.roles_removed),
        list(change.teams_added),
        list(change.teams_removed),
    )
    return change


# --- Who signs in --------------------------------------------------------------------------------


def _username_for(*, issuer: str, claims: Mapping[str, Any]) -> str:
    """The provider's preferred username when it is free, else one derived from (issuer, sub):
    an account is never shared with a local one by a clash of names."""
    preferred = str(claims.get("preferred_username") or "").strip()
    preferred = _USERNAME_UNSAFE.sub("", preferred)[:_USERNAME_MAX]
    if preferred and not User.objects.filter(username__iexact=preferred).exists():
        return preferred
    digest = hashlib.sha256(f"{issuer} {claims['sub']}".encode()).hexdigest()
    return f"oidc-{digest[:16]}"


def _email_verified(claims: Mapping[str, Any]) -> bool:
    return claims.get("email_verified") in (True, "true")


def _linkable_user(claims: Mapping[str, Any]) -> User | None:
    """The one local account with the claims' verified email, if OIDC_LINK_BY_EMAIL lets a first
    sign-in take it over; never an administrator's, never one already linked."""
    email = str(claims.get("email") or "")
    if not (settings.OIDC_LINK_BY_EMAIL and email and _email_verified(claims)):
        return None
    candidates = list(
        User.objects.select_for_update()
        .filter(email__iexact=email, is_staff=False, is_superuser=False)
        .exclude(Exists(OidcIdentity.objects.filter(user=OuterRef("pk"))))[:2]
    )
    return candidates[0] if len(candidates) == 1 else None


def oidc_user_sign_in(*, issuer: str, claims: Mapping[str, Any]) -> User:
    """The account of the person the provider vouched for, made or linked on first sign-in,
    with their name, email, roles and teams brought up to date from ``claims``."""
    subject = str(claims["sub"])
    with transaction.atomic():
        identity = (
            OidcIdentity.objects.select_for_update()
            .select_related("user")
            .filter(issuer=issuer, subject=subject)
            .first()
        )
        if identity is None:
            user = _linkable_user(claims)
            how = "linked by email to" if user else "created"
            if user is None:
                user = User.objects.create_user(
                    _username_for(issuer=issuer, claims=claims), email=claims.get("email") or ""
                )
            identity = OidcIdentity.objects.create(user=user, issuer=issuer, subject=subject)
            logger.info("oidc: %s %s %s: %s", issuer, subject, how, user.get_username())
        user = identity.user
        user.first_name = str(claims.get("given_name") or user.first_name)[:150]
        user.last_name = str(claims.get("family_name") or user.last_name)[:150]
        user.email = str(claims.get("email") or user.email)
        user.save(update_fields=["first_name", "last_name", "email"])
        identity.last_login_at = timezone.now()
        identity.save(update_fields=["last_login_at"])
        user_access_sync(user=user, claims=claims)
    return user


# --- Authentication backends ---------------------------------------------------------------------


class LocalPasswordBackend(ModelBackend):
    """Django's password check; with OIDC on and ``OIDC_LOCAL_LOGIN=admins``, for staff and
    superusers only (everyone else signs in with the provider)."""

    def user_can_authenticate(self, user: User | AnonymousUser | None) -> bool:
        if not super().user_can_authenticate(user):
            return False
        if local_login_admins_only():
            return bool(getattr(user, "is_staff", False) or getattr(user, "is_superuser", False))
        return True


class OidcBackend(OIDCAuthenticationBackend):  # type: ignore[misc]  # the library is untyped
    """mozilla-django-oidc's backend, matching people by (issuer, sub) rather than email."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # The library reads (and insists on) its settings here; off, there are none to read.
        self.enabled = oidc_enabled()
        if self.enabled:
            super().__init__(*args, **kwargs)

    def authenticate(self, request: HttpRequest | None, **kwargs: Any) -> User | None:
        if not self.enabled:
            return None
        user: User | None = super().authenticate(request, **kwargs)
        return user

    def verify_claims(self, claims: Mapping[str, Any]) -> bool:
        return bool(claims.get("sub"))

    def get_or_create_user(
        self, access_token: str, id_token: str, payload: Mapping[str, Any]
    ) -> User | None:
        """``payload`` is the ID token, its signature, expiry and nonce checked by the library;
        its issuer and audience are checked here, then the userinfo must be about the same
        ``sub`` (OpenID Connect Core 5.3.2)."""
        issuer = settings.OIDC_OP_ISSUER
        if payload.get("iss") != issuer:
            raise SuspiciousOperation(f"ID token from issuer {payload.get('iss')!r}")
        audience = payload.get("aud")
        audiences = audience if isinstance(audience, list) else [audience]
        client_id = settings.OIDC_RP_CLIENT_ID
        if client_id not in audiences or (len(audiences) > 1 and payload.get("azp") != client_id):
            raise SuspiciousOperation(f"ID token for audience {audience!r}")
        userinfo = self.get_userinfo(access_token, id_token, payload)
        if userinfo.get("sub") != payload.get("sub"):
            raise SuspiciousOperation("userinfo is about another subject than the ID token")
        claims = {**payload, **userinfo}
        if not self.verify_claims(claims):
            raise SuspiciousOperation("no subject in the claims")
        return oidc_user_sign_in(issuer=issuer, claims=claims)

    def get_user(self, user_id: int) -> User | None:
        if not self.enabled:
            return None
        user = User.objects.filter(pk=user_id, is_active=True).first()
        return user


# --- Pages ---------------------------------------------------------------------------------------


class _AuthenticateView(OIDCAuthenticationRequestView):  # type: ignore[misc]
    pass


class _CallbackView(OIDCAuthenticationCallbackView):  # type: ignore[misc]
    """The library's callback, where a failure of any kind (a state that is not this browser's,
    a provider that refused or could not be reached, a token that does not verify) sends the
    person back to the login page with a message rather than a 400 or 500 page."""

    def get(self, request: HttpRequest) -> HttpResponse:
        try:
            response: HttpResponse = super().get(request)
        except (SuspiciousOperation, requests.RequestException) as exc:
            logger.warning("oidc: sign-in refused: %s", exc)
            return self.login_failure()
        return response

    def login_failure(self) -> HttpResponse:
        messages.error(
            self.request,
            _("Signing in with %(provider)s did not succeed. Please try again.")
            % {"provider": provider_name()},
        )
        return HttpResponseRedirect(reverse("login"))


@login_not_required
def oidc_authenticate(request: HttpRequest) -> HttpResponse:
    """Send the browser to the provider (404 while OIDC is off)."""
    if not oidc_enabled():
        raise Http404
    response: HttpResponse = _AuthenticateView.as_view()(request)
    return response


@login_not_required
def oidc_callback(request: HttpRequest) -> HttpResponse:
    """Where the provider sends the browser back with a code (404 while OIDC is off)."""
    if not oidc_enabled():
        raise Http404
    response: HttpResponse = _CallbackView.as_view()(request)
    return response


def sign_in_options(request: HttpRequest) -> dict[str, Any]:
    """The login page's choices (a context processor: settings only, no query)."""
    if not oidc_enabled():
        return {"oidc_sign_in": None}
    return {
        "oidc_sign_in": {
            "provider": provider_name(),
            "admins_only": local_login_admins_only(),
        }
    }
