"""Celery tasks of the major incidents: thin wrappers over ``incidents.checklist``."""

from __future__ import annotations

import logging

from celery import shared_task
from django.utils import timezone

from escalation.task_retry import DATABASE_RETRY
from incidents.checklist import tasks_notify_overdue

logger = logging.getLogger(__name__)


@shared_task(name="incidents.tasks.overdue_tasks", **DATABASE_RETRY)
def overdue_tasks() -> None:
    """Beat runs this every INCIDENT_TASKS_SECONDS: overdue incident tasks, each once."""
    sent = tasks_notify_overdue(now=timezone.now())
    if sent:
        logger.info("incidents: %d overdue tasks notified", sent)
