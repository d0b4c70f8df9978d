"""What a what-if replay keeps while the clocks stream by (sla.whatif): the week and move
tallies, the few flips and moves shown, the stored result, and its second arithmetic."""

from __future__ import annotations

import heapq
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from django.utils.translation import gettext_noop

from cases.models import Case
from sla.clock_index import BusinessTime
from sla.models import SlaDraft

HOUR, DAY = 3600, 86400
# Moves of a running deadline, in seconds: (upper bound exclusive, label). The labels stay
# English in the stored result; the replay page translates them.
MOVE_BUCKETS: tuple[tuple[float, str], ...] = (
    (-DAY, gettext_noop("more than a day earlier")),
    (-HOUR, gettext_noop("1 h to a day earlier")),
    (0, gettext_noop("up to an hour earlier")),
    (1, gettext_noop("unchanged")),
    (HOUR + 1, gettext_noop("up to an hour later")),
    (DAY + 1, gettext_noop("1 h to a day later")),
    (float("inf"), gettext_noop("more than a day later")),
)
# A flip or a move kept for the page: (its key, what is shown of it).
Kept = tuple[tuple[int, int, str], dict[str, Any]]


@dataclass(frozen=True)
class Terms:
    """What the draft makes of one policy's clocks: a calendar and a target per clock kind."""

    business: BusinessTime
    targets: dict[str, int | None]


@dataclass
class WeekTally:
    clocks: int = 0
    live_breached: int = 0
    draft_breached: int = 0
    cases: set[int] = field(default_factory=set)

    def figures(self) -> dict[str, Any]:
        return {
            "clocks": self.clocks,
            "cases": len(self.cases),
            "live_met": self.clocks - self.live_breached,
            "live_breached": self.live_breached,
            "draft_met": self.clocks - self.draft_breached,
            "draft_breached": self.draft_breached,
            "live_percent": percent(self.clocks - self.live_breached, self.clocks),
            "draft_percent": percent(self.clocks - self.draft_breached, self.clocks),
        }


@dataclass
class Tally:
    """Everything a replay keeps while the clocks stream by."""

    weeks: list[WeekTally]
    to_met: list[Kept] = field(default_factory=list)
    to_breached: list[Kept] = field(default_factory=list)
    to_met_count: int = 0
    to_breached_count: int = 0
    moves: list[Kept] = field(default_factory=list)
    buckets: list[int] = field(default_factory=lambda: [0] * len(MOVE_BUCKETS))
    running: int = 0
    paused: int = 0
    past_due_live: int = 0
    past_due_draft: int = 0
    approximate: int = 0
    no_target: int = 0
    clocks: int = 0


def tally_result(
    tally: Tally, *, starts: list[datetime], now: datetime, draft: SlaDraft
) -> dict[str, Any]:
    total = WeekTally()
    weeks = []
    for start, week in zip(starts, tally.weeks, strict=True):
        weeks.append({"start": start.date().isoformat(), **week.figures()})
        total.clocks += week.clocks
        total.live_breached += week.live_breached
        total.draft_breached += week.draft_breached
        total.cases |= week.cases
    return {
        "draft": draft.pk,
        "since": starts[0].isoformat(),
        "as_of": now.isoformat(),
        "clocks": tally.clocks,
        "weeks": weeks,
        "totals": total.figures(),
        "to_met": heap_newest(tally.to_met),
        "to_met_count": tally.to_met_count,
        "to_breached": heap_newest(tally.to_breached),
        "to_breached_count": tally.to_breached_count,
        "open": {
            "running": tally.running,
            "paused": tally.paused,
            "moved": tally.running - tally.buckets[3],
            "buckets": [
                [label, n] for (_, label), n in zip(MOVE_BUCKETS, tally.buckets, strict=True)
            ],
            "biggest": heap_newest(tally.moves),
            "past_due_live": tally.past_due_live,
            "past_due_draft": tally.past_due_draft,
        },
        "approximate": tally.approximate,
        "no_target": tally.no_target,
    }


def heap_wanted(heap: list[Kept], limit: int, key: tuple[int, int, str]) -> bool:
    """Whether an item of ``key`` would be kept: only those are built."""
    return len(heap) < limit or key > heap[0][0]


def heap_keep(heap: list[Kept], limit: int, item: Kept) -> None:
    """Keep the ``limit`` items of largest key in ``heap`` (keys are unique: one per clock)."""
    if len(heap) < limit:
        heapq.heappush(heap, item)
    elif item[0] > heap[0][0]:
        heapq.heapreplace(heap, item)


def heap_newest(heap: list[Kept]) -> list[dict[str, Any]]:
    """The kept items, largest key first, each with its case's reference."""
    kept = [item for _, item in sorted(heap, key=lambda entry: entry[0], reverse=True)]
    return [{**item, "reference": Case(pk=item["case_id"]).reference} for item in kept]


def percent(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def seconds_of(minutes: int | None) -> int | None:
    return minutes * 60 if minutes else None


EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def epoch_seconds(moment: datetime) -> int:
    """Whole seconds since the epoch (aware datetimes only, as the ORM gives them)."""
    return int(moment.timestamp())


def instant(seconds: int) -> datetime:
    return EPOCH + timedelta(seconds=seconds)
