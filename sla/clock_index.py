"""Business time on one SLA calendar over whole epoch seconds, exactly as `sla.clock` counts it.

`sla.clock.add_business_time` and `business_time_between` work out a calendar's open intervals
a day at a time, for every question; a million demo cases or a what-if replay over months of
clocks ask millions of questions, and at a tenth of a millisecond each that would take the
better part of an hour. `BusinessTime` asks `sla.clock` once for the calendar's open runs over
the span the questions touch (`next_open` for where a run begins, `business_time_between` for
where it ends), keeps them with running totals, and answers every question with a bisection of
those totals: the same instants, in whole seconds. (Moved here from `demo.business` so the SLA
app's what-if replay, below the demo in the layers, can use it too.)
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from datetime import UTC, datetime, timedelta

from sla import clock

DAY = 86400
# Runs are found this many days at a time, as far as the questions reach.
_CHUNK = 64
# A target not reached this many days after its start is left to sla.clock (which gives up on
# a calendar without business hours in ten years, with a clear error).
_HORIZON = 3700
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class BusinessTime:
    """`sla.clock` arithmetic on `calendar`, answered from its open runs (see above)."""

    def __init__(self, calendar: clock.Calendar) -> None:
        self.calendar = calendar
        self._low = self._high = 0  # the span [low, high) whose runs are known
        self._starts: list[int] = []  # the open runs [start, end), in time order
        self._ends: list[int] = []
        self._before: list[int] = []  # business seconds from low to the start of each run
        self._through: list[int] = []  # ... and to its end

    def add(self, start: int, seconds: int) -> int:
        """`add_business_time`: where `seconds` of business time have passed since `start`."""
        if seconds <= 0:
            return self._add_directly(start, seconds)
        self._cover(start, start + 1)
        goal = self._total(start) + seconds
        while not self._through or self._through[-1] < goal:
            if self._high - start > _HORIZON * DAY:
                return self._add_directly(start, seconds)
            self._cover(start, self._high + _CHUNK * DAY)
        # The first run that holds the goal; on its end exactly, that end (a closing time).
        run = bisect_left(self._through, goal)
        return self._starts[run] + goal - self._before[run]

    def between(self, start: int, end: int) -> int:
        """`business_time_between`: business seconds in [start, end), never negative."""
        if end <= start:
            return 0
        self._cover(start, end)
        return self._total(end) - self._total(start)

    def before(self, end: int, seconds: int) -> int:
        """The latest start from which `seconds` of business time have passed at `end`."""
        if seconds <= 0:
            return end
        low, step = end - seconds, max(seconds, DAY)
        while self.between(low, end) < seconds:
            if step > _HORIZON * DAY:
                raise ValueError(f"no {seconds} s of business time in the ten years before {end}")
            low -= step
            step *= 2
        high = end  # between(low, end) >= seconds > between(high, end)
        while high - low > 1:
            middle = (low + high) // 2
            if self.between(middle, end) >= seconds:
                low = middle
            else:
                high = middle
        return low

    def _total(self, at: int) -> int:
        """Business seconds in [low, at), for `at` in the known span."""
        run = bisect_right(self._starts, at) - 1
        if run < 0:
            return 0
        return self._before[run] + min(at, self._ends[run]) - self._starts[run]

    def _cover(self, start: int, end: int) -> None:
        """Know the runs of a span (whole UTC days, a chunk at least) holding [start, end)."""
        if not self._starts and self._low == self._high:
            self._low = self._high = start // DAY * DAY
        if start < self._low:
            low = min(start // DAY * DAY, self._low - _CHUNK * DAY)
            runs = self._runs(low, self._low)
            self._starts = [s for s, _ in runs] + self._starts
            self._ends = [e for _, e in runs] + self._ends
            self._low = low
            self._totals_rebuild()
        if end > self._high:
            high = max(-(-end // DAY) * DAY, self._high + _CHUNK * DAY)
            total = self._through[-1] if self._through else 0
            for run_start, run_end in self._runs(self._high, high):
                self._starts.append(run_start)
                self._ends.append(run_end)
                self._before.append(total)
                total += run_end - run_start
                self._through.append(total)
            self._high = high

    def _totals_rebuild(self) -> None:
        total, self._before, self._through = 0, [], []
        for run_start, run_end in zip(self._starts, self._ends, strict=True):
            self._before.append(total)
            total += run_end - run_start
            self._through.append(total)

    def _runs(self, low: int, high: int) -> list[tuple[int, int]]:
        """The calendar's open runs in [low, high), cut at `high` and at least daily.

        1. A span open throughout (24x7) is one run.
        2. Otherwise a run begins where `sla.clock.next_open` says, from where the last ended.
        3. If the calendar is open for all of the business time it has in the day from there,
           the run ends after that much time (one `business_time_between` to measure it and
           one to check it). Otherwise (a lunch break, say) bisect for the first closed second.
        """
        if self._measure(low, high) == high - low:
            return [(low, high)]  # open throughout (24x7): one question for the whole span
        runs: list[tuple[int, int]] = []
        cursor = low
        while cursor < high:
            opens = _seconds(clock.next_open(self.calendar, _instant(cursor)))
            if opens >= high:
                break
            limit = min(high, opens + DAY)
            length = self._measure(opens, limit)
            if length != limit - opens and self._measure(opens, opens + length) != length:
                inside, outside = opens + 1, limit  # [opens, inside) open, [opens, outside) not
                while outside - inside > 1:
                    middle = (inside + outside) // 2
                    if self._measure(opens, middle) == middle - opens:
                        inside = middle
                    else:
                        outside = middle
                length = inside - opens
            runs.append((opens, opens + length))
            cursor = opens + length
        return runs

    def _measure(self, start: int, end: int) -> int:
        spent = clock.business_time_between(self.calendar, _instant(start), _instant(end))
        return int(spent.total_seconds())

    def _add_directly(self, start: int, seconds: int) -> int:
        due = clock.add_business_time(self.calendar, _instant(start), timedelta(seconds=seconds))
        return _seconds(due)


def _instant(seconds: int) -> datetime:
    return _EPOCH + timedelta(seconds=seconds)


def _seconds(instant: datetime) -> int:
    return (instant - _EPOCH) // timedelta(seconds=1)
