"""The SLA sweep: find the clocks whose warning, breach or re-escalation has come, and hand
them to workers.

The sweep is the source of truth: nothing waits in memory or in a delayed task, so after an
outage the first sweep finds everything that fell due meanwhile. It reads four partial indexes
(running, unpaused clocks not yet warned / past their deadline with the breach not yet handled /
breached by a case change and not yet handled / with a re-escalation pending), so its cost grows
with the number of due clocks, not with the number of open cases.

Exactly once, in layers:

1. A PostgreSQL advisory lock per page transaction (``pg_try_advisory_xact_lock``): a second
   sweep (a second beat, or a sweep that overran its period) finds it taken and stops.
2. Due rows are claimed with ``SELECT ... FOR UPDATE SKIP LOCKED`` and stamped
   ``dispatched_at`` in the same transaction, so no two sweeps hand out the same clock, and the
   next sweep does not hand it out again while a worker has it. The task ids go to the broker
   only after that commit.
3. A clock handed out more than ``SLA_REDISPATCH_SECONDS`` ago and still due is handed out
   again: the task was lost (a broker flush, a worker killed before the broker redelivers).
4. The worker (``sla.escalation``) locks the case and the clock and records each step under a
   unique constraint, so a task delivered twice does nothing the second time.

On the embedded SQLite default there is no advisory lock and no row lock (Django leaves out
``FOR UPDATE`` there), but writers take turns (transactions start IMMEDIATE, see settings):
a second sweep's page waits for the first's commit and then finds its clocks stamped. The
claim is the same ORM query on both databases.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q, QuerySet

from escalation.db import is_postgresql
from sla.models import CaseClock

# 'SLA' in ASCII, as the advisory lock's key: any constant shared by all sweeps will do.
SWEEP_LOCK_KEY = 0x534C41
PAGE_SIZE = 500
TASK_BATCH = 100


@dataclass
class SweepResult:
    dispatched: int = 0
    pages: int = 0
    # True when another sweep held the lock, so this one did nothing at all.
    skipped: bool = False


def sla_sweep(
    *,
    now: datetime,
    dispatch: Callable[[list[int]], None],
    page_size: int = PAGE_SIZE,
    batch_size: int = TASK_BATCH,
) -> SweepResult:
    """Hand every clock due at ``now`` to ``dispatch``, in batches of ids, page by page.

    1. In a transaction: take the advisory lock (or stop: another sweep is running).
    2. Claim up to ``page_size`` due clocks from each index, skipping rows another transaction
       holds; stamp them ``dispatched_at``; after commit, call ``dispatch`` per batch.
    3. Repeat while any index filled its page: there is no cap on one sweep's work.
    """
    result = SweepResult()
    while True:
        with transaction.atomic():
            if not _sweep_lock():
                result.skipped = result.pages == 0
                return result
            ids, more = _claim_page(now=now, limit=page_size)
            if ids:
                CaseClock.objects.filter(pk__in=ids).update(dispatched_at=now)
                batches = [ids[i : i + batch_size] for i in range(0, len(ids), batch_size)]
                transaction.on_commit(partial(_send, dispatch, batches))
        result.pages += 1
        result.dispatched += len(ids)
        if not more:
            return result


def due_clocks(*, now: datetime) -> tuple[QuerySet[CaseClock], ...]:
    """The four due sets, each shaped for its partial index: warnings, breaches at their
    deadline, breaches a case change recorded before the engine took their step, and
    re-escalations (not yet handed out, or handed out so long ago the task must be lost)."""
    running = Q(stopped_at__isnull=True, paused_at__isnull=True)
    free = Q(dispatched_at__isnull=True) | Q(dispatched_at__lt=now - redispatch_after())
    return (
        CaseClock.objects.filter(running, free, warned_at__isnull=True, warn_at__lte=now).order_by(
            "warn_at"
        ),
        CaseClock.objects.filter(
            running, free, breach_handled_at__isnull=True, due_at__lte=now
        ).order_by("due_at"),
        CaseClock.objects.filter(
            running, free, breach_handled_at__isnull=True, breached_at__isnull=False
        ).order_by("breached_at"),
        CaseClock.objects.filter(
            running, free, reescalate_at__isnull=False, reescalate_at__lte=now
        ).order_by("reescalate_at"),
    )


def redispatch_after() -> timedelta:
    """How long a handed-out clock may stay due before it is handed out again
    (``SLA_REDISPATCH_SECONDS``, default five minutes: well under the broker's visibility
    timeout, well above a busy worker's backlog)."""
    return timedelta(seconds=settings.SLA_REDISPATCH_SECONDS)


def _claim_page(*, now: datetime, limit: int) -> tuple[list[int], bool]:
    ids: dict[int, None] = {}
    more = False
    for due in due_clocks(now=now):
        page = list(due.select_for_update(skip_locked=True).values_list("pk", flat=True)[:limit])
        more = more or len(page) == limit
        ids.update(dict.fromkeys(page))
    return list(ids), more


def _sweep_lock() -> bool:
    """The advisory lock of the sweep, released with the transaction. SQLite has no such
    thing and serializes writers anyway: there the claim alone keeps sweeps apart."""
    if not is_postgresql():
        return True
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [SWEEP_LOCK_KEY])
        row = cursor.fetchone()
    return bool(row and row[0])


def _send(dispatch: Callable[[list[int]], None], batches: list[list[int]]) -> None:
    for batch in batches:
        dispatch(batch)
