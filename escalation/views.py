from __future__ import annotations

import logging

from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET

from escalation.health import broker_ok
from escalation.navigation import home_url_for

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


class LoginView(auth_views.LoginView):
    template_name = "registration/login.html"
    redirect_authenticated_user = True


@csrf_exempt  # it changes nothing, whatever the method
@login_not_required
def api_not_found(request: HttpRequest, rest: str) -> JsonResponse:
    """Any /api/ path no endpoint answers: the API's JSON 404, not the HTML page."""
    return JsonResponse({"detail": "Not found."}, status=404)
