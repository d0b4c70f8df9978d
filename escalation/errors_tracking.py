"""Error tracking with sentry-sdk, on when ``SENTRY_DSN`` is set (settings call ``sentry_init``).

The settings module is read by every process (gunicorn's workers, Celery's worker and beat), so
initialising here covers web and workers alike: the Django integration reports a view's
unhandled exception with its request, the Celery integration a task's failure (not each retry
on the way), and log records at ERROR become events. sentry-sdk's default sends no personal
data (cookies, users, addresses); it is left so.
"""

from __future__ import annotations

from typing import Any

import sentry_sdk
from sentry_sdk.integrations.celery import CeleryIntegration
from sentry_sdk.integrations.django import DjangoIntegration
from sentry_sdk.transport import Transport


def sentry_init(
    *, dsn: str, environment: str, transport: type[Transport] | Transport | None = None
) -> None:
    """Turn error tracking on for this process. ``transport``: where events go instead of the
    DSN's server (a test's recorder); None, sentry-sdk's HTTP transport."""
    options: dict[str, Any] = {
        "dsn": dsn,
        "environment": environment,
        "integrations": [DjangoIntegration(), CeleryIntegration()],
        # Errors only: performance tracing is a decision of its own (cost, volume).
        "traces_sample_rate": 0.0,
    }
    if transport is not None:
        options["transport"] = transport
    sentry_sdk.init(**options)


def sentry_active() -> bool:
    return sentry_sdk.get_client().is_active()
