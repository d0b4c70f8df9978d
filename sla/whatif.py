"""What-if replay: the last 4, 12 or 52 weeks of SLA clocks judged again under a draft.

Only reads live data. Each clock the draft governs (a policy draft: the clocks of that policy;
a calendar draft: the clocks of every policy on that calendar) is taken from its recorded
history: its start, its pauses (``ClockLedgerEntry``: paused to resumed, stopped to reopened),
its stop. Under the draft's targets and calendar:

- a clock that stopped within the window is breached when the business time it ran (pauses
  excluded) exceeds the draft's target, as ``sla.alignment`` judges a stop; set against the
  recorded outcome (``CaseClock.met``) this gives each week's compliance, live and draft, and
  the clocks that flip (breached to met, met to breached);
- a running clock's deadline is recomputed (start + target + paused business time) and set
  against its live ``due_at``: how many move, by how much, the biggest moves. A paused clock has
  no deadline until it resumes; it is counted apart.

A clock re-targeted within its cycle (a severity change) is judged on the draft's target from
its start, as the engine measures each attempt from the same start. Clocks older than the ledger
(paused time but no pause entries) keep their recorded paused business seconds and are counted
as approximate. For the update clock, the current cycle is replayed (earlier cycles are not
kept as clocks).

Bounded memory: the governed clocks' ids come in one scan (8 bytes a clock), then their rows
in pages of ``CHUNK`` (``_pages``); each page's pause entries come in one query, and only
aggregates, the newest flips and the biggest moves are kept. Calendar arithmetic goes through
``sla.clock_index.BusinessTime``, which asks ``sla.clock`` once per calendar and day range and
answers each question by bisection.
"""

from __future__ import annotations

import logging
from array import array
from bisect import bisect_right
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from escalation.errors import DomainError
from sla.calendars import calendar_for
from sla.clock_index import BusinessTime
from sla.drafts import draft_calendar
from sla.models import (
    CaseClock,
    ClockKind,
    ClockLedgerEntry,
    DraftKind,
    DraftState,
    LedgerKind,
    ReplayState,
    SlaDraft,
    SlaPolicy,
    WhatIfReplay,
)
from sla.whatif_tally import (
    MOVE_BUCKETS,
    Tally,
    Terms,
    WeekTally,
    epoch_seconds,
    heap_keep,
    heap_wanted,
    instant,
    seconds_of,
    tally_result,
)

logger = logging.getLogger(__name__)

WEEK_CHOICES = (4, 12, 52)
CHUNK = 5000
# Replays of up to this many clocks run in the request; longer ones in a worker.
INLINE_CLOCKS = 5000
FLIP_LIMIT = 50
MOVE_LIMIT = 20
# A replay still "running" this long after it started lost its worker: it may be claimed again.
STALE_AFTER = timedelta(minutes=10)
PAUSE_KINDS = (LedgerKind.PAUSED, LedgerKind.RESUMED, LedgerKind.STOPPED, LedgerKind.REOPENED)
_FIELDS = (
    "case_id",
    "kind",
    "policy_id",
    "started_at",
    "stopped_at",
    "paused_at",
    "paused_seconds",
    "met",
    "due_at",
    "cycle",
    "target_seconds",
    "elapsed_seconds",
)
Row = tuple[Any, ...]
PauseKey = tuple[int, str, int]
# --- Requesting and running a replay (services) -------------------------------------------------


