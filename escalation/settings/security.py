"""Security headers, CSP, login throttling, sign-in with OpenID Connect."""

from __future__ import annotations

from datetime import timedelta

from django.core.exceptions import ImproperlyConfigured

from escalation.settings.core import AUTHENTICATION_BACKENDS, DEBUG, TEMPLATES
from escalation.settings.env import env, env_bool, env_int, env_pairs

# Security: strict when DEBUG is off, so `manage.py check --deploy` is silent.
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Content-Security-Policy on every page (django-csp): scripts, styles, fonts and images from
# this site only, no inline script or style, no framing, forms post here only. The pages load
# nothing from elsewhere (Bootstrap, HTMX, Chart.js and Swagger UI are vendored).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        # Bootstrap draws its icons (select arrows, close buttons) as data: SVG images.
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

# Login throttling (django-axes): after AXES_FAILURE_LIMIT wrong passwords for one username, or
# from one address, further attempts are refused (429) for AXES_COOLOFF_MINUTES. Lockouts are
# logged and listed in the admin ("Access attempts"), where deleting one lifts it; or
# `manage.py axes_reset_username NAME` / `axes_reset_ip ADDRESS`.
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 10, minimum=1)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("AXES_COOLOFF_MINUTES", 15, minimum=1))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
# The log names who was locked out and from where (passwords are never logged).
AXES_SENSITIVE_PARAMETERS: list[str] = []
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
# Behind TRUSTED_PROXY_COUNT reverse proxies the client's address is read from
# X-Forwarded-For (django-ipware); with none, REMOTE_ADDR is the client.
AXES_IPWARE_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0) or None
AXES_IPWARE_META_PRECEDENCE_ORDER = (
    ("HTTP_X_FORWARDED_FOR", "REMOTE_ADDR") if AXES_IPWARE_PROXY_COUNT else ("REMOTE_ADDR",)
)
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = 0 if DEBUG else env_int("SECURE_HSTS_SECONDS", 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
if not DEBUG and not SECURE_SSL_REDIRECT:
    # TLS is terminated by the proxy in front, which also redirects plain HTTP (docker-compose).
    SILENCED_SYSTEM_CHECKS = ["security.W008"]

# --- Sign-in with the company's identity provider, OpenID Connect (issue 18, helper oidc) ---
# mozilla-django-oidc's code flow (with PKCE) behind escalation.oidc; README "Sign-in with your
# identity provider". Off by default. On (OIDC_ENABLED), every OIDC_OP_*/OIDC_RP_* below but
# the optional ones must be set. People are matched by (issuer, sub); each sign-in sets the
# roles and teams named in OIDC_ROLE_MAP / OIDC_TEAM_MAP ("claim value=role or team, ...") from
# the OIDC_ROLE_CLAIM / OIDC_TEAM_CLAIM claim. Local passwords: administrators only
# (OIDC_LOCAL_LOGIN=admins) or everyone (all).
OIDC_ENABLED = env_bool("OIDC_ENABLED", False)
# Empty: "your company account", in the page's language (escalation.oidc.provider_name).
OIDC_PROVIDER_NAME = env("OIDC_PROVIDER_NAME")
OIDC_RP_CLIENT_ID = env("OIDC_RP_CLIENT_ID")
OIDC_RP_CLIENT_SECRET = env("OIDC_RP_CLIENT_SECRET")
OIDC_OP_ISSUER = env("OIDC_OP_ISSUER")
OIDC_OP_AUTHORIZATION_ENDPOINT = env("OIDC_OP_AUTHORIZATION_ENDPOINT")
OIDC_OP_TOKEN_ENDPOINT = env("OIDC_OP_TOKEN_ENDPOINT")
OIDC_OP_USER_ENDPOINT = env("OIDC_OP_USER_ENDPOINT")
OIDC_OP_JWKS_ENDPOINT = env("OIDC_OP_JWKS_ENDPOINT")
OIDC_RP_SIGN_ALGO = env("OIDC_RP_SIGN_ALGO", "RS256")
OIDC_RP_SCOPES = env("OIDC_RP_SCOPES", "openid email profile")
OIDC_USE_PKCE = env_bool("OIDC_USE_PKCE", True)
OIDC_ROLE_CLAIM = env("OIDC_ROLE_CLAIM", "groups")
OIDC_TEAM_CLAIM = env("OIDC_TEAM_CLAIM", OIDC_ROLE_CLAIM)

# Targets of OIDC_ROLE_MAP are checked against the roles when the first person signs in
# (escalation.oidc.role_map): the settings cannot import the models.
OIDC_ROLE_MAP = env_pairs("OIDC_ROLE_MAP")
OIDC_TEAM_MAP = env_pairs("OIDC_TEAM_MAP")
OIDC_LOCAL_LOGIN = env("OIDC_LOCAL_LOGIN", "admins")
if OIDC_LOCAL_LOGIN not in ("admins", "all"):
    raise ImproperlyConfigured(f"OIDC_LOCAL_LOGIN must be admins or all, not {OIDC_LOCAL_LOGIN!r}")
# A first sign-in may take over the local account with the same, provider-verified, email
# (never a staff or superuser account). Off: a new account is made.
OIDC_LINK_BY_EMAIL = env_bool("OIDC_LINK_BY_EMAIL", False)
OIDC_TIMEOUT = env_int("OIDC_TIMEOUT_SECONDS", 10, minimum=1)
if OIDC_ENABLED:
    _oidc_missing = [
        name
        for name in (
            "OIDC_RP_CLIENT_ID",
            "OIDC_RP_CLIENT_SECRET",
            "OIDC_OP_ISSUER",
            "OIDC_OP_AUTHORIZATION_ENDPOINT",
            "OIDC_OP_TOKEN_ENDPOINT",
            "OIDC_OP_USER_ENDPOINT",
            "OIDC_OP_JWKS_ENDPOINT",
        )
        if not globals()[name]
    ]
    if _oidc_missing:
        raise ImproperlyConfigured(f"OIDC_ENABLED needs {', '.join(_oidc_missing)} set too")
    AUTHENTICATION_BACKENDS = [
        # Axes first still: a locked-out address is refused whichever way it signs in.
        *(
            "escalation.oidc.LocalPasswordBackend" if path.endswith(".ModelBackend") else path
            for path in AUTHENTICATION_BACKENDS
        ),
        "escalation.oidc.OidcBackend",
    ]
# The login page's "Sign in with ..." button (nothing when OIDC is off).
_oidc_template_options = TEMPLATES[0]["OPTIONS"]
assert isinstance(_oidc_template_options, dict)
_oidc_template_options["context_processors"].append("escalation.oidc.sign_in_options")
