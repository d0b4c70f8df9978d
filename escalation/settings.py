"""Escalation settings: one module, driven by environment variables.

Out of the box (no variables set) it runs for development: SQLite under ``var/``, Celery on a
filesystem broker under ``var/``, mail printed to the console. Production sets ``DEBUG=false``,
``SECRET_KEY``, ``ALLOWED_HOSTS``, ``DATABASE_URL`` and ``REDIS_URL``; see README.md.
"""

from __future__ import annotations

import ipaddress
import os
from datetime import timedelta
from email.utils import parseaddr
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import dj_database_url
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from kombu import Exchange, Queue

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("VAR_DIR", BASE_DIR / "var"))

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env(name: str, default: str = "") -> str:
    # A variable that is set but empty counts as unset (compose files often pass "").
    return os.environ.get(name) or default


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {raw!r}")


def env_int(name: str, default: int, *, minimum: int = 0) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {raw!r}") from None
    if value < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}, not {value}")
    return value


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in env(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", True)

SECRET_KEY = env("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off")
    SECRET_KEY = "insecure-development-key-do-not-use-in-production"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]" if DEBUG else "")
if not DEBUG and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS must be set when DEBUG is off")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

# Links in mail point where `make run` / gunicorn listens (BIND) unless SITE_URL says otherwise.
BIND = env("BIND", "127.0.0.1:8000")
_bind_host, _, _bind_port = BIND.rpartition(":")
_bind_host = "127.0.0.1" if _bind_host in ("", "0.0.0.0", "[::]") else _bind_host
SITE_URL = env("SITE_URL", f"http://{_bind_host}:{_bind_port or 8000}").rstrip("/")
if not SITE_URL.startswith(("http://", "https://")):
    raise ImproperlyConfigured(f"SITE_URL must start with http:// or https://, not {SITE_URL!r}")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.forms",  # its widget templates, for FORM_RENDERER over TEMPLATES
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "axes",
    "anymail",
    "escalation",
    "cases",
    "sla",
    "comms",
    "alerts",
    "forecasts",
    "reviews",
    "incidents",
    "reports",
    "contracts",
    "demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "escalation.middleware.UploadSizeLimitMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # After the session, before CommonMiddleware: the browser's language (Accept-Language, the
    # language cookie); UserLanguageMiddleware below puts a signed-in user's choice over it.
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "escalation.middleware.UserLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "escalation.middleware.LoginRequiredMiddleware",
    "escalation.middleware.PrivateCacheMiddleware",
    "csp.middleware.CSPMiddleware",
    # Last, as django-axes asks: it turns a locked-out login into its 429 page.
    "axes.middleware.AxesMiddleware",
]

AUTHENTICATION_BACKENDS = [
    # Refuses a locked-out user or address before the password is even checked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

ROOT_URLCONF = "escalation.urls"
WSGI_APPLICATION = "escalation.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "escalation.context_processors.navigation",
                "sla.context_processors.notifications",
                "cases.context_processors.saved_views",
            ],
        },
    },
]
# Django's renderer over TEMPLATES, with the project's form and field templates.
FORM_RENDERER = "escalation.forms.FormRenderer"

# Database: SQLite file under var/ by default, PostgreSQL when DATABASE_URL says so.
_database_url = env("DATABASE_URL")
if _database_url:
    try:
        DATABASES = {"default": dj_database_url.parse(_database_url, conn_max_age=60)}
        # Django streams .iterator() (and every <select> of a ModelChoiceField) through a
        # server-side cursor: DECLARE, FETCH, CLOSE, three round trips for a few rows. Off,
        # the rows come in one; it is also what PgBouncer's transaction pooling needs.
        DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = True
    except ValueError as exc:
        raise ImproperlyConfigured(f"DATABASE_URL is not a valid database URL: {exc}") from None
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(VAR_DIR / "escalation.sqlite3"),
            "OPTIONS": {
                # WAL lets the web process read while the worker writes.
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
            },
            # A file, not memory, so a Celery worker process can share the test database.
            "TEST": {"NAME": str(VAR_DIR / "test.sqlite3")},
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-gb"
TIME_ZONE = env("TIME_ZONE", "Europe/Amsterdam")
try:
    ZoneInfo(TIME_ZONE)
