from csp.decorators import csp_update
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.templatetags.static import static
from django.urls import include, path, re_path
from django.utils.functional import lazy
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from cases.api.views import StaffOnly
from escalation import views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    # Browsers ask for /favicon.ico whatever the page links. The static URL is looked up when
    # asked, not at import: the manifest of hashed names may not exist yet then.
    path(
        "favicon.ico",
        login_not_required(RedirectView.as_view(url=lazy(static, str)("favicon.svg"))),
        name="favicon",
    ),
    path("accounts/login/", views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
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