def replay_request(*, draft_id: int, weeks: int, by: User, now: datetime) -> WhatIfReplay:
    """Ask for a replay of an open draft. A short one runs here and now; a longer one is handed
    to a worker after the commit (``sla.whatif_tasks.whatif_replay``), and its page polls."""
    if weeks not in WEEK_CHOICES:
        raise DomainError(_("Replay the last 4, 12 or 52 weeks."), field="weeks")
    with transaction.atomic():
        try:
            draft = SlaDraft.objects.select_related("policy_calendar").get(pk=draft_id)
        except SlaDraft.DoesNotExist:
            raise DomainError(_("No such draft.")) from None
        if draft.state != DraftState.OPEN:
            raise DomainError(_("Only a draft that is not yet published or discarded is replayed."))
        total = replay_clocks(draft=draft, since=week_starts(now=now, weeks=weeks)[0], now=now)
        replay = WhatIfReplay.objects.create(
            draft=draft,
            weeks=weeks,
            requested_by=by,
            requested_at=now,
            as_of=now,
            clocks_total=total.count(),
        )
        if replay.clocks_total > INLINE_CLOCKS:
            from sla.whatif_tasks import whatif_replay

            transaction.on_commit(lambda: whatif_replay.delay(replay.pk))
            return replay
    replay_run(replay_id=replay.pk, now=now)
    replay.refresh_from_db()
    return replay


def replay_run(*, replay_id: int, now: datetime) -> None:
    """Run a queued replay once (a redelivered task finds it claimed and returns), storing its
    progress per chunk and its figures at the end; a failure is stored on it and logged."""
    claimed = (
        WhatIfReplay.objects.filter(pk=replay_id)
        .filter(
            Q(state=ReplayState.QUEUED)
            | Q(state=ReplayState.RUNNING, started_at__lt=now - STALE_AFTER)
        )
        .update(state=ReplayState.RUNNING, started_at=now, clocks_done=0)
    )
    if not claimed:
        return
    replay = WhatIfReplay.objects.select_related("draft__policy_calendar").get(pk=replay_id)

    def progress(done: int) -> None:
        WhatIfReplay.objects.filter(pk=replay_id).update(clocks_done=done)

    try:
        result = replay_compute(
            draft=replay.draft, weeks=replay.weeks, now=replay.as_of, progress=progress
        )
    except Exception as problem:
        logger.exception("what-if replay %s failed", replay_id)
        WhatIfReplay.objects.filter(pk=replay_id).update(
            state=ReplayState.FAILED, finished_at=datetime.now(UTC), error=str(problem)[:500]
        )
        return
    WhatIfReplay.objects.filter(pk=replay_id).update(
        state=ReplayState.DONE,
        finished_at=datetime.now(UTC),
        clocks_done=result["clocks"],
        result=result,
    )


# --- The replay itself ------------------------------------------------------------------------


def week_starts(*, now: datetime, weeks: int) -> list[datetime]:
    """The Mondays (00:00 in the site's time zone) that begin each of the last ``weeks`` weeks,
    this week last (it is still going)."""
    zone = ZoneInfo(settings.TIME_ZONE)
    today = now.astimezone(zone).date()
    monday = today - timedelta(days=today.weekday())
    days = [monday - timedelta(weeks=weeks - 1 - n) for n in range(weeks)]
    return [datetime.combine(day, time(0), tzinfo=zone) for day in days]


def replay_terms(draft: SlaDraft) -> dict[int, Terms]:
    """The policies the draft governs (by id) and what it makes of each."""
    if draft.kind == DraftKind.POLICY:
        assert draft.policy_id is not None and draft.policy_calendar is not None
        targets: dict[str, int | None] = {
            ClockKind.RESPONSE: seconds_of(draft.response_minutes),
            ClockKind.RESOLUTION: seconds_of(draft.resolution_minutes),
            ClockKind.UPDATE: seconds_of(draft.update_minutes),
        }
        return {draft.policy_id: Terms(BusinessTime(calendar_for(draft.policy_calendar)), targets)}
    business = BusinessTime(draft_calendar(draft))
    return {
        policy.pk: Terms(
            business,
            {
                ClockKind.RESPONSE: policy.response_minutes * 60,
                ClockKind.RESOLUTION: policy.resolution_minutes * 60,
                ClockKind.UPDATE: seconds_of(policy.update_minutes),
            },
        )
        for policy in SlaPolicy.objects.filter(calendar_id=draft.calendar_id).only(
            "id", "response_minutes", "resolution_minutes", "update_minutes"
        )
    }


