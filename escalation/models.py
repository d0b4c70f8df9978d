"""Per-user records of the project itself: the user's preferences and sign-in identities.

Django's own ``User`` stays the user model; these hang off it one-to-one (preferences) or
one-to-many (identities at an OpenID Connect provider).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class UserPreference(models.Model):
    """What a user chose for themselves: the language of their pages and mail."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="preference"
    )
    # Empty: follow the browser's Accept-Language, then the site default (LANGUAGE_CODE).
    language = models.CharField(max_length=10, blank=True, default="")

    def __str__(self) -> str:
        return f"{self.user_id}: {self.language or 'default'}"


class OidcIdentity(models.Model):
    """A user as an OpenID Connect provider knows them: matched by (issuer, subject), which
    never change, rather than by an email address, which may."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="oidc_identities"
    )
    issuer = models.CharField(max_length=255)
    subject = models.CharField(max_length=255)
    created_at = models.DateTimeField(auto_now_add=True)
    last_login_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["issuer", "subject"], name="oidc_identity_unique")
        ]

    def __str__(self) -> str:
        return f"{self.issuer} {self.subject}"
