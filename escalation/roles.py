"""Roles are Django groups; these helpers are the one way to ask what a user may do."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from django.contrib.auth.models import AnonymousUser, Group, User
from django.db import models
from django.db.models import Exists, OuterRef

# The project keeps Django's default user model (settings name no AUTH_USER_MODEL), so services
# take a `User`. A request's user is an `AnyUser` until something has checked the login:
# `escalation.access.signed_in`, for pages and the API alike.
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


def user_roles_load(users: Iterable[User]) -> None:
    """Cache the roles of each of ``users``, as ``user_roles`` does, with one query for all of
    them: for code that checks many people at once (the people a note mentions)."""
    pending = [u for u in users if getattr(u, "_escalation_roles", None) is None]
    if not pending:
        return
    names: defaultdict[int, set[str]] = defaultdict(set)
    memberships = User.groups.through.objects.filter(user_id__in=[u.pk for u in pending])
    for user_id, name in memberships.values_list("user_id", "group__name"):
        names[user_id].add(name)
    for user in pending:
        roles = frozenset(role for role in Role if role.value in names[user.pk])
        user._escalation_roles = roles  # type: ignore[attr-defined]  # as user_roles caches


def is_manager(user: AnyUser) -> bool:
    return has_role(user, Role.MANAGER)


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
    """Active users holding any of ``roles``, by name: the people a choice of users offers.

    The role is an EXISTS on the user-group table rather than a join, so each user is one row
    and callers can go on filtering, annotating and counting (no DISTINCT to fight)."""
    memberships = User.groups.through.objects.filter(
        user_id=OuterRef("pk"),
        group_id__in=Group.objects.filter(name__in=[role.value for role in roles]).values("pk"),
    )
    return User.objects.filter(Exists(memberships), is_active=True).order_by(
        "first_name", "last_name", "username"
    )
