"""Roles are Django groups; these helpers are the one way to ask what a user may do."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import models


class Role(models.TextChoices):
    OPERATOR = "Operators", "Operator"
    MANAGER = "Escalation managers", "Escalation manager"
    EXECUTIVE = "Executives", "Executive"


def user_roles(user: AbstractBaseUser | AnonymousUser) -> frozenset[Role]:
    """The roles of a user, cached on the user object for the request."""
    if not user.is_authenticated:
        return frozenset()
    cached: frozenset[Role] | None = getattr(user, "_escalation_roles", None)
    if cached is None:
        names = set(user.groups.values_list("name", flat=True))  # type: ignore[attr-defined]
        cached = frozenset(role for role in Role if role.value in names)
        user._escalation_roles = cached  # type: ignore[union-attr,attr-defined]
    return cached


def has_role(user: AbstractBaseUser | AnonymousUser, *roles: Role) -> bool:
    return bool(user_roles(user) & set(roles))


def is_operator(user: AbstractBaseUser | AnonymousUser) -> bool:
    return has_role(user, Role.OPERATOR)


def is_manager(user: AbstractBaseUser | AnonymousUser) -> bool:
    return has_role(user, Role.MANAGER)


def is_executive(user: AbstractBaseUser | AnonymousUser) -> bool:
    return has_role(user, Role.EXECUTIVE)
