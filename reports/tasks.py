"""Celery tasks of the reports app: thin wrappers over reports.services."""

from __future__ import annotations

from celery import shared_task
from django.db import OperationalError
from django.utils import timezone

from reports import subscriptions
from reports.services import CATCH_UP_WEEKS, CatchUp, snapshot_catch_up, weekly_snapshot_run

_RETRY = {
    "autoretry_for": (OperationalError,),
    "retry_backoff": 60,
    "retry_backoff_max": 900,
    "max_retries": 5,
}


@shared_task(**_RETRY)
def weekly_snapshot() -> str:
    """Monday morning: freeze the week that just ended and send the executives' digest, then
    catch up the older finished weeks nobody froze (a fresh install, a beat that was down).

    Safe to run twice: the snapshot is stored once (unique per week), the digest is claimed
    with a conditional update before it is sent, and the catch-up takes a lock.
    """
    now = timezone.now()
    snapshot = weekly_snapshot_run(now=now)
    _continue(snapshot_catch_up(now=now, limit=CATCH_UP_WEEKS))
    return f"{snapshot.week_start} {snapshot.filters_key}".strip()


@shared_task(**_RETRY)
def weekly_snapshot_catch_up() -> int:
    """The next few missing past weeks, queued again while some are left; returns how many
    this run froze."""
    result = snapshot_catch_up(now=timezone.now(), limit=CATCH_UP_WEEKS)
    _continue(result)
    return len(result.frozen)


def _continue(result: CatchUp) -> None:
    # A run that froze nothing, or met another run holding the lock, leaves the rest to that
    # one or to next Monday: the chain ends when the weeks run out, a second chain (two beats,
    # a redelivered task) at its first clash with the other, and no week is frozen twice.
    if result.remaining and result.frozen and not result.interrupted:
        weekly_snapshot_catch_up.delay()


@shared_task(**_RETRY)
def weekly_report_deliver() -> int:
    """Monday, after the freeze (beat "reports-weekly-deliver"): last week's PDF queued in the
    outbox for each subscriber, once; returns how many this run queued. The outbox sends each
    and retries what fails."""
    return subscriptions.weekly_report_deliver(now=timezone.now()).queued
