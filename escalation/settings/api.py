"""The REST API and its schema."""

from __future__ import annotations

from escalation.settings.env import env

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "rest_framework.authentication.TokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # JSON only, refusing documents nested too deeply with a 400 (escalation.parsers.JSONParser).
    "DEFAULT_PARSER_CLASSES": ["escalation.parsers.JSONParser"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_THROTTLE_CLASSES": [
        # DRF's, failing open while the cache (Redis) is unreachable.
        "escalation.throttling.AnonRateThrottle",
        "escalation.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env("API_THROTTLE_ANON", "60/minute"),
        "user": env("API_THROTTLE_USER", "6000/minute"),
        # Raising cases through the API (cases.api.views.CaseCreateThrottle).
        "case_create": env("API_THROTTLE_CASE_CREATE", "60/minute"),
    },
    "EXCEPTION_HANDLER": "escalation.api.exception_handler",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Escalation API",
    "DESCRIPTION": "Raise, triage and resolve escalated customer problems.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    # Swagger UI from the app's own static files (drf-spectacular-sidecar), started by a script
    # file rather than an inline one (SpectacularSwaggerSplitView): no CDN, and within the CSP.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "CaseStatusEnum": "cases.models.case.Status",
        "SettableStatusEnum": "cases.api.serializers.SET_STATUS_CHOICES",
        "LinkKindEnum": "cases.models.case.LinkKind",
        "EventKindEnum": "cases.models.timeline.EventKind",
    },
}
