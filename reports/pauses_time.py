"""Business time between many pairs of instants on one calendar, fast: the calendar's open runs
over a span are listed once (``sla.clock.calendar_runs``), with the business time before each,
so every later question is a binary search rather than a walk over the days.

The answers are ``sla.clock.business_time_between``'s (the open runs add up to it), in whole
seconds; instants outside the span the index was built for are clamped to it.
"""

from __future__ import annotations

import bisect
from datetime import UTC, datetime

from sla import clock as bh

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _seconds(moment: datetime) -> float:
    return (moment - _EPOCH).total_seconds()


class OpenTime:
    """The business seconds of ``calendar`` from ``start`` up to any instant until ``end``."""

    def __init__(self, calendar: bh.Calendar, start: datetime, end: datetime) -> None:
        self.opens: list[float] = []
        self.closes: list[float] = []
        self.before: list[float] = []  # business seconds before each open run
        total = 0.0
        for run in bh.calendar_runs(calendar, start, end):
            if not run.open:
                continue
            opens, closes = _seconds(run.start), _seconds(run.end)
            self.opens.append(opens)
            self.closes.append(closes)
            self.before.append(total)
            total += closes - opens

    def upto(self, moment: datetime) -> float:
        """Business seconds from the index's start to ``moment``."""
        at = _seconds(moment)
        i = bisect.bisect_right(self.opens, at) - 1
        if i < 0:
            return 0.0
        return self.before[i] + min(at, self.closes[i]) - self.opens[i]

    def between(self, start: datetime, end: datetime) -> int:
        """Business seconds in [start, end), never negative."""
        return max(0, round(self.upto(end) - self.upto(start)))
