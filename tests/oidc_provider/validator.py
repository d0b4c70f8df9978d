"""The provider's claims: a person's Django groups at the provider become the ``groups`` claim,
as Keycloak's group mapper, Okta's groups claim or Entra's group claims do."""

from __future__ import annotations

from typing import Any

from oauth2_provider.oauth2_validators import OAuth2Validator


class GroupsValidator(OAuth2Validator):  # type: ignore[misc]  # the library is untyped
    # Every claim in the ID token and the userinfo whatever the scopes (groups has no scope).
    oidc_claim_scope = None

    def get_additional_claims(self, request: Any) -> dict[str, Any]:
        user = request.user
        return {
            "preferred_username": user.username,
            "given_name": user.first_name,
            "family_name": user.last_name,
            "email": user.email,
            "email_verified": bool(user.email),
            "groups": sorted(user.groups.values_list("name", flat=True)),
        }
