"""Celery tasks of customer communication: thin wrappers that call a service."""

from __future__ import annotations

import logging

from celery import shared_task
from django.conf import settings
from django.db import OperationalError
from django.utils import timezone

from comms import broadcast
from comms.imap import imap_fetch as mailbox_fetch

logger = logging.getLogger(__name__)

_BROADCAST_RETRY = {
    "autoretry_for": (OperationalError,),
    "retry_backoff": 2,
    "retry_backoff_max": 60,
    "retry_jitter": True,
    "max_retries": 5,
    "ignore_result": True,
}


@shared_task(
    name="comms.tasks.imap_fetch",
    # A mail server that is down fails this run; the next one, COMMS_IMAP_SECONDS later, tries
    # again. A database hiccup is retried sooner.
    autoretry_for=(OperationalError,),
    retry_backoff=2,
    retry_backoff_max=30,
    retry_jitter=True,
    max_retries=3,
    ignore_result=True,
)
def imap_fetch() -> None:
    """Beat runs this every COMMS_IMAP_SECONDS while COMMS_IMAP_URL is set."""
    if not settings.COMMS_IMAP_URL:
        return
    # Well inside the soft time limit: the rest waits for the next run.
    result = mailbox_fetch(
        url=settings.COMMS_IMAP_URL, deadline=settings.CELERY_TASK_SOFT_TIME_LIMIT * 0.75
    )
    if result.fetched or result.skipped:
        logger.info(
            "imap fetch: %d messages %s%s%s",
            result.fetched,
            result.states,
            f", {result.remaining} left for the next run" if result.remaining else "",
            " (another fetch held the lock)" if result.skipped else "",
        )


@shared_task(name=broadcast.BROADCAST_TASK, **_BROADCAST_RETRY)
def broadcast_deliver(target_ids: list[int]) -> None:
    """Post a broadcast's update on these targets' cases; a re-run passes over what is done.
    Past its retries the beat's redispatch hands the rest out again."""
    broadcast.broadcast_targets_deliver(target_ids=target_ids)


@shared_task(name="comms.tasks.broadcasts_redispatch", **_BROADCAST_RETRY)
def broadcasts_redispatch() -> None:
    """Beat runs this every minute (or every COMMS_BROADCAST_REDISPATCH_SECONDS when shorter)."""
    if handed := broadcast.broadcasts_redispatch(now=timezone.now()):
        logger.info("broadcasts: %d pending targets handed out again", handed)
