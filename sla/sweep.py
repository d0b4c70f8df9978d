"""The SLA sweep: find the clocks whose warning, breach or re-escalation has come, and hand
them to workers.

The sweep is the source of truth: nothing depends on what waits in memory or in a delayed task
(the look-ahead's countdown tasks only hasten a step, see 5), so after an outage the first
sweep finds everything that fell due meanwhile. It reads five partial indexes
(running, unpaused clocks not yet warned / past their deadline with the breach not yet handled /
breached by a case change and not yet handled / with a re-escalation pending / with a climb of
the acknowledge ladder pending), so its cost grows
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
5. Under the same advisory lock, the sweep looks one period ahead (``sla.soon``): each moment
   that comes before the next sweep gets a short countdown task, so its step is taken within
   a fraction of a second of it, not at the next sweep. Those tasks claim nothing: one that is
   lost or late leaves the clock to a later sweep, which hands it out as in 2.

On the embedded SQLite default there is no advisory lock and no row lock (Django leaves out
``FOR UPDATE`` there), but writers take turns (transactions start IMMEDIATE, see settings):
a second sweep's page waits for the first's commit and then finds its clocks stamped. The
claim is the same ORM query on both databases.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import partial

from django.db import connection, transaction
from django.db.models import Q, QuerySet

from escalation.db import is_postgresql
from sla import soon
from sla.models import CaseClock

# 'SLA' in ASCII, as the advisory lock's key: any constant shared by all sweeps will do.
SWEEP_LOCK_KEY = 0x534C41
PAGE_SIZE = 500
# Clocks per worker task: as many as a countdown task of the look-ahead takes.
TASK_BATCH = soon.TASK_BATCH


@dataclass
class SweepResult:
    dispatched: int = 0
    pages: int = 0
    # Countdown tasks sent for the moments before the next sweep (sla.soon).
    woken: int = 0
    # True when another sweep held the lock, so this one did nothing at all.
    skipped: bool = False


def sla_sweep(
    *,
    now: datetime,
    dispatch: Callable[[list[int]], None],
    wake: Callable[[list[soon.Wake]], object] | None = None,
    page_size: int = PAGE_SIZE,
    batch_size: int = TASK_BATCH,
) -> SweepResult:
    """Hand every clock due at ``now`` to ``dispatch``, in batches of ids, page by page, and
    the moments before the next sweep to ``wake``, in countdown tasks.

    1. In a transaction: take the advisory lock (or stop: another sweep is running).
    2. On the first page, read the look-ahead's countdown tasks (``sla.soon.soon_wakes``);
       after commit, give them to ``wake``.
    3. Claim up to ``page_size`` due clocks from each index, skipping rows another transaction
       holds; stamp them ``dispatched_at``; after commit, call ``dispatch`` per batch.
    4. Repeat while any index filled its page: there is no cap on one sweep's work.
    """
    result = SweepResult()
    while True:
        with transaction.atomic():
            if not _sweep_lock():
                result.skipped = result.pages == 0
                return result
            if wake is not None and result.pages == 0:
                wakes = soon.soon_wakes(now=now)
                result.woken = len(wakes)
                if wakes:
                    transaction.on_commit(partial(wake, wakes))
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
    """The five due sets, each shaped for its partial index: warnings, breaches at their
    deadline, breaches a case change recorded before the engine took their step,
    re-escalations and climbs (not yet handed out, or handed out so long ago the task must
    be lost)."""
    free = soon.not_handed_out(now)
    # The steps of sla.soon.PENDING whose moment has come, and the breaches changes recorded.
    sets = [
        (field, pending & Q(**{f"{field}__lte": now})) for field, pending in soon.PENDING.items()
    ]
    sets.insert(2, ("breached_at", soon.RECORDED_BREACH))
    return tuple(
        CaseClock.objects.filter(soon.RUNNING, free, condition).order_by(field)
        for field, condition in sets
    )


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