except (ZoneInfoNotFoundError, ValueError):
    raise ImproperlyConfigured(f"TIME_ZONE is not a known time zone: {TIME_ZONE!r}") from None
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env("MEDIA_ROOT", str(VAR_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
# Uploads beyond this are refused by the form before they reach storage.
ATTACHMENT_MAX_BYTES = env_int("ATTACHMENT_MAX_BYTES", 10 * 1024 * 1024, minimum=1)
# A form takes at most ATTACHMENTS_PER_UPLOAD files; a request body larger than all of them at
# their largest, plus 1 MiB for the form, is refused before it is read.
ATTACHMENTS_PER_UPLOAD = 10
UPLOAD_MAX_BODY_BYTES = ATTACHMENT_MAX_BYTES * ATTACHMENTS_PER_UPLOAD + 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440

# Email: printed to the console unless an SMTP host is configured.
EMAIL_HOST = env("EMAIL_HOST")
EMAIL_BACKEND = (
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "django.core.mail.backends.console.EmailBackend"
)
EMAIL_PORT = env_int("EMAIL_PORT", 587, minimum=1)
EMAIL_HOST_USER = env("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
EMAIL_TIMEOUT = 10
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "Escalation <escalation@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

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

# Celery: Redis when REDIS_URL is set, otherwise an embedded broker on the filesystem.
REDIS_URL = env("REDIS_URL")
if REDIS_URL:
    if not REDIS_URL.startswith(("redis://", "rediss://", "unix://")):
        raise ImproperlyConfigured(f"REDIS_URL must be a redis:// URL, not {REDIS_URL!r}")
    CELERY_BROKER_URL = REDIS_URL
    CELERY_RESULT_BACKEND = REDIS_URL
    # Retry countdowns stay well under half of the visibility timeout (see sla.tasks).
    CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, object] = {"visibility_timeout": 3600}
else:
    _broker_dir = VAR_DIR / "celery"
    for _sub in ("out", "processed", "results", "control"):
        (_broker_dir / _sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "out"),
        "data_folder_out": str(_broker_dir / "out"),
        "data_folder_processed": str(_broker_dir / "processed"),
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
    }
    CELERY_RESULT_BACKEND = f"file://{_broker_dir / 'results'}"
# Queues are named after CELERY_QUEUE, so several deployments (or parallel test runs) share one
# Redis. Mail and the SLA sweep have queues of their own, "<CELERY_QUEUE>.<lane>": a slow or absent
# mail server never holds up escalations, and escalations backing up the default queue never make
# a sweep expire unrun. A worker consumes every queue declared here unless its -Q says otherwise;
# the router (escalation.celery.route_to_lane) names the lane's queue after the app's default.
CELERY_TASK_DEFAULT_QUEUE = env("CELERY_QUEUE", "celery")
TASK_LANES = {
    "sla.tasks.sla_sweep": "sla-sweep",
    # The look-ahead's countdown tasks (sla.soon): fetched at once, held until their moment.
    "sla.tasks.clocks_soon": "sla-sweep",
    "sla.tasks.mail_send": "mail",
    "sla.tasks.mail_redispatch": "mail",
    # Scoring every running clock takes seconds: never in front of the escalations.
    "forecasts.tasks.risks_score": "forecasts",
    "forecasts.tasks.forecast_train": "forecasts",
}
CELERY_TASK_QUEUES = [
    Queue(name, Exchange(name), routing_key=name)
    for name in [
        CELERY_TASK_DEFAULT_QUEUE,
        *(f"{CELERY_TASK_DEFAULT_QUEUE}.{lane}" for lane in sorted(set(TASK_LANES.values()))),
    ]
]
CELERY_TASK_ROUTES = ("escalation.celery.route_to_lane",)
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 300
CELERY_TASK_SOFT_TIME_LIMIT = 240
CELERY_RESULT_EXPIRES = timedelta(days=1)
CELERY_TIMEZONE = TIME_ZONE
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_WORKER_HIJACK_ROOT_LOGGER = False

SLA_SWEEP_SECONDS = env_int("SLA_SWEEP_SECONDS", 30, minimum=1)
# A due clock handed to a worker this long ago and still due is handed out again (its task was
# lost: a worker killed before the broker would redeliver). Keep it well under the visibility
# timeout and above the longest backlog.
SLA_REDISPATCH_SECONDS = env_int("SLA_REDISPATCH_SECONDS", 300, minimum=1)
WEEKLY_REPORT_HOUR = env_int("WEEKLY_REPORT_HOUR", 6)
# Pause analytics (reports.pauses): a pause begun with less than this share of the resolution
# target left is "shortly before a breach"; a case paused this many times has "repeated pauses".
# Both are the page's defaults, which a manager may change in its form.
PAUSES_SHORTLY_PERCENT = env_int("PAUSES_SHORTLY_PERCENT", 20, minimum=1)
PAUSES_REPEATED_MIN = env_int("PAUSES_REPEATED_MIN", 3, minimum=2)
# The live pages (queue, dashboard, notification bell) ask whether anything changed this often
# while their tab is visible (README "Live pages": the cost of an idle open tab).
LIVE_POLL_SECONDS = env_int("LIVE_POLL_SECONDS", 15, minimum=1)
# A post-resolution review falls due this many days after the case is resolved.
REVIEW_DUE_DAYS = env_int("REVIEW_DUE_DAYS", 5)
# A customer's satisfaction link stops working this many days after it was emailed.
SATISFACTION_LINK_DAYS = env_int("SATISFACTION_LINK_DAYS", 14, minimum=1)
# A customer's status-page link (comms.status_links) stops working this many days after the
# mail that carried it was written; every update mail carries a fresh one.
COMMS_STATUS_LINK_DAYS = env_int("COMMS_STATUS_LINK_DAYS", 30, minimum=1)
# The public status page answers at most COMMS_STATUS_PAGE_PER_MINUTE requests per link, and
# per address, in a minute, and takes at most COMMS_STATUS_REPLIES_PER_HOUR replies per link
# and per address in an hour; past that it answers 429 until the window is over.
COMMS_STATUS_PAGE_PER_MINUTE = env_int("COMMS_STATUS_PAGE_PER_MINUTE", 30, minimum=1)
COMMS_STATUS_REPLIES_PER_HOUR = env_int("COMMS_STATUS_REPLIES_PER_HOUR", 20, minimum=1)
# Customers answer updates at COMMS_REPLY_ADDRESS, tagged per case (comms.threading):
# "support@example.com" becomes Reply-To "support+<case>.<signature>@example.com". Default: the
# address of DEFAULT_FROM_EMAIL.
COMMS_REPLY_ADDRESS = env("COMMS_REPLY_ADDRESS", parseaddr(DEFAULT_FROM_EMAIL)[1])
if "@" not in COMMS_REPLY_ADDRESS or "+" in COMMS_REPLY_ADDRESS.partition("@")[0]:
    raise ImproperlyConfigured(
        f"COMMS_REPLY_ADDRESS must be a plain address without a +tag, not {COMMS_REPLY_ADDRESS!r}"
    )
# Replies fetched from a mailbox (comms.imap), every COMMS_IMAP_SECONDS, when COMMS_IMAP_URL is
# set: imaps://user:password@host:993/INBOX (imap:// for plain IMAP with STARTTLS refused,
# only on a trusted network). Off by default.
COMMS_IMAP_URL = env("COMMS_IMAP_URL")
if COMMS_IMAP_URL and not COMMS_IMAP_URL.startswith(("imap://", "imaps://")):
    raise ImproperlyConfigured("COMMS_IMAP_URL must start with imap:// or imaps://")
COMMS_IMAP_SECONDS = env_int("COMMS_IMAP_SECONDS", 60, minimum=5)
# The inbound webhook of hosted email (django-anymail, /inbound/<provider>/inbound/): HTTP
# basic auth "user:password" for every provider, and each provider's own signing key where it
# signs (Mailgun). See README "Customer communication".
ANYMAIL = {
    name: value
    for name, value in {
        "WEBHOOK_SECRET": env("ANYMAIL_WEBHOOK_SECRET"),
        "MAILGUN_WEBHOOK_SIGNING_KEY": env("ANYMAIL_MAILGUN_WEBHOOK_SIGNING_KEY"),
    }.items()
    if value
}
# Alerts from monitoring (alerts, POST /api/events/; README "Alerts from monitoring"): a trigger
# reopens its key's case if it was resolved at most ALERTS_REOPEN_HOURS ago (later: a new
# case); repeats of an open case's alert are noted on its timeline at most once every
# ALERTS_NOTE_MINUTES; each integration token may post ALERTS_REQUESTS_PER_MINUTE batches a
# minute (429 with Retry-After beyond).
ALERTS_REOPEN_HOURS = env_int("ALERTS_REOPEN_HOURS", 24)
ALERTS_NOTE_MINUTES = env_int("ALERTS_NOTE_MINUTES", 10)
ALERTS_REQUESTS_PER_MINUTE = env_int("ALERTS_REQUESTS_PER_MINUTE", 120, minimum=1)
# The outbox (sla.outbox): a message is tried at most MAIL_MAX_ATTEMPTS times, backing off from
# MAIL_RETRY_SECONDS up to five minutes between tries (about 35 minutes in all with the
# defaults), then shown as failed in the admin. An unsent message whose next try was due
# MAIL_REDISPATCH_SECONDS ago is handed out again (its task was lost with the broker).
MAIL_MAX_ATTEMPTS = env_int("MAIL_MAX_ATTEMPTS", 12, minimum=1)
MAIL_RETRY_SECONDS = env_int("MAIL_RETRY_SECONDS", 10, minimum=1)
MAIL_REDISPATCH_SECONDS = env_int("MAIL_REDISPATCH_SECONDS", 300, minimum=1)
# Notification mail to someone mailed a notification less than NOTIFY_DIGEST_MINUTES ago waits
# for the end of that window and goes out folded into one digest (sla.outbox); 0: never folded.
NOTIFY_DIGEST_MINUTES = env_int("NOTIFY_DIGEST_MINUTES", 5)
# A broadcast's target (comms.broadcast: one update to every child of a major incident) still
# pending this long after it was handed to a worker is handed out again (its task was lost).
COMMS_BROADCAST_REDISPATCH_SECONDS = env_int("COMMS_BROADCAST_REDISPATCH_SECONDS", 120, minimum=1)
# Breach forecasts (forecasts app): a running clock is "likely to breach" from
# FORECAST_RISK_PERCENT; its owner is warned once per clock cycle. Beat scores every running
# clock each FORECAST_SCORE_SECONDS and retrains daily at FORECAST_TRAIN_HOUR on at most
# FORECAST_MAX_CLOCKS recent finished clocks; with fewer than FORECAST_MIN_EXAMPLES examples
# the explained fallback rule stands in for the model.
FORECAST_RISK_PERCENT = env_int("FORECAST_RISK_PERCENT", 70, minimum=1)
FORECAST_SCORE_SECONDS = env_int("FORECAST_SCORE_SECONDS", 300, minimum=30)
FORECAST_TRAIN_HOUR = env_int("FORECAST_TRAIN_HOUR", 3)
FORECAST_MIN_EXAMPLES = env_int("FORECAST_MIN_EXAMPLES", 200, minimum=1)
FORECAST_MAX_CLOCKS = env_int("FORECAST_MAX_CLOCKS", 200_000, minimum=100)
CELERY_BEAT_SCHEDULE: dict[str, dict[str, object]] = {
    # Each entry expires just before its next run, so a backlog never piles up duplicates.
    "sla-sweep": {
        "task": "sla.tasks.sla_sweep",
        "schedule": float(SLA_SWEEP_SECONDS),
        "options": {"expires": SLA_SWEEP_SECONDS * 0.9},
    },
    "mail-redispatch": {
        "task": "sla.tasks.mail_redispatch",
        "schedule": float(min(60, MAIL_REDISPATCH_SECONDS)),
        "options": {"expires": min(60, MAIL_REDISPATCH_SECONDS) * 0.9},
    },
    "comms-broadcast-redispatch": {
        "task": "comms.tasks.broadcasts_redispatch",
        "schedule": float(min(60, COMMS_BROADCAST_REDISPATCH_SECONDS)),
        "options": {"expires": min(60, COMMS_BROADCAST_REDISPATCH_SECONDS) * 0.9},
    },
    **(
        {
            "comms-imap-fetch": {
                "task": "comms.tasks.imap_fetch",
                "schedule": float(COMMS_IMAP_SECONDS),
                "options": {"expires": COMMS_IMAP_SECONDS * 0.9},
            }
        }
        if COMMS_IMAP_URL
        else {}
    ),
    "reports-weekly-snapshot": {
        "task": "reports.tasks.weekly_snapshot",
        "schedule": crontab(minute=0, hour=WEEKLY_REPORT_HOUR, day_of_week="mon"),
        "options": {"expires": 6 * 24 * 3600},
    },
    # The 1st: freeze the contract statements of the month that just ended.
    "contracts-monthly-statements": {
        "task": "contracts.tasks.monthly_statements_freeze",
        "schedule": crontab(minute=15, hour=WEEKLY_REPORT_HOUR, day_of_month="1"),
        "options": {"expires": 27 * 24 * 3600},
    },
    "forecasts-score": {
        "task": "forecasts.tasks.risks_score",
        "schedule": float(FORECAST_SCORE_SECONDS),
        "options": {"expires": FORECAST_SCORE_SECONDS * 0.9},
    },
    "forecasts-train": {
        "task": "forecasts.tasks.forecast_train",
        "schedule": crontab(minute=15, hour=FORECAST_TRAIN_HOUR),
        "options": {"expires": 23 * 3600},
    },
    "reviews-overdue-reminders": {
        "task": "reviews.tasks.overdue_reminders",
        "schedule": crontab(minute=30, hour=7),
        "options": {"expires": 23 * 3600},
    },
    # Overdue tasks of major incidents: their owner and the incident lead, once each task.
    "incidents-overdue-tasks": {
        "task": "incidents.tasks.overdue_tasks",
        "schedule": 60.0,
        "options": {"expires": 54.0},
    },
}

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

CACHES: dict[str, dict[str, Any]] = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
}
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            # Several deployments (or parallel test processes) may share one Redis.
            "KEY_PREFIX": env("CACHE_KEY_PREFIX", ""),
            # A Redis outage costs a request at most this long, not a hung worker.
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 1.0},
        }
    }