def replay_clocks(*, draft: SlaDraft, since: datetime, now: datetime) -> QuerySet[CaseClock]:
    """The clocks a replay reads: the draft's, stopped since ``since`` or still running."""
    if draft.kind == DraftKind.POLICY:
        governed = [draft.policy_id]
    else:
        governed = list(
            SlaPolicy.objects.filter(calendar_id=draft.calendar_id).values_list("pk", flat=True)
        )
    return CaseClock.objects.filter(policy_id__in=governed).filter(
        Q(stopped_at__gte=since, stopped_at__lt=now) | Q(stopped_at__isnull=True)
    )


def replay_compute(
    *,
    draft: SlaDraft,
    weeks: int,
    now: datetime,
    progress: Callable[[int], None] | None = None,
) -> dict[str, Any]:
    """The replay's figures (JSON-ready).

    1. The window: the Mondays of the last ``weeks`` weeks; the terms per governed policy.
    2. Stream the governed clocks in chunks; per chunk, read the pause entries of the clocks
       that ever paused (one query) and judge each clock (``_judge``) into the tally.
    3. Say the tally: weeks, totals, flips (the newest first), running deadlines' moves.
    """
    starts = week_starts(now=now, weeks=weeks)
    bounds = [epoch_seconds(s) for s in starts]
    terms = replay_terms(draft)
    tally = Tally(weeks=[WeekTally() for _ in starts])
    clocks = replay_clocks(draft=draft, since=starts[0], now=now)
    now_s = epoch_seconds(now)
    for chunk in _pages(clocks, CHUNK):
        pauses = _pauses_for(chunk, now=now_s)
        for row in chunk:
            _judge(row, terms=terms, pauses=pauses, bounds=bounds, now=now_s, tally=tally)
        if progress is not None:
            progress(tally.clocks)
    return tally_result(tally, starts=starts, now=now, draft=draft)


def _judge(
    row: Row,
    *,
    terms: dict[int, Terms],
    pauses: dict[PauseKey, list[tuple[int, int]]],
    bounds: list[int],
    now: int,
    tally: Tally,
) -> None:
    (case_id, kind, policy_id, started, stopped, paused_at, paused_seconds, met, due, cycle) = row[
        :10
    ]
    live_target, live_elapsed = row[10], row[11]
    tally.clocks += 1
    term = terms.get(policy_id)
    target = term.targets.get(kind) if term is not None else None
    if term is None or target is None:
        tally.no_target += 1
        return
    business = term.business
    start = epoch_seconds(started)
    end = epoch_seconds(stopped) if stopped is not None else now
    spans = pauses.get((case_id, kind, cycle))
    if spans is not None:
        paused = sum(business.between(max(a, start), min(b, end)) for a, b in spans)
    elif paused_seconds or paused_at is not None:
        tally.approximate += 1
        paused = paused_seconds
        if paused_at is not None:
            paused += business.between(epoch_seconds(paused_at), end)
    else:
        paused = 0
    if stopped is not None:
        elapsed = business.between(start, end) - paused
        draft_breached = elapsed > target
        live_breached = met is False
        week = tally.weeks[bisect_right(bounds, end) - 1]
        week.clocks += 1
        week.cases.add(case_id)
        week.live_breached += live_breached
        week.draft_breached += draft_breached
        if live_breached != draft_breached:
            if draft_breached:
                tally.to_breached_count += 1
                flips, limit = tally.to_breached, FLIP_LIMIT
            else:
                tally.to_met_count += 1
                flips, limit = tally.to_met, FLIP_LIMIT
            key = (end, case_id, kind)
            if heap_wanted(flips, limit, key):
                flip = {
                    "case_id": case_id,
                    "kind": kind,
                    "stopped_at": stopped.isoformat(),
                    "live_elapsed": live_elapsed,
                    "live_target": live_target,
                    "draft_elapsed": elapsed,
                    "draft_target": target,
                }
                heap_keep(flips, limit, (key, flip))
        return
    if paused_at is not None:
        tally.paused += 1
        return
    tally.running += 1
    draft_due = business.add(start, target + paused)
    live_due = epoch_seconds(due)
    tally.past_due_live += live_due <= now
    tally.past_due_draft += draft_due <= now
    delta = draft_due - live_due
    tally.buckets[next(i for i, (upper, _) in enumerate(MOVE_BUCKETS) if delta < upper)] += 1
    if delta and heap_wanted(tally.moves, MOVE_LIMIT, (abs(delta), case_id, kind)):
        move = {
            "case_id": case_id,
            "kind": kind,
            "live_due": due.isoformat(),
            "draft_due": instant(draft_due).isoformat(),
            "delta": delta,
        }
        heap_keep(tally.moves, MOVE_LIMIT, ((abs(delta), case_id, kind), move))


