"""Logs, metrics and error tracking."""

from __future__ import annotations

import ipaddress
import os
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

from escalation.settings.core import DEBUG, MIDDLEWARE, VAR_DIR
from escalation.settings.env import env, env_list

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
