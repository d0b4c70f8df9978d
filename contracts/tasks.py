"""Celery tasks of the contracts app: thin wrappers over contracts.services."""

from __future__ import annotations

from celery import shared_task
from django.db import OperationalError
from django.utils import timezone

from contracts.delivery import statements_deliver
from contracts.services import monthly_freeze_run


@shared_task(
    autoretry_for=(OperationalError,), retry_backoff=60, retry_backoff_max=900, max_retries=5
)
def monthly_statements_freeze() -> int:
    """The 1st of the month: freeze the statements of the month that just ended. Safe to run
    twice: each statement is stored once (unique per customer and month)."""
    return monthly_freeze_run(now=timezone.now())


@shared_task(
    autoretry_for=(OperationalError,), retry_backoff=60, retry_backoff_max=900, max_retries=5
)
def monthly_statements_deliver() -> int:
    """The 1st, after the freeze (beat "contracts-statements-deliver"): last month's
    statements queued in the outbox for each subscriber, once; returns how many this run
    queued. The outbox sends each and retries what fails."""
    return statements_deliver(now=timezone.now()).queued
