from __future__ import annotations

import logging

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from escalation.access import signed_in
from escalation.errors import DomainError
from escalation.forms import LanguageForm
from escalation.health import broker_ok
from escalation.navigation import home_url_for
from escalation.users import SESSION_LANGUAGE_KEY, user_chosen_language, user_language_set

logger = logging.getLogger(__name__)


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """Send each role to its own start page; a user with no role learns why they see nothing."""
    target = home_url_for(request.user)
    if target:
        return redirect(target)
    return render(request, "home.html", status=200)


@login_not_required
@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness of the database and the broker, for load balancers and docker-compose."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        database = True
    except Exception:
        logger.warning("database health check failed", exc_info=True)
        database = False
    broker = broker_ok()
    healthy = database and broker
    return JsonResponse(
        {
            "status": "ok" if healthy else "unavailable",
            "database": "ok" if database else "unavailable",
            "broker": "ok" if broker else "unavailable",
        },
        status=200 if healthy else 503,
    )


@require_http_methods(["GET", "POST"])
def profile(request: HttpRequest) -> HttpResponse:
    """The signed-in user's own settings: the language of their pages and mail."""
    user = signed_in(request)
    if request.method == "POST":
        form = LanguageForm(request.POST)
        if form.is_valid():
            try:
                preference = user_language_set(user=user, language=form.cleaned_data["language"])
            except DomainError as error:
                form.add_domain_error(error)
            else:
                request.session[SESSION_LANGUAGE_KEY] = preference.language
                # The confirmation already in the new language (the browser's for "").
                translation.activate(
                    preference.language or translation.get_language_from_request(request)
                )
                messages.success(request, _("Your language is saved."))
                return redirect("profile")
        return render(request, "registration/profile.html", {"form": form}, status=400)
    form = LanguageForm(initial={"language": user_chosen_language(user)})
    return render(request, "registration/profile.html", {"form": form})


class LoginView(auth_views.LoginView):
    template_name = "registration/login.html"
    redirect_authenticated_user = True


@csrf_exempt  # it changes nothing, whatever the method
@login_not_required
def api_not_found(request: HttpRequest, rest: str) -> JsonResponse:
    """Any /api/ path no endpoint answers: the API's JSON 404, not the HTML page."""
    return JsonResponse({"detail": _("Not found.")}, status=404)