# --- Metrics, structured logs and error tracking (issue 18, helper ops) ---
# Logs: one JSON object a line (python-json-logger) in production, plain lines under DEBUG
# (`make run`); LOG_FORMAT=json|plain decides otherwise. Every line carries the request id
# (X-Request-ID, or a new one) of the web request it is part of, also in the Celery tasks that
# request caused, and the case it is about (escalation.logs).
LOG_FORMAT = env("LOG_FORMAT", "plain" if DEBUG else "json")
if LOG_FORMAT not in ("json", "plain"):
    raise ImproperlyConfigured(f"LOG_FORMAT must be json or plain, not {LOG_FORMAT!r}")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"context": {"()": "escalation.logs.ContextFilter"}},
    "formatters": {
        "plain": {"()": "escalation.logs.PlainFormatter"},
        "json": {"()": "escalation.logs.JsonFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["context"],
        }
    },
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}
MIDDLEWARE.insert(0, "escalation.logs.RequestContextMiddleware")
MIDDLEWARE.insert(1, "escalation.metrics.RequestMetricsMiddleware")
# Metrics (prometheus-client, README "Running it: metrics, logs, errors"): every process (each
# gunicorn worker, each Celery pool process) writes its figures to files in
# PROMETHEUS_MULTIPROC_DIR, which /metrics adds up. Web, worker and beat on one host (or
# containers sharing a volume) must use the same directory. /metrics answers a scraper that
# sends `Authorization: Bearer <METRICS_TOKEN>` or connects from an address of METRICS_ALLOW
# (IPs or networks, e.g. 10.0.0.0/8); with neither set it does not exist (404).
PROMETHEUS_MULTIPROC_DIR = env("PROMETHEUS_MULTIPROC_DIR", str(VAR_DIR / "metrics"))
Path(PROMETHEUS_MULTIPROC_DIR).mkdir(parents=True, exist_ok=True)
# prometheus-client reads the directory from the environment, in this process and its children.
os.environ["PROMETHEUS_MULTIPROC_DIR"] = PROMETHEUS_MULTIPROC_DIR
METRICS_TOKEN = env("METRICS_TOKEN")
METRICS_ALLOW = env_list("METRICS_ALLOW")
for _network in METRICS_ALLOW:
    try:
        ipaddress.ip_network(_network, strict=False)
    except ValueError:
        raise ImproperlyConfigured(
            f"METRICS_ALLOW must list IP addresses or networks, not {_network!r}"
        ) from None
