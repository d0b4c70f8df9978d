"""Scheduled and background work of the reviews app: thin wrappers around services."""

from __future__ import annotations

from celery import shared_task

from reviews.reminders import reminders_send


@shared_task(name="reviews.tasks.overdue_reminders")
def overdue_reminders() -> dict[str, int]:
    """Daily (beat "reviews-overdue-reminders"): remind about overdue reviews and actions.
    Running it twice the same day sends nothing the second time."""
    result = reminders_send()
    return {"reviews": result.reviews, "actions": result.actions}
