"""Business-hours arithmetic for SLA clocks: pure functions over aware datetimes, no ORM.

A `Calendar` says when a team works, in local wall-clock terms: per weekday a few [start, end)
windows, plus whole-day holidays. The functions here turn those windows into real instants and
measure *real elapsed time* inside them, so a 24x7 calendar counts 23 hours on the spring-forward
day and 25 on the fall-back day. Every datetime returned is in UTC.

Wall-clock time to instant: a local time on a date maps to the first instant at which the local
clock reads at least that time. Hence

- a time skipped by spring-forward (02:30 in Amsterdam on 2026-03-29) maps forward to the
  transition itself (03:00 CEST); a window lying wholly inside the gap is not open that day;
- an ambiguous time during fall-back maps to its first occurrence (fold=0), so the repeated hour
  belongs to whichever window held the moment just before the clocks went back.

This mapping never runs backwards, so windows that are sorted and disjoint on the wall clock stay
sorted and disjoint as instants, on every day of the year.

The work is done a day at a time over the open windows, and whole weeks are skipped in one step
when their business time follows from the weekly hours alone (no DST change inside; holidays
subtracted), so a span of years costs a step per week, not a walk through every window.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from types import MappingProxyType
from zoneinfo import ZoneInfo

Window = tuple[time, time | None]
Interval = tuple[datetime, datetime]

_DAY = timedelta(days=1)
_WEEK = timedelta(days=7)
_ZERO = timedelta(0)
_MIDNIGHT = time(0)
_MICROSECOND = timedelta(microseconds=1)
# Holidays can close a calendar for good; after this many days without an opening we give up
# instead of searching forever.
_SEARCH_LIMIT = timedelta(days=3653)


@dataclass(frozen=True)
class Calendar:
    """When a team works, in local wall-clock time.

    `hours` maps a weekday (0=Monday..6=Sunday) to sorted, non-overlapping [start, end) windows;
    `end=None` means midnight at the end of that day. A window across midnight is written as two
    windows on consecutive days, e.g. Monday (22:00, None) and Tuesday (00:00, 06:00). A missing
    weekday is closed, and so is every local date in `holidays`.
    """

    tz: ZoneInfo
    hours: Mapping[int, tuple[Window, ...]]
    holidays: frozenset[date] = frozenset()

    def __post_init__(self) -> None:
        hours: dict[int, tuple[Window, ...]] = {}
        for weekday, windows in sorted(self.hours.items()):
            if weekday not in range(7):
                raise ValueError(f"weekday must be 0 (Monday) to 6 (Sunday), got {weekday!r}")
            normalized = tuple((start, end) for start, end in windows)
            _check_windows(weekday=weekday, windows=normalized)
            # Closed days are left out so that equal calendars compare (and hash) equal.
            if normalized:
                hours[weekday] = normalized
        # The dataclass is frozen; normalizing in place is the one sanctioned write.
        object.__setattr__(self, "tz", _zone(self.tz))
        object.__setattr__(self, "hours", MappingProxyType(hours))
        object.__setattr__(self, "holidays", frozenset(self.holidays))

    def __hash__(self) -> int:
        # A mapping is not hashable itself; its items are.
        return hash((self.tz, tuple(self.hours.items()), self.holidays))

    @classmethod
    def always_open(cls, tz: ZoneInfo | str = "UTC") -> Calendar:
        """A 24x7 calendar: business time is simply real elapsed time."""
        return cls(tz=_zone(tz), hours={weekday: ((_MIDNIGHT, None),) for weekday in range(7)})

    @classmethod
    def weekdays(
        cls,
        *,
        tz: ZoneInfo | str,
        start: time,
        end: time | None,
        holidays: Iterable[date] = (),
    ) -> Calendar:
        """Monday to Friday, the same hours every day; `end=None` means midnight."""
        return cls(
            tz=_zone(tz),
            hours={weekday: ((start, end),) for weekday in range(5)},
            holidays=frozenset(holidays),
        )


def add_business_time(calendar: Calendar, start: datetime, duration: timedelta) -> datetime:
    """The instant at which `duration` of business time has elapsed, counting from `start`.

    A zero duration returns `start` itself (in UTC), even outside business hours. Otherwise
    counting begins at `start`, or at the next opening if the calendar is closed then; a result
    that falls exactly on a closing time is that closing time.

    1. Walk the local days from the one holding `start`, keeping a cursor (how far we have
       counted) and the business time still to count.
    2. Before each day, if more than a full week's hours remain and the next seven days can be
       measured from the weekly hours alone (see `_plain_week`), take them in one step.
    3. Otherwise take the day's open intervals in order, from the cursor on: the answer lies in
       the first one that holds the rest of the duration; each other one is used up whole.
    4. Give up with ValueError after ten years without any business hours.
    """
    cursor = _aware_utc(start, name="start")
    if duration < _ZERO:
        raise ValueError(f"duration must not be negative, got {duration}")
    _require_hours(calendar)
    if not duration:
        return cursor
    full_week = _weekly_hours(calendar)
    remaining = duration
    day = _local_date(calendar, cursor)
    last_progress = day
    while True:
        if day - last_progress > _SEARCH_LIMIT:
            raise ValueError(
                f"calendar has no business hours in the ten years after {cursor.isoformat()}"
            )
        if remaining > full_week:
            # remaining > full_week >= the week's business time, so the answer lies beyond it.
            week = _plain_week(calendar, day)
            if week is not None and cursor <= week[0]:
                _, cursor, business = week
                remaining -= business
                day += _WEEK
                if business:
                    last_progress = day
                continue
        for opens, closes in _day_intervals(calendar, day):
            if closes <= cursor:
                continue
            opens = max(opens, cursor)
            if remaining <= closes - opens:
                return opens + remaining
            remaining -= closes - opens
            cursor = closes
            last_progress = day
        day += _DAY


def business_time_between(calendar: Calendar, start: datetime, end: datetime) -> timedelta:
    """Business time in [start, end); zero (never negative) if `end` is not after `start`.

    1. Walk the local days from the one holding `start` to the day after the one holding `end`
       (a fall-back across midnight can put an instant of day N+1's windows on day N's date).
    2. A run of seven days lying wholly inside [start, end) that `_plain_week` can measure is
       added in one step.
    3. Any other day adds the overlap of each of its open intervals with [start, end).
    """
    start_utc = _aware_utc(start, name="start")
    end_utc = _aware_utc(end, name="end")
    if end_utc <= start_utc:
        return _ZERO
    first_day = _local_date(calendar, start_utc)
    last_day = _local_date(calendar, end_utc) + _DAY
    total = _ZERO
    day = first_day
    while day <= last_day:
        if first_day < day and day + _WEEK < last_day:
            week = _plain_week(calendar, day)
            if week is not None and start_utc <= week[0] and week[1] <= end_utc:
                total += week[2]
                day += _WEEK
                continue
        for opens, closes in _day_intervals(calendar, day):
            overlap = min(closes, end_utc) - max(opens, start_utc)
            if overlap > _ZERO:
                total += overlap
        day += _DAY
    return total


def next_open(calendar: Calendar, instant: datetime) -> datetime:
    """`instant` itself (in UTC) if the calendar is open then, else the next opening.

    Raises ValueError for a calendar without hours, or without any opening in ten years.
    """
    instant_utc = _aware_utc(instant, name="instant")
    _require_hours(calendar)
    day = _local_date(calendar, instant_utc)
    give_up = day + _SEARCH_LIMIT
    while day <= give_up:
        # Intervals come out in time order across days, so the first one still open is it.
        for opens, closes in _day_intervals(calendar, day):
            if closes > instant_utc:
                return max(opens, instant_utc)
        day += _DAY
    raise ValueError(
        f"calendar has no business hours in the ten years after {instant_utc.isoformat()}"
    )


# --- Open and closed runs: what a clock's ledger is cut from -----------------------------------

NIGHT = "night"
WEEKEND = "weekend"
HOLIDAY = "holiday"
BREAK = "break"


@dataclass(frozen=True)
class Run:
    """A maximal stretch of [start, end) in which the calendar is open throughout, or closed."""

    start: datetime
    end: datetime
    open: bool


@dataclass(frozen=True)
class ClosedHours:
    """The closed runs of a calendar inside a span: the first few in full (``runs``), and how
    many there are in all, how long they last together and how many of each kind (night,
    weekend, holiday, break), so a long span can be summarised instead of listed."""

    runs: tuple[Run, ...]
    count: int
    total: timedelta
    kinds: tuple[tuple[str, int], ...]


def calendar_runs(calendar: Calendar, start: datetime, end: datetime) -> Iterator[Run]:
    """[start, end) cut into alternating open and closed runs, in time order (lazily).

    Nothing comes out when `end` is not after `start`; a calendar without hours gives one
    closed run. The open runs add up to `business_time_between` of the span.

    1. Walk the local days `business_time_between` walks, taking each day's open intervals
       clipped to [start, end).
    2. Open intervals that touch or overlap (a window to midnight and the next day's window from
       midnight) make one open run.
    3. Each gap before, between and after the open runs is a closed run.
    """
    start_utc = _aware_utc(start, name="start")
    end_utc = _aware_utc(end, name="end")
    if end_utc <= start_utc:
        return
    cursor = start_utc  # everything before it has been yielded
    gathering: Interval | None = None  # the open run still growing
    day = _local_date(calendar, start_utc)
    last_day = _local_date(calendar, end_utc) + _DAY
    while day <= last_day:
        for opens, closes in _day_intervals(calendar, day):
            lower, upper = max(opens, start_utc), min(closes, end_utc)
            if lower >= upper:
                continue
            if gathering is not None and lower <= gathering[1]:
                gathering = (gathering[0], max(gathering[1], upper))
                continue
            if gathering is not None:
                yield Run(gathering[0], gathering[1], open=True)
                cursor = gathering[1]
            if cursor < lower:
                yield Run(cursor, lower, open=False)
            gathering = (lower, upper)
        day += _DAY
    if gathering is not None:
        yield Run(gathering[0], gathering[1], open=True)
        cursor = gathering[1]
    if cursor < end_utc:
        yield Run(cursor, end_utc, open=False)


def closed_kind(calendar: Calendar, run: Run) -> str:
    """Why the calendar is closed over `run`, in the calendar's own time zone:

    1. HOLIDAY if the run takes in a holiday on a weekday that has hours;
    2. WEEKEND if it takes in a whole local day (a day without hours);
    3. BREAK if it lies within one local day, between two of that day's windows (lunch);
    4. NIGHT otherwise: from a closing to the next opening, or part of that.
    """
    first = _local_date(calendar, run.start)
    last = _local_date(calendar, run.end - _MICROSECOND)
    days = [first + timedelta(days=offset) for offset in range((last - first).days + 1)]
    if any(day in calendar.holidays and day.weekday() in calendar.hours for day in days):
        return HOLIDAY
    for day in days:
        midnight = _wall_to_instant(calendar.tz, day, _MIDNIGHT)
        next_midnight = _wall_to_instant(calendar.tz, day + _DAY, _MIDNIGHT)
        if run.start <= midnight and next_midnight <= run.end:
            return WEEKEND
    if first == last:
        intervals = _day_intervals(calendar, first)
        before = any(closes <= run.start for _, closes in intervals)
        after = any(opens >= run.end for opens, _ in intervals)
        if before and after:
            return BREAK
    return NIGHT


def closed_hours(calendar: Calendar, start: datetime, end: datetime, *, limit: int) -> ClosedHours:
    """The closed runs inside [start, end): the first `limit` of them, and the number, total
    length and kinds (see `closed_kind`) of all of them. Costs one walk over the local days
    of the span, however many runs it holds."""
    if limit < 0:
        raise ValueError(f"limit must not be negative, got {limit}")
    runs: list[Run] = []
    count = 0
    total = _ZERO
    kinds: dict[str, int] = {}
    for run in calendar_runs(calendar, start, end):
        if run.open:
            continue
        count += 1
        total += run.end - run.start
        kind = closed_kind(calendar, run)
        kinds[kind] = kinds.get(kind, 0) + 1
        if len(runs) < limit:
            runs.append(run)
    order = (NIGHT, WEEKEND, HOLIDAY, BREAK)
    return ClosedHours(
        runs=tuple(runs),
        count=count,
        total=total,
        kinds=tuple((kind, kinds[kind]) for kind in order if kind in kinds),
    )


def _zone(tz: ZoneInfo | str) -> ZoneInfo:
    if isinstance(tz, str):
        return ZoneInfo(tz)
    if not isinstance(tz, ZoneInfo):
        raise TypeError(f"calendar time zone must be a ZoneInfo or a zone name, got {tz!r}")
    return tz


def _check_windows(*, weekday: int, windows: tuple[Window, ...]) -> None:
    previous: Window | None = None
    for start, end in windows:
        if start.tzinfo is not None or (end is not None and end.tzinfo is not None):
            raise ValueError(f"weekday {weekday}: window times are wall-clock, without tzinfo")
        if end in (_MIDNIGHT, time.max):
            # time(0) would read as an empty window, time.max would lose the last microsecond.
            raise ValueError(f"weekday {weekday}: write end=None for midnight, not {end}")
        if end is not None and end <= start:
            raise ValueError(f"weekday {weekday}: window {start}-{end} ends before it starts")
        if previous is not None and (previous[1] is None or start < previous[1]):
            raise ValueError(
                f"weekday {weekday}: windows must be sorted and must not overlap "
                f"({previous[0]}-{previous[1] or 'midnight'} then {start}-{end or 'midnight'})"
            )
        previous = (start, end)


def _aware_utc(value: datetime, *, name: str) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be a timezone-aware datetime, got naive {value.isoformat()}")
    return value.astimezone(UTC)


def _require_hours(calendar: Calendar) -> None:
    if not calendar.hours:
        raise ValueError("calendar has no business hours")


def _local_date(calendar: Calendar, instant: datetime) -> date:
    return instant.astimezone(calendar.tz).date()


def _wall_to_instant(tz: ZoneInfo, day: date, wall: time) -> datetime:
    """The first instant (in UTC) at which the clock in `tz` reads at least `wall` on `day`.

    1. Read the wall time with fold=0: right for an ordinary time, and the first occurrence of an
       ambiguous one.
    2. If that instant does not read back as the same wall time, the time fell in a
       spring-forward gap. The transition then lies between the fold=1 reading (before it) and
       the fold=0 reading (after it); bisect down to the microsecond for the first instant whose
       clock reads at least `wall`, which is the transition.
    """
    naive = datetime.combine(day, wall).replace(fold=0)
    after = naive.replace(tzinfo=tz).astimezone(UTC)
    if after.astimezone(tz).replace(tzinfo=None) == naive:
        return after
    before = naive.replace(tzinfo=tz, fold=1).astimezone(UTC)
    while after - before > _MICROSECOND:
        middle = before + (after - before) // 2
        if middle.astimezone(tz).replace(tzinfo=None) >= naive:
            after = middle
        else:
            before = middle
    return after


def _day_intervals(calendar: Calendar, day: date) -> list[Interval]:
    """The open intervals of local `day` as UTC instants, in time order, empty ones left out."""
    if day in calendar.holidays:
        return []
    intervals: list[Interval] = []
    for start, end in calendar.hours.get(day.weekday(), ()):
        opens = _wall_to_instant(calendar.tz, day, start)
        if end is None:
            closes = _wall_to_instant(calendar.tz, day + _DAY, _MIDNIGHT)
        else:
            closes = _wall_to_instant(calendar.tz, day, end)
        # A window inside a spring-forward gap maps to an empty interval: not open that day.
        if opens < closes:
            intervals.append((opens, closes))
    return intervals


def _since_midnight(wall: time | None) -> timedelta:
    if wall is None:
        return _DAY
    return timedelta(
        hours=wall.hour, minutes=wall.minute, seconds=wall.second, microseconds=wall.microsecond
    )


def _weekday_hours(calendar: Calendar, weekday: int) -> timedelta:
    windows = calendar.hours.get(weekday, ())
    return sum((_since_midnight(end) - _since_midnight(start) for start, end in windows), _ZERO)


def _weekly_hours(calendar: Calendar) -> timedelta:
    """Business time of a week without holidays or DST changes."""
    return sum((_weekday_hours(calendar, weekday) for weekday in range(7)), _ZERO)


def _plain_week(calendar: Calendar, first_day: date) -> tuple[datetime, datetime, timedelta] | None:
    """The span and business time of the seven local days from `first_day`, from the weekly hours.

    When the UTC offset is the same at all eight local midnights bounding those days, every
    window lasts exactly its wall-clock length, so the business time is the weekly hours minus
    the hours of the holidays among those days. Otherwise (a DST change inside) return None: that
    week has to be walked a day at a time. Equal offsets at the midnights do mean no change in
    between, because no zone in tzdata changes its offset and back within one day.
    """
    days = [first_day + timedelta(days=offset) for offset in range(8)]
    midnights = [_wall_to_instant(calendar.tz, day, _MIDNIGHT) for day in days]
    offsets = {
        datetime.combine(day, _MIDNIGHT) - midnight.replace(tzinfo=None)
        for day, midnight in zip(days, midnights, strict=True)
    }
    if len(offsets) != 1:
        return None
    business = sum(
        (
            _weekday_hours(calendar, day.weekday())
            for day in days[:7]
            if day not in calendar.holidays
        ),
        _ZERO,
    )
    return midnights[0], midnights[7], business
