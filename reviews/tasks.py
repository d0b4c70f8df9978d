"""Scheduled and background work of the reviews app: thin wrappers around services."""

from __future__ import annotations

import smtplib

from celery import shared_task

from reviews.services import reminders_send
from reviews.surveys import survey_email_send


@shared_task(name="reviews.tasks.overdue_reminders")
def overdue_reminders() -> dict[str, int]:
    """Daily (beat "reviews-overdue-reminders"): remind about overdue reviews and actions.
    Running it twice the same day sends nothing the second time."""
    result = reminders_send()
    return {"reviews": result.reviews, "actions": result.actions}


@shared_task(
    name="reviews.tasks.satisfaction_email",
    autoretry_for=(smtplib.SMTPException, OSError),
    retry_backoff=30,
    retry_backoff_max=1800,
    max_retries=8,
)
def satisfaction_email(survey_id: int) -> bool:
    """Email one satisfaction survey; returns quietly when it is gone or already sent."""
    return survey_email_send(survey_id=survey_id)
