"""The look-ahead of the SLA engine: a short countdown task for each moment (a warning, a
breach, a re-escalation) that comes before the next sweep, so its step is taken within a
fraction of a second of the moment rather than at the next sweep, up to a period later.

Two ways in, one way out:

1. Each sweep (``sla.sweep.sla_sweep``), in the transaction that holds its advisory lock, reads
   the clocks whose next step falls in the look-ahead window, from now to one sweep period
   plus ``MARGIN`` ahead (``soon_moments``: one range scan of each partial index the sweep's
   due sets read), so a second sweep running at once sends nothing.
2. When a case's clocks are aligned (``sla.services``: a case raised, its severity changed, a
   pause ended...), the clocks created or changed whose next step falls in that window, or has
   come already, are looked at again, in memory, once the change commits (``after_commit``).
3. Either way, the moments are grouped into slots of ``SLOT``: one task per slot (per
   ``TASK_BATCH`` clocks) whose ETA is the end of its slot, so none of its moments is early,
   and which expires one sweep period after it (by then the sweep has handed out whatever is
   still due).
4. The task (``sla.tasks.clocks_soon``) keeps those of its clocks that are due when it runs
   (``due_now``: not those a sweep has just handed out to a task of its own) and gives them
   to ``sla.escalation.clocks_escalate_due``, the one way steps are taken (case and clock
   locks, a unique record per step). A clock moved later since is
   left alone; a task that is lost, late or delivered twice changes nothing the sweep and the
   records do not already guarantee.

Nothing here claims or stamps a clock: a countdown task is a hint. The sweep stays the source
of truth and the safety net after an outage (or a worker restart, which drops the tasks it
held). Why ETAs of one period at most: a worker holds a task with an ETA in memory,
unacknowledged (``task_acks_late``), and Redis hands an unacknowledged message to another worker
after the visibility timeout (an hour, see settings); an ETA that long would run twice and be
held across restarts. Such tasks do not count against ``worker_prefetch_multiplier`` (the worker
raises its prefetch count for each), so they never hold up the other tasks. They travel on the
sweep's queue (``<CELERY_QUEUE>.sla-sweep``), which a backlog of escalations never fills, so
each reaches a worker well before its moment.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from escalation.celery import app
from sla.models import CaseClock

SOON_TASK = "sla.tasks.clocks_soon"
# Moments this close together share a task: at most this much is added to the lag, and a minute
# of deadlines makes at most 300 tasks whatever their number.
SLOT = timedelta(milliseconds=200)
# Beat's ticks reach a worker a little late, and not always by as much: the window reaches this
# far past the next sweep, so a moment between two sweeps is never left out.
MARGIN = timedelta(seconds=1)
# Clocks per task (the sweep's too): each batch costs about thirty statements whatever its
# size (sla.escalation_batch), so in a storm of breaches 500 a task take 0.06 statements and
# about 0.8 ms of worker CPU per case against 0.31 and 1.0 ms with 100 (bench/sla_burst.py);
# its cases stay locked for the batch's half second or so.
TASK_BATCH = 500

RUNNING = Q(stopped_at__isnull=True, paused_at__isnull=True)
# The steps a running, unpaused clock may owe: the field holding the moment each comes at, and
# the condition that it is still owed. Each is read through a partial index of CaseClock
# (sla.models). The sweep's due sets are built from the same table (sla.sweep.due_clocks).
PENDING: dict[str, Q] = {
    "warn_at": Q(warned_at__isnull=True),
    "due_at": Q(breach_handled_at__isnull=True),
    "reescalate_at": Q(reescalate_at__isnull=False),
    "climb_at": Q(climb_at__isnull=False),
}
# A breach a case change recorded before the engine got there is owed at once.
RECORDED_BREACH = Q(breach_handled_at__isnull=True, breached_at__isnull=False)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Wake:
    """One countdown task: the clocks to look at, and when."""

    at: datetime
    clock_ids: tuple[int, ...]


def redispatch_after() -> timedelta:
    """How long a clock a sweep handed out may stay due before it is handed out again
    (``SLA_REDISPATCH_SECONDS``, default five minutes: well under the broker's visibility
    timeout, well above a busy worker's backlog)."""
    return timedelta(seconds=settings.SLA_REDISPATCH_SECONDS)


def not_handed_out(now: datetime) -> Q:
    """Clocks no sweep has handed out to a task, or so long ago that the task must be lost."""
    return Q(dispatched_at__isnull=True) | Q(dispatched_at__lt=now - redispatch_after())


def look_ahead() -> timedelta:
    """How far ahead of now moments get a countdown task: one sweep period and the margin."""
    return timedelta(seconds=settings.SLA_SWEEP_SECONDS) + MARGIN


def slot_end(moment: datetime) -> datetime:
    """The end of the ``SLOT`` the moment falls in (a moment on a boundary ends its own)."""
    size = SLOT // timedelta(microseconds=1)
    offset = (moment - _EPOCH) // timedelta(microseconds=1)
    return _EPOCH + timedelta(microseconds=-(-offset // size) * size)


def wakes_for(
    moments: Iterable[tuple[int, datetime]], *, batch_size: int = TASK_BATCH
) -> list[Wake]:
    """Group (clock id, moment) pairs by slot, in time order, ``batch_size`` clocks a task."""
    slots: dict[datetime, dict[int, None]] = defaultdict(dict)
    for clock_id, moment in moments:
        slots[slot_end(moment)][clock_id] = None
    wakes = []
    for at in sorted(slots):
        ids = list(slots[at])
        for start in range(0, len(ids), batch_size):
            wakes.append(Wake(at=at, clock_ids=tuple(ids[start : start + batch_size])))
    return wakes


def soon_moments(*, now: datetime, until: datetime) -> list[tuple[int, datetime]]:
    """(clock id, moment) of every step owed after ``now`` and no later than ``until``."""
    moments: list[tuple[int, datetime]] = []
    for field, pending in PENDING.items():
        window = Q(**{f"{field}__gt": now, f"{field}__lte": until})
        moments += CaseClock.objects.filter(RUNNING, pending, window).values_list("pk", field)
    return moments


def soon_wakes(*, now: datetime) -> list[Wake]:
    """The countdown tasks a sweep at ``now`` sends (step 1)."""
    return wakes_for(soon_moments(now=now, until=now + look_ahead()))


def owed_moments(clock: CaseClock) -> list[datetime]:
    """The moments of the steps this clock owes, as it stands in memory (``PENDING``)."""
    if clock.stopped_at is not None or clock.paused_at is not None:
        return []
    moments = []
    if clock.warned_at is None:
        moments.append(clock.warn_at)
    if clock.breach_handled_at is None:
        moments.append(clock.breached_at or clock.due_at)
    if clock.reescalate_at is not None:
        moments.append(clock.reescalate_at)
    if clock.climb_at is not None:
        moments.append(clock.climb_at)
    return moments


def after_commit(*, clocks: Sequence[CaseClock], now: datetime) -> None:
    """Step 2, for the alignment of a case's clocks in the current transaction: if a step of
    ``clocks`` comes within the look-ahead, send its countdown task once the change commits.
    No query; nothing registered when no step is near."""
    until = now + look_ahead()
    if any(moment <= until for clock in clocks for moment in owed_moments(clock)):
        # Robust: with the broker down the change still commits and answers; the sweep takes
        # the step instead, up to a period later.
        transaction.on_commit(partial(_written_send, list(clocks)), robust=True)


def _written_send(clocks: list[CaseClock]) -> None:
    # Read after the commit: the new clocks have their ids now.
    now = timezone.now()
    until = now + look_ahead()
    moments = [
        (clock.pk, max(moment, now))  # what has come goes now, in one task
        for clock in clocks
        if clock.pk is not None
        for moment in owed_moments(clock)
        if moment <= until
    ]
    wakes_send(wakes_for(moments), now=now)


def wakes_send(wakes: Iterable[Wake], *, now: datetime) -> int:
    """Step 3: send the countdown tasks; how many."""
    sent = 0
    for wake in wakes:
        wake_send(wake, now=now)
        sent += 1
    return sent


def wake_send(wake: Wake, *, now: datetime) -> None:
    app.send_task(SOON_TASK, args=[list(wake.clock_ids)], **wake_options(wake, now=now))


def wake_options(wake: Wake, *, now: datetime) -> dict[str, datetime | None]:
    """A countdown task's ETA (none when its moment has come) and its expiry, one sweep period
    after it: by then the sweep has handed out whatever is still due."""
    start = max(wake.at, now)
    return {
        "eta": wake.at if wake.at > now else None,
        "expires": start + timedelta(seconds=settings.SLA_SWEEP_SECONDS),
    }


def due_now(*, clock_ids: Sequence[int], now: datetime) -> list[int]:
    """Step 4: those of ``clock_ids`` that owe a step at ``now`` (one query). A clock a sweep
    has just handed out is left to that sweep's task: the two would otherwise wait on each
    other's locks for the same work."""
    due = RECORDED_BREACH
    for field, pending in PENDING.items():
        due |= pending & Q(**{f"{field}__lte": now})
    return list(
        CaseClock.objects.filter(RUNNING, not_handed_out(now), due, pk__in=list(clock_ids))
        .order_by("pk")
        .values_list("pk", flat=True)
    )