# Error tracking (sentry-sdk): on for web and workers when SENTRY_DSN is set, off otherwise.
SENTRY_DSN = env("SENTRY_DSN")
SENTRY_ENVIRONMENT = env("SENTRY_ENVIRONMENT", "development" if DEBUG else "production")
if SENTRY_DSN:
    from escalation.errors_tracking import sentry_init

    sentry_init(dsn=SENTRY_DSN, environment=SENTRY_ENVIRONMENT)

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


def env_pairs(name: str) -> tuple[tuple[str, str], ...]:
    """``"a=X,b=Y"`` as ``(("a", "X"), ("b", "Y"))``; a claim value may appear twice."""
    pairs = []
    for item in env_list(name):
        key, sep, value = item.partition("=")
        if not sep or not key.strip() or not value.strip():
            raise ImproperlyConfigured(f"{name} must be 'claim value=name, ...', not {item!r}")
        pairs.append((key.strip(), value.strip()))
    return tuple(pairs)


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

# --- Languages (issue 18, helper i18n) ---
# English is British English ("en-gb", Django's en_GB formats: "2 Mar 2026", day/month/year
# input) as it always was; a browser asking for any English gets it. Italian: locale/it/.
LANGUAGES = [("en-gb", "English"), ("it", "Italiano")]
LOCALE_PATHS = [BASE_DIR / "locale"]

