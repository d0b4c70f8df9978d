"""Integration tokens: issued once, kept only as a hash, looked up by that hash, revoked.

A token names its source's own account (``IntegrationToken.user``): inactive, so it can never
log in, is offered as no owner and is mailed nothing, with the operator role, which is what
raising a case takes (``cases.permissions.can_raise``). The source acts on its cases' lifecycle
as the system does (``by=None``): its account works no case, and the token is the permission,
limited to the cases its own keys raised (``alerts.services``).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from django.contrib.auth.models import Group, User
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from cases.models import Category, Customer, Product, Team
from escalation.errors import DomainError
from escalation.roles import Role
from escalation.text import text_clean

from .models import IntegrationToken

TOKEN_PREFIX = "esc_"
# How much of the token the admin shows: "esc_" and 8 of its random characters.
SHOWN = len(TOKEN_PREFIX) + 8
SOURCE_MAX = 100


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


@dataclass(frozen=True)
class Issued:
    """A token as issued: ``token`` is shown once and never kept."""

    integration: IntegrationToken
    token: str


def integration_token_create(
    *,
    source: str,
    customer: Customer | None = None,
    team: Team | None = None,
    product: Product | None = None,
    category: Category | None = None,
) -> Issued:
    """A new source with its account and its token (refused if the source exists)."""
    source = text_clean(
        source, field="source", label="Source", max_length=SOURCE_MAX, multiline=False
    )
    with transaction.atomic():
        if IntegrationToken.objects.filter(source__iexact=source).exists():
            raise DomainError(f"The source {source!r} has a token already.", field="source")
        user = _source_user(source)
        token = _new_token()
        integration = IntegrationToken.objects.create(
            source=source,
            user=user,
            digest=token_digest(token),
            prefix=token[:SHOWN],
            customer=customer,
            team=team,
            product=product,
            category=category,
            created_at=timezone.now(),
        )
    return Issued(integration=integration, token=token)


def integration_token_rotate(*, integration: IntegrationToken) -> Issued:
    """A fresh token for the source (the old one stops working at once; a revoked source
    works again with the new one). Its keys and cases stay."""
    token = _new_token()
    with transaction.atomic():
        locked = IntegrationToken.objects.select_for_update().get(pk=integration.pk)
        locked.digest = token_digest(token)
        locked.prefix = token[:SHOWN]
        locked.revoked_at = None
        locked.save(update_fields=["digest", "prefix", "revoked_at"])
    return Issued(integration=locked, token=token)


def integration_token_revoke(*, integration: IntegrationToken) -> int:
    """Stop the token from working (kept, with its keys and cases). 1 if it was live."""
    return IntegrationToken.objects.filter(pk=integration.pk, revoked_at=None).update(
        revoked_at=timezone.now()
    )


def _source_user(source: str) -> User:
    """The source's own account: inactive, no usable password, the operator role."""
    base = f"monitoring-{slugify(source)[:100] or 'source'}"
    username, n = base, 1
    while User.objects.filter(username=username).exists():
        n += 1
        username = f"{base}-{n}"
    user = User(
        username=username, first_name="Monitoring:", last_name=source[:150], is_active=False
    )
    user.set_unusable_password()
    user.save()
    user.groups.add(Group.objects.get_or_create(name=Role.OPERATOR.value)[0])
    return user


def integration_for_token(token: str) -> IntegrationToken | None:
    """The source ``token`` was issued to (revoked or not: the caller refuses and logs a
    revoked one), with its account and its defaults, in one query; None for no source."""
    if not token.startswith(TOKEN_PREFIX):
        return None
    return (
        IntegrationToken.objects.select_related("user", "customer", "team", "product", "category")
        .filter(digest=token_digest(token))
        .first()
    )
