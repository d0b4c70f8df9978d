from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.auth.middleware import LoginRequiredMiddleware as DjangoLoginRequired
from django.http import HttpRequest, HttpResponse, HttpResponseBase, JsonResponse
from django.template.defaultfilters import filesizeformat
from django.utils import translation
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _

from escalation.users import LANGUAGE_CODES, SESSION_LANGUAGE_KEY, user_chosen_language


class LoginRequiredMiddleware(DjangoLoginRequired):
    """Every page needs a login, except those marked ``login_not_required`` and the API.

    The API authenticates inside DRF (session or token) and answers 401/403 in JSON; a login
    redirect would be wrong for a token client, so the middleware leaves ``/api/`` alone.
    """

    def process_view(
        self,
        request: HttpRequest,
        view_func: Callable[..., HttpResponseBase],
        view_args: tuple[Any, ...],
        view_kwargs: dict[str, Any],
    ) -> HttpResponseBase | None:
        if request.path_info.startswith("/api/"):
            return None
        return super().process_view(request, view_func, view_args, view_kwargs)


class PrivateCacheMiddleware:
    """Signed-in pages and every API answer are for one person: ``Cache-Control: private,
    no-store`` (Django's ``add_never_cache_headers``), so neither a shared proxy nor the
    browser's back button keeps a copy of a case after logout. Static files are served before
    this runs (WhiteNoise) and keep their long cache."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if request.path_info.startswith("/api/") or (user is not None and user.is_authenticated):
            add_never_cache_headers(response)
        return response


class UploadSizeLimitMiddleware:
    """Refuse an upload whose body is larger than any accepted upload could be
    (``UPLOAD_MAX_BODY_BYTES``: the most files a form takes at their largest, plus the form)
    from its Content-Length, with a 413, before anything reads the body: otherwise Django would
    stream a gigabyte to temporary files only for the form to refuse it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        limit = settings.UPLOAD_MAX_BODY_BYTES
        if length > limit:
            each = filesizeformat(settings.ATTACHMENT_MAX_BYTES)
            message = _(
                "The upload is too large (%(size)s; at most %(limit)s in one request, "
                "%(each)s a file)."
            ) % {"size": filesizeformat(length), "limit": filesizeformat(limit), "each": each}
            if request.path_info.startswith("/api/"):
                return JsonResponse({"detail": message}, status=413)
            return HttpResponse(message, status=413, content_type="text/plain; charset=utf-8")
        return self.get_response(request)


class UserLanguageMiddleware:
    """A signed-in user's saved language (their profile) over the browser's, which
    ``LocaleMiddleware`` has already activated; an empty choice leaves the browser's. Over both,
    for anyone (the customers' status page), ``?lang=it`` asks for one page in that language.

    The choice is kept in the session (``SESSION_LANGUAGE_KEY``), read from the database once a
    session, so a page makes no extra query; the profile page updates it when it changes."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            language = request.session.get(SESSION_LANGUAGE_KEY)
            if language is None:
                language = user_chosen_language(user)
                request.session[SESSION_LANGUAGE_KEY] = language
            if language:
                translation.activate(language)
                request.LANGUAGE_CODE = language
        asked = request.GET.get("lang", "")
        if asked in LANGUAGE_CODES:
            translation.activate(asked)
            request.LANGUAGE_CODE = asked
        return self.get_response(request)
