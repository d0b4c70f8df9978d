"""Celery beat: what runs periodically, each entry expiring just before its next run."""

from __future__ import annotations

from celery.schedules import crontab

from escalation.settings.comms import (
    COMMS_BROADCAST_REDISPATCH_SECONDS,
    COMMS_IMAP_SECONDS,
    COMMS_IMAP_URL,
    MAIL_REDISPATCH_SECONDS,
)
from escalation.settings.reports import (
    FORECAST_SCORE_SECONDS,
    FORECAST_TRAIN_HOUR,
    REPORT_DELIVERY_DELAY_MINUTES,
    WEEKLY_REPORT_HOUR,
)
from escalation.settings.sla import SLA_SWEEP_SECONDS

CELERY_BEAT_SCHEDULE: dict[str, dict[str, object]] = {
    # Each entry expires just before its next run, so a backlog never piles up duplicates.
    "sla-sweep": {
        "task": "sla.tasks.sla_sweep",
        "schedule": float(SLA_SWEEP_SECONDS),
        "options": {"expires": SLA_SWEEP_SECONDS * 0.9},
    },
    "mail-redispatch": {
        "task": "sla.tasks.mail_redispatch",
        "schedule": float(min(60, MAIL_REDISPATCH_SECONDS)),
        "options": {"expires": min(60, MAIL_REDISPATCH_SECONDS) * 0.9},
    },
    "comms-broadcast-redispatch": {
        "task": "comms.tasks.broadcasts_redispatch",
        "schedule": float(min(60, COMMS_BROADCAST_REDISPATCH_SECONDS)),
        "options": {"expires": min(60, COMMS_BROADCAST_REDISPATCH_SECONDS) * 0.9},
    },
    **(
        {
            "comms-imap-fetch": {
                "task": "comms.tasks.imap_fetch",
                "schedule": float(COMMS_IMAP_SECONDS),
                "options": {"expires": COMMS_IMAP_SECONDS * 0.9},
            }
        }
        if COMMS_IMAP_URL
        else {}
    ),
    "reports-weekly-snapshot": {
        "task": "reports.tasks.weekly_snapshot",
        "schedule": crontab(minute=0, hour=WEEKLY_REPORT_HOUR, day_of_week="mon"),
        "options": {"expires": 6 * 24 * 3600},
    },
    # The 1st: freeze the contract statements of the month that just ended.
    "contracts-monthly-statements": {
        "task": "contracts.tasks.monthly_statements_freeze",
        "schedule": crontab(minute=15, hour=WEEKLY_REPORT_HOUR, day_of_month="1"),
        "options": {"expires": 27 * 24 * 3600},
    },
    "forecasts-score": {
        "task": "forecasts.tasks.risks_score",
        "schedule": float(FORECAST_SCORE_SECONDS),
        "options": {"expires": FORECAST_SCORE_SECONDS * 0.9},
    },
    "forecasts-train": {
        "task": "forecasts.tasks.forecast_train",
        "schedule": crontab(minute=15, hour=FORECAST_TRAIN_HOUR),
        "options": {"expires": 23 * 3600},
    },
    "reviews-overdue-reminders": {
        "task": "reviews.tasks.overdue_reminders",
        "schedule": crontab(minute=30, hour=7),
        "options": {"expires": 23 * 3600},
    },
    # Overdue tasks of major incidents: their owner and the incident lead, once each task.
    "incidents-overdue-tasks": {
        "task": "incidents.tasks.overdue_tasks",
        "schedule": 60.0,
        "options": {"expires": 54.0},
    },
}
CELERY_BEAT_SCHEDULE["reports-weekly-deliver"] = {
    "task": "reports.tasks.weekly_report_deliver",
    "schedule": crontab(
        minute=REPORT_DELIVERY_DELAY_MINUTES % 60,
        hour=WEEKLY_REPORT_HOUR + REPORT_DELIVERY_DELAY_MINUTES // 60,
        day_of_week="mon",
    ),
    "options": {"expires": 6 * 24 * 3600},
}
CELERY_BEAT_SCHEDULE["contracts-statements-deliver"] = {
    "task": "contracts.tasks.monthly_statements_deliver",
    "schedule": crontab(
        minute=(15 + REPORT_DELIVERY_DELAY_MINUTES) % 60,
        hour=WEEKLY_REPORT_HOUR + (15 + REPORT_DELIVERY_DELAY_MINUTES) // 60,
        day_of_month="1",
    ),
    "options": {"expires": 27 * 24 * 3600},
}