# --- Report subscriptions by email (issue 17, helper narrative) ---
# Subscribers get last week's PDF this many minutes after the weekly freeze (on Monday at
# WEEKLY_REPORT_HOUR), and the month's contract statements as long after theirs (on the 1st,
# at WEEKLY_REPORT_HOUR:15). Each delivery is logged and sent once (reports.subscriptions).
REPORT_DELIVERY_DELAY_MINUTES = env_int("REPORT_DELIVERY_DELAY_MINUTES", 30, minimum=0)
CELERY_BEAT_SCHEDULE["reports-weekly-deliver"] = {
    "task": "reports.tasks.weekly_report_deliver",
    "schedule": crontab(
        minute=REPORT_DELIVERY_DELAY_MINUTES % 60,
        hour=WEEKLY_REPORT_HOUR + REPORT_DELIVERY_DELAY_MINUTES // 60,
        day_of_week="mon",
    ),
    "options": {"expires": 6 * 24 * 3600},
}
CELERY_BEAT_SCHEDULE["contracts-statements-deliver"] = {
    "task": "contracts.tasks.monthly_statements_deliver",
    "schedule": crontab(
        minute=(15 + REPORT_DELIVERY_DELAY_MINUTES) % 60,
        hour=WEEKLY_REPORT_HOUR + (15 + REPORT_DELIVERY_DELAY_MINUTES) // 60,
        day_of_month="1",
    ),
    "options": {"expires": 27 * 24 * 3600},
}
