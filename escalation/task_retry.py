"""Retry options for Celery tasks that only touch the database.

A task whose database is briefly unreachable (a failover, a restart) tries again, backing off
from 2 seconds up to a minute, five times; its result is never stored. Tasks with a longer
backoff or more tries (``sla.tasks``, ``forecasts.tasks``) keep options of their own.
"""

from __future__ import annotations

from typing import Any, Final

from django.db import OperationalError

DATABASE_RETRY: Final[dict[str, Any]] = {
    "autoretry_for": (OperationalError,),
    "retry_backoff": 2,
    "retry_backoff_max": 60,
    "max_retries": 5,
    "ignore_result": True,
}
