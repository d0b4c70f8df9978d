"""Roles are Django groups; these helpers are the one way to ask what a user may do."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser, User
from django.db import models

# The project keeps Django's default user model (settings name no AUTH_USER_MODEL), so services
# take a `User`. A request's user is an `AnyUser` until something has checked the login:
# `cases.views.common.signed_in` for pages, `escalation.access.api_user` for the API.
AnyUser = User | AnonymousUser


class Role(models.TextChoices):
    OPERATOR = "Operators", "Operator"
    MANAGER = "Escalation managers", "Escalation manager"
    EXECUTIVE = "Executives", "Executive"


def user_roles(user: AnyUser) -> frozenset[Role]:
    """The roles of a user, cached on the user object for the request."""
    if not user.is_authenticated:
        return frozenset()
    cached: frozenset[Role] | None = getattr(user, "_escalation_roles", None)
    if cached is None:
        names = set(user.groups.values_list("name", flat=True))
        cached = frozenset(role for role in Role if role.value in names)
        user._escalation_roles = cached  # type: ignore[attr-defined]  # a per-request cache
    return cached


def has_role(user: AnyUser, *roles: Role) -> bool:
    return bool(user_roles(user) & set(roles))


def is_operator(user: AnyUser) -> bool:
    return has_role(user, Role.OPERATOR)


def is_manager(user: AnyUser) -> bool:
    return has_role(user, Role.MANAGER)


def is_executive(user: AnyUser) -> bool:
    return has_role(user, Role.EXECUTIVE)


# Who can be given work to do (hold a case, own a corrective action). Executives read and
# change nothing, so they are never offered as an owner nor accepted as one.
OWNER_ROLES = (Role.OPERATOR, Role.MANAGER)


def can_own(user: AnyUser) -> bool:
    """Whether ``user`` can be given work: active, and an operator or a manager."""
    return bool(getattr(user, "is_active", False)) and has_role(user, *OWNER_ROLES)


def users_who_can_own() -> models.QuerySet[User]:
    """The people an owner choice offers: active operators and managers."""
    return users_with_role(*OWNER_ROLES)


def users_with_role(*roles: Role) -> models.QuerySet[User]:
    """Active users holding any of ``roles``, by name: the people a choice of users offers."""
    return (
        User.objects.filter(is_active=True, groups__name__in=[role.value for role in roles])
        .distinct()
        .order_by("first_name", "last_name", "username")
    )
