"""Celery tasks of the SLA engine: thin wrappers that take ids and call a service.

The beat-scheduled sweep finds what is due, so a lost or late task costs at most one sweep
period (see ``sla.sweep``). The one task with an ETA is the look-ahead's countdown task
(``clocks_soon``, see ``sla.soon``), at most one sweep period ahead; it only hastens what the
sweep would do. Retries back off up to ``RETRY_BACKOFF_MAX``, well under half the broker's
visibility timeout.

The mail tasks run on the mail queue (``settings.TASK_LANES``), the sweep and the countdown
tasks on the sweep's queue.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from celery import Task, shared_task
from django.db import OperationalError
from django.utils import timezone

from sla import outbox, soon, sweep
from sla.escalation import clocks_escalate_due
from sla.services import case_clocks_resync, open_case_ids_for

logger = logging.getLogger(__name__)

RETRY_BACKOFF_MAX = 300
RESYNC_BATCH = 200
_RETRY = {
    "autoretry_for": (OperationalError,),
    "retry_backoff": 2,  # escalate_retry_window counts on it
    "retry_backoff_max": RETRY_BACKOFF_MAX,
    "retry_jitter": True,
    "max_retries": 8,
    "ignore_result": True,
}


@shared_task(name="sla.tasks.sla_sweep", **_RETRY)
def sla_sweep() -> None:
    """Beat runs this every SLA_SWEEP_SECONDS."""
    result = sweep.sla_sweep(
        now=timezone.now(), dispatch=clocks_escalate_dispatch, wake=clocks_wake
    )
    if result.dispatched or result.skipped:
        logger.info(
            "sla sweep: %d due clocks handed out in %d pages, %d countdown tasks%s",
            result.dispatched,
            result.pages,
            result.woken,
            " (another sweep held the lock)" if result.skipped else "",
        )


def clocks_wake(wakes: list[soon.Wake]) -> None:
    soon.wakes_send(wakes, now=timezone.now())


def clocks_escalate_dispatch(clock_ids: list[int]) -> None:
    clocks_escalate.delay(clock_ids)


# An escalation batch retries for about half a minute at most (2 + 4 + 8 + 16 s), then leaves its
# clocks to the sweep, which hands them out again after SLA_REDISPATCH_SECONDS: its retries never
# overlap that redispatch, so after a database outage each clock is handed out at most once per
# redispatch period instead of by both at once.
ESCALATE_BACKOFF_MAX = 16
ESCALATE_RETRIES = 4
ESCALATE_RETRY = {
    **_RETRY,
    "retry_backoff_max": ESCALATE_BACKOFF_MAX,
    "max_retries": ESCALATE_RETRIES,
}


def escalate_retry_window() -> int:
    """The longest an escalation task keeps retrying, in seconds (jitter only shortens it)."""
    base = 2  # _RETRY's retry_backoff
    return sum(min(ESCALATE_BACKOFF_MAX, base * 2**n) for n in range(ESCALATE_RETRIES))


@shared_task(name="sla.tasks.clocks_escalate", **ESCALATE_RETRY)
def clocks_escalate(clock_ids: list[int]) -> None:
    """Take the due steps of each clock; a clock that is gone or no longer due is skipped."""
    clocks_escalate_due(clock_ids=clock_ids)


@shared_task(name=soon.SOON_TASK, **ESCALATE_RETRY)
def clocks_soon(clock_ids: list[int]) -> None:
    """A countdown task of the look-ahead, run at its moment: take the steps due now on those
    of these clocks that owe one; a clock moved later since is left to its next countdown or
    sweep, without a lock or a write."""
    if due := soon.due_now(clock_ids=clock_ids, now=timezone.now()):
        clocks_escalate_due(clock_ids=due)


@shared_task(name="sla.tasks.clocks_resync", **_RETRY)
def clocks_resync(case_ids: list[int]) -> None:
    """Re-align the clocks of cases whose policy, tier or calendar changed."""
    for case_id in case_ids:
        case_clocks_resync(case_id=case_id, now=timezone.now())


@shared_task(name="sla.tasks.clocks_resync_for", **_RETRY)
def clocks_resync_for(
    policies: list[list[str]], customer_ids: list[int], calendar_ids: list[int]
) -> None:
    """Fan out re-syncs for the open cases governed by these policies, customers, calendars."""
    clocks_resync_dispatch(
        open_case_ids_for(
            policies=[(tier, severity) for tier, severity in policies],
            customer_ids=customer_ids,
            calendar_ids=calendar_ids,
        )
    )


def clocks_resync_dispatch(case_ids: Iterable[int]) -> int:
    """Queue re-syncs for ``case_ids`` in batches; the number of cases queued."""
    batch: list[int] = []
    total = 0
    for case_id in case_ids:
        batch.append(case_id)
        if len(batch) == RESYNC_BATCH:
            clocks_resync.delay(batch)
            total += len(batch)
            batch = []
    if batch:
        clocks_resync.delay(batch)
        total += len(batch)
    return total


@shared_task(name=outbox.MAIL_SEND_TASK, bind=True, **_RETRY)
def mail_send(self: Task, mail_ids: list[int]) -> None:
    """Send these outbox messages, ``MAIL_BATCH`` per connection; those that failed and may be
    tried again are retried by themselves after a back-off, those a long task had no time for
    go to a new task. Past the task's retries the beat's redispatch takes them over (see
    ``sla.outbox``)."""
    retry, rest = outbox.outbox_send_many(mail_ids=mail_ids)
    if rest:
        outbox.mail_dispatch(rest)
    if not retry:
        return
    if self.request.retries >= (self.max_retries or 0):
        logger.warning("outbox: %d messages left to the redispatch", len(retry))
        return
    raise self.retry(args=[retry], countdown=outbox.mail_retry_countdown(self.request.retries))


@shared_task(name="sla.tasks.mail_redispatch", **_RETRY)
def mail_redispatch() -> None:
    """Beat runs this every minute (or every MAIL_REDISPATCH_SECONDS when shorter): hand out
    again the messages the broker lost."""
    if handed := outbox.outbox_redispatch(now=timezone.now()):
        logger.info("outbox: %d unsent messages handed out again", handed)
