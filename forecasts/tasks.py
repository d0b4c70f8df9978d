"""Celery tasks of the breach forecasts: thin wrappers around the services. Both run on the
forecasts lane (settings.TASK_LANES), so a long scoring run never delays an escalation."""

from __future__ import annotations

import logging

from celery import shared_task
from django.db import OperationalError
from django.utils import timezone

from forecasts import scoring, services

logger = logging.getLogger(__name__)

_RETRY = {
    "autoretry_for": (OperationalError,),
    "retry_backoff": 5,
    "retry_backoff_max": 300,
    "retry_jitter": True,
    "max_retries": 3,
    "ignore_result": True,
}


@shared_task(name="forecasts.tasks.risks_score", **_RETRY)
def risks_score() -> None:
    """Beat runs this every FORECAST_SCORE_SECONDS: every running clock's risk, stored."""
    result = scoring.risks_score_all(now=timezone.now())
    logger.info(
        "forecasts: %d clocks scored with model v%s, %d warned, %d stale risks removed",
        result.scored,
        result.version,
        result.warned,
        result.removed,
    )


@shared_task(name="forecasts.tasks.case_risks_score", **_RETRY)
def case_risks_score(case_id: int) -> None:
    """One case's running clocks, scored now (a case that is gone has no clocks left)."""
    scoring.case_risks_score(case_id=case_id, now=timezone.now())


@shared_task(name="forecasts.tasks.forecast_train", **_RETRY)
def forecast_train() -> None:
    """Beat runs this daily at FORECAST_TRAIN_HOUR; then the clocks are scored again."""
    model = services.forecast_train(now=timezone.now())
    logger.info(
        "forecasts: trained v%d (%s) on %d examples", model.version, model.kind, model.n_examples
    )
    risks_score.delay()
