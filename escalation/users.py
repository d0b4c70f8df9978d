"""How people are named on pages, in mail, in the timeline and in the API."""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _

from escalation.errors import DomainError
from escalation.models import UserPreference

LANGUAGE_CODES = frozenset(code for code, _name in settings.LANGUAGES)


def display_name(user: User | None, *, nobody: str = "") -> str:
    """``user``'s full name, or their username when they gave no name; ``nobody`` for no user
    (an unassigned case, an action the system took)."""
    if user is None:
        return nobody
    return user.get_full_name() or user.get_username()


# The session's copy of the user's choice, so pages need not read it on every request.
SESSION_LANGUAGE_KEY = "escalation_language"


def user_chosen_language(user: User) -> str:
    """``user``'s saved language, "" when they chose none (or one no longer offered)."""
    chosen = UserPreference.objects.filter(user=user).values_list("language", flat=True).first()
    return chosen if chosen and chosen in LANGUAGE_CODES else ""


def user_language(user: User | None) -> str:
    """The language ``user`` reads mail in: their saved choice, else the site's default
    (``LANGUAGE_CODE``). For mail sent outside a request (staff notifications):
    ``with translation.override(user_language(recipient)): ...``."""
    return (user_chosen_language(user) if user is not None else "") or settings.LANGUAGE_CODE


def user_language_set(*, user: User, language: str) -> UserPreference:
    """Save ``user``'s language: one of ``settings.LANGUAGES``, or "" for the browser's."""
    if language and language not in LANGUAGE_CODES:
        raise DomainError(_("Choose one of the languages offered."), field="language")
    with transaction.atomic():
        preference, _created = UserPreference.objects.select_for_update().get_or_create(user=user)
        preference.language = language
        preference.save(update_fields=["language"])
    return preference


def users_languages(user_ids: Iterable[int]) -> dict[int, str]:
    """``user_language`` of many users at once, by user id: one query (mail to many staff)."""
    ids = set(user_ids)
    chosen = dict(
        UserPreference.objects.filter(user_id__in=ids, language__in=LANGUAGE_CODES).values_list(
            "user_id", "language"
        )
    )
    return {pk: chosen.get(pk) or settings.LANGUAGE_CODE for pk in ids}


def user_language_remember(
    sender: object, request: HttpRequest | None, user: User, **_: object
) -> None:
    """At login (Django's ``user_logged_in``): keep the user's saved language in the session,
    where ``UserLanguageMiddleware`` reads it, so no page has to query it."""
    if request is not None and hasattr(request, "session"):
        request.session[SESSION_LANGUAGE_KEY] = user_chosen_language(user)