def _pauses_for(chunk: list[Row], *, now: int) -> dict[PauseKey, list[tuple[int, int]]]:
    """The recorded pauses of the chunk's clocks that ever paused (one query): per (case, kind,
    cycle) the spans [paused, resumed) and [stopped, reopened); a pause still going runs to
    ``now``, one the stop ended to the stop. Clocks with no pause entries are left out."""
    keys = {(r[0], r[1], r[9]) for r in chunk if r[6] or r[5] is not None}
    if not keys:
        return {}
    entries = (
        ClockLedgerEntry.objects.filter(
            case_id__in={case_id for case_id, _, _ in keys}, kind__in=PAUSE_KINDS
        )
        .order_by("case_id", "clock_kind", "cycle", "at", "id")
        .values_list("case_id", "clock_kind", "cycle", "kind", "at")
    )
    spans: dict[PauseKey, list[tuple[int, int]]] = {}
    opened: dict[PauseKey, int] = {}
    stopped: dict[PauseKey, int] = {}
    for case_id, clock_kind, cycle, kind, at in entries:
        key = (case_id, clock_kind, cycle)
        if key not in keys:
            continue
        moment = epoch_seconds(at)
        if kind == LedgerKind.PAUSED:
            opened[key] = moment
        elif kind == LedgerKind.RESUMED and key in opened:
            spans.setdefault(key, []).append((opened.pop(key), moment))
        elif kind == LedgerKind.STOPPED:
            stopped[key] = moment
            if key in opened:
                spans.setdefault(key, []).append((opened.pop(key), moment))
        elif kind == LedgerKind.REOPENED and key in stopped:
            spans.setdefault(key, []).append((stopped.pop(key), moment))
    for key, moment in opened.items():
        spans.setdefault(key, []).append((moment, now))
    return spans


def _pages(clocks: QuerySet[CaseClock], size: int) -> Iterator[list[Row]]:
    """The clocks' rows (``_FIELDS``) a page of ``size`` at a time.

    Not ``.iterator()`` over the rows: the settings turn server-side cursors off (PgBouncer),
    and without one psycopg2 holds every row of a query at once. Nor a keyset by id: the
    window's clocks lie scattered over the table, so each page would scan far to fill up.
    Nor ``pk__in`` a page of ids: Django prepares each of thousands of values, slower than the
    query. Instead one scan reads the ids alone (8 bytes each, kept in an array), and each page
    is the range from one ``size``-th id to the next: a primary-key range scan with the same
    filter, so all pages together read the table once."""
    ids = array("q", clocks.order_by("pk").values_list("pk", flat=True).iterator(chunk_size=size))
    for at in range(0, len(ids), size):
        last = ids[min(at + size, len(ids)) - 1]
        yield list(clocks.filter(pk__gte=ids[at], pk__lte=last).values_list(*_FIELDS))
