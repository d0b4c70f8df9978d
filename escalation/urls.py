from csp.decorators import csp_update
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.templatetags.static import static
from django.urls import include, path, re_path
from django.utils import timezone
from django.utils.functional import lazy
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from cases.api.views import StaffOnly
from escalation import metrics, oidc, views
from escalation.celery import app as celery_app
from escalation.celery import queue_names
from sla.selectors import open_cases_by_sla_state

# What /metrics reads when scraped, besides every process's counters (escalation.metrics).
METRICS_AT_SCRAPE = [
    metrics.queue_depths(
        app=celery_app, queues=lambda: queue_names(celery_app.conf.task_default_queue)
    ),
    metrics.gauge_at_scrape(
        "escalation_open_cases",
        "Open cases by SLA state.",
        "sla_state",
        lambda: open_cases_by_sla_state(now=timezone.now()),
    ),
]

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("metrics", metrics.metrics_view(collectors=METRICS_AT_SCRAPE), name="metrics"),
    # Browsers ask for /favicon.ico whatever the page links. The static URL is looked up when
    # asked, not at import: the manifest of hashed names may not exist yet then.
    path(
        "favicon.ico",
        login_not_required(RedirectView.as_view(url=lazy(static, str)("favicon.svg"))),
        name="favicon",
    ),
    path("accounts/login/", views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    # Sign-in with the identity provider (escalation.oidc; 404 while OIDC_ENABLED is off). The
    # names are mozilla-django-oidc's own.
    path("oidc/authenticate/", oidc.oidc_authenticate, name="oidc_authentication_init"),
    path("oidc/callback/", oidc.oidc_callback, name="oidc_authentication_callback"),
    path("accounts/profile/", views.profile, name="profile"),
    path(
        "accounts/password/",
        auth_views.PasswordChangeView.as_view(template_name="registration/password_change.html"),
        name="password_change",
    ),
    path(
        "accounts/password/done/",
        auth_views.PasswordChangeDoneView.as_view(
            template_name="registration/password_change_done.html"
        ),
        name="password_change_done",
    ),
    path("admin/", admin.site.urls),
    path("cases/", include("cases.urls")),
    path("sla/", include("sla.urls")),
    path("reports/", include("reports.urls")),
    path("learning/", include("reviews.urls")),
    path("incidents/", include("incidents.urls")),
    path("contracts/", include("contracts.urls")),
    path("forecasts/", include("forecasts.urls")),
    path("status/", include("comms.urls_public")),
    path("comms/", include("comms.urls")),
    # Hosted email's inbound webhooks (django-anymail: each provider's format and signature).
    path("inbound/", include("comms.urls_inbound")),
    path("api/", include("cases.api_urls")),
    path("api/", include("sla.api_urls")),
    path("api/", include("alerts.api_urls")),
    path("api/", include("incidents.api_urls")),
    # The API's own permission: callers the API refuses are refused its description too.
    path(
        "api/schema/",
        SpectacularAPIView.as_view(permission_classes=[StaffOnly]),
        name="api-schema",
    ),
    path(
        "api/docs/",
        # drf-spectacular's page carries its layout as an inline <style>; scripts stay 'self'.
        csp_update({"style-src": ["'unsafe-inline'"]})(
            SpectacularSwaggerSplitView.as_view(
                url_name="api-schema", permission_classes=[StaffOnly]
            )
        ),
        name="api-docs",
    ),
    # Last: whatever /api/ path no endpoint took gets the API's JSON 404.
    # (ending in a slash, so a real endpoint asked for without one is still redirected to it)
    re_path(r"^api/(?P<rest>.+/)$", views.api_not_found, name="api-not-found"),
]
