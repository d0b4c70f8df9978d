"""Celery tasks of the major incidents: thin wrappers over ``incidents.checklist``."""

from __future__ import annotations

import logging

from celery import shared_task
from django.db import OperationalError
from django.utils import timezone

from incidents.checklist import tasks_notify_overdue

logger = logging.getLogger(__name__)


@shared_task(
    name="incidents.tasks.overdue_tasks",
    autoretry_for=(OperationalError,),
    retry_backoff=2,
    retry_backoff_max=60,
    max_retries=5,
    ignore_result=True,
)
def overdue_tasks() -> None:
    """Beat runs this every INCIDENT_TASKS_SECONDS: overdue incident tasks, each once."""
    sent = tasks_notify_overdue(now=timezone.now())
    if sent:
        logger.info("incidents: %d overdue tasks notified", sent)
