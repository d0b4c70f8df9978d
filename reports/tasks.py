"""Celery tasks of the reports app: thin wrappers over reports.services."""

from __future__ import annotations

from celery import shared_task
from django.db import OperationalError
from django.utils import timezone

from reports.services import weekly_snapshot_run


@shared_task(
    autoretry_for=(OperationalError,), retry_backoff=60, retry_backoff_max=900, max_retries=5
)
def weekly_snapshot() -> str:
    """Monday morning: freeze the week that just ended and send the executives' digest.

    Safe to run twice: the snapshot is stored once (unique per week) and the digest is claimed
    with a conditional update before it is sent.
    """
    snapshot = weekly_snapshot_run(now=timezone.now())
    return f"{snapshot.week_start} {snapshot.filters_key}".strip()
