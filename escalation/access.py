"""Access rules shared by pages and the API: one decorator, one DRF permission."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponseBase
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework.exceptions import NotAuthenticated
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.views import APIView

from escalation.roles import Role, has_role

ViewFunc = Callable[..., HttpResponseBase]


def role_required(*roles: Role) -> Callable[[ViewFunc], ViewFunc]:
    """Refuse (403) a logged-in user who has none of ``roles``; the login middleware has already
    sent anonymous visitors to the login page."""

    def decorator(view: ViewFunc) -> ViewFunc:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            if not has_role(request.user, *roles):
                raise PermissionDenied(_("Your role does not give access to this page."))
            return view(request, *args, **kwargs)

        wrapper.required_roles = roles  # type: ignore[attr-defined]
        return wrapper

    return decorator


def roles_permission(*roles: Role) -> type[BasePermission]:
    """A DRF permission class admitting authenticated users with one of ``roles``."""

    class HasRole(BasePermission):
        message = gettext_lazy("Your role does not give access to this endpoint.")

        def has_permission(self, request: Request, view: APIView) -> bool:
            return bool(request.user and request.user.is_authenticated) and has_role(
                request.user, *roles
            )

    HasRole.__name__ = "HasRole_" + "_".join(r.name for r in roles)
    return HasRole


def signed_in(request: HttpRequest | Request) -> User:
    """The signed-in user of a page or an endpoint, typed for the services.

    The login middleware (pages) and ``roles_permission`` (the API) have already turned
    anonymous visitors away; this only tells the type checker so, and refuses (403 on a page,
    401 from the API) should a view ever lose its guard.
    """
    user = request.user
    if isinstance(user, User):
        return user
    if isinstance(request, Request):
        raise NotAuthenticated()
    raise PermissionDenied(_("Log in first."))
