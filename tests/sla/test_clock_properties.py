"""Property tests: the clock on random calendars, against a minute-by-minute oracle.

Calendars get random windows on a minute grid (wall times at the hours where clocks change drawn
more often), random holidays near the start, and a zone among UTC, Europe/Amsterdam,
America/New_York, America/Santiago and America/Goose_Bay; starts are random minutes within a few
days of one of that zone's DST changes (2026-2027; 2010 for Goose Bay).

The oracle knows nothing of intervals or bisection. It walks real time a minute at a time and
keeps the highest wall-clock reading seen so far; a minute is open when that reading falls on a
working date inside one of its windows. That is the clock's rule stated another way: a wall time
maps to the first instant the clock reads at least that time, so a skipped time opens at the
transition and the repeated hour after fall-back takes the reading just before it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from itertools import islice
from zoneinfo import ZoneInfo

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from sla.clock import (
    Calendar,
    add_business_time,
    business_time_between,
    next_open,
)

MINUTE = timedelta(minutes=1)
# Each zone with the days its clocks change. Santiago skips midnight in spring; Goose Bay (in
# 2010) changed at 00:01, so its repeated hour ran from Sunday back into Saturday.
DST_CHANGES = {
    "UTC": (date(2026, 3, 29), date(2027, 11, 7)),
    "Europe/Amsterdam": (
        date(2026, 3, 29),
        date(2026, 10, 25),
        date(2027, 3, 28),
        date(2027, 10, 31),
    ),
    "America/New_York": (date(2026, 3, 8), date(2026, 11, 1), date(2027, 3, 14), date(2027, 11, 7)),
    "America/Santiago": (date(2026, 4, 5), date(2026, 9, 6), date(2027, 4, 4), date(2027, 9, 5)),
    "America/Goose_Bay": (date(2010, 3, 14), date(2010, 11, 7)),
}
# Minutes after midnight at and around the transitions, drawn more often than other times.
EDGE_MINUTES = (0, 1, 60, 61, 90, 120, 150, 180, 210, 1380, 1381, 1439, 1440)
# The clocks go back one hour at most in these zones, so three hours of history are enough to
# know the highest wall-clock reading so far.
WARM_UP = timedelta(hours=3)

fast = settings(deadline=None, max_examples=200)


@dataclass(frozen=True)
class Scenario:
    calendar: Calendar
    start: datetime


def wall(minutes: int) -> time:
    return time(minutes // 60, minutes % 60)


@st.composite
def calendars(draw: st.DrawFn, *, zone: str, around: date) -> Calendar:
    minute_of_day = st.one_of(st.integers(0, 1440), st.sampled_from(EDGE_MINUTES))
    hours = {}
    for weekday in range(7):
        points = sorted(draw(st.lists(minute_of_day, max_size=6, unique=True)))
        points = points[: len(points) // 2 * 2]
        windows = tuple(
            (wall(opens), None if closes == 1440 else wall(closes))
            for opens, closes in zip(points[::2], points[1::2], strict=True)
        )
        if windows:
            hours[weekday] = windows
    assume(hours)
    offsets = draw(st.lists(st.integers(-10, 30), max_size=5))
    holidays = frozenset(around + timedelta(days=offset) for offset in offsets)
    return Calendar(tz=ZoneInfo(zone), hours=hours, holidays=holidays)


@st.composite
def scenarios(draw: st.DrawFn) -> Scenario:
    zone = draw(st.sampled_from(sorted(DST_CHANGES)))
    around = draw(st.sampled_from(DST_CHANGES[zone]))
    calendar = draw(calendars(zone=zone, around=around))
    minutes = draw(st.integers(-3 * 1440, 4 * 1440))
    start = datetime.combine(around, time(0), tzinfo=UTC) + minutes * MINUTE
    return Scenario(calendar=calendar, start=start)


def weekly_minutes(calendar: Calendar) -> int:
    return sum(
        (1440 if closes is None else closes.hour * 60 + closes.minute)
        - (opens.hour * 60 + opens.minute)
        for windows in calendar.hours.values()
        for opens, closes in windows
    )


def minutes(length: timedelta) -> int:
    assert length % MINUTE == timedelta(0)
    return length // MINUTE


class MinuteOracle:
    """Business hours found by looking at the clock every minute (see the module docstring)."""

    def __init__(self, calendar: Calendar) -> None:
        self.calendar = calendar
        self.open_minutes = {
            weekday: frozenset(
                minute
                for opens, closes in windows
                for minute in range(
                    opens.hour * 60 + opens.minute,
                    1440 if closes is None else closes.hour * 60 + closes.minute,
                )
            )
            for weekday, windows in calendar.hours.items()
        }

    def walk(self, start: datetime) -> Iterator[tuple[datetime, bool]]:
        """Each minute from `start` on, and whether it is open."""
        tz, holidays = self.calendar.tz, self.calendar.holidays
        highest = datetime.min
        minute = start - WARM_UP
        while True:
            highest = max(highest, minute.astimezone(tz).replace(tzinfo=None))
            if minute >= start:
                yield (
                    minute,
                    (
                        highest.date() not in holidays
                        and highest.hour * 60 + highest.minute
                        in self.open_minutes.get(highest.weekday(), ())
                    ),
                )
            minute += MINUTE

    def add(self, start: datetime, business_minutes: int) -> datetime:
        if not business_minutes:
            return start
        counted = 0
        for minute, open_ in self.walk(start):
            counted += open_
            if counted == business_minutes:
                return minute + MINUTE
        raise AssertionError("unreachable")

    def first_open(self, start: datetime) -> datetime:
        return next(minute for minute, open_ in self.walk(start) if open_)


# (a) Counting back what was added gives the duration.


@fast
@given(
    scenario=scenarios(),
    weeks=st.integers(0, 6),
    extra=st.integers(0, 72 * 3600 * 10**6).map(lambda us: timedelta(microseconds=us)),
    jitter=st.integers(0, 60 * 10**6 - 1).map(lambda us: timedelta(microseconds=us)),
)
def test_business_time_between_start_and_start_plus_duration_is_the_duration(
    scenario: Scenario, weeks: int, extra: timedelta, jitter: timedelta
) -> None:
    # Some weeks' worth of hours on top, so that whole weeks get skipped in one step.
    duration = weeks * weekly_minutes(scenario.calendar) * MINUTE + extra
    start = scenario.start + jitter
    deadline = add_business_time(scenario.calendar, start, duration)
    assert deadline >= start
    assert business_time_between(scenario.calendar, start, deadline) == duration
    if duration:
        # And no earlier instant will do: the deadline is the first one with that much counted.
        tick = timedelta(microseconds=1)
        assert business_time_between(scenario.calendar, start, deadline - tick) == duration - tick


# (b) Adding time matches walking the minutes.


@fast
@given(scenario=scenarios(), business_minutes=st.integers(0, 240))
def test_adding_time_matches_the_minute_by_minute_oracle(
    scenario: Scenario, business_minutes: int
) -> None:
    # At most a week's hours, so the oracle walks a few weeks at worst.
    business_minutes = min(business_minutes, weekly_minutes(scenario.calendar))
    expected = MinuteOracle(scenario.calendar).add(scenario.start, business_minutes)
    deadline = add_business_time(scenario.calendar, scenario.start, business_minutes * MINUTE)
    assert deadline == expected
    assert deadline.tzinfo is UTC


@fast
@given(scenario=scenarios())
def test_time_that_runs_out_at_a_closing_ends_at_that_closing(scenario: Scenario) -> None:
    counted, was_open = 0, False
    # A calendar open around the clock never closes; sixty days is plenty for the others.
    for minute, open_ in islice(MinuteOracle(scenario.calendar).walk(scenario.start), 60 * 1440):
        if was_open and not open_:
            closing = minute
            break
        counted += open_
        was_open = open_
    else:
        return
    assert add_business_time(scenario.calendar, scenario.start, counted * MINUTE) == closing


# (c) Business time is additive.


@fast
@given(
    scenario=scenarios(),
    first=st.integers(0, 20 * 1440 * 60 * 10**6),
    second=st.integers(0, 20 * 1440 * 60 * 10**6),
)
def test_business_time_between_is_additive(scenario: Scenario, first: int, second: int) -> None:
    calendar, a = scenario.calendar, scenario.start
    b = a + timedelta(microseconds=first)
    c = b + timedelta(microseconds=second)
    whole = business_time_between(calendar, a, c)
    assert business_time_between(calendar, a, b) + business_time_between(calendar, b, c) == whole
    assert business_time_between(calendar, c, a) == timedelta(0)


# Whole weeks are counted in one step; they must agree with counting day by day, which never
# takes that step and which the oracle checks in (d).


@fast
@given(scenario=scenarios(), days=st.integers(7, 45), hours=st.integers(0, 23))
def test_business_time_between_over_weeks_equals_the_sum_of_its_days(
    scenario: Scenario, days: int, hours: int
) -> None:
    calendar, start = scenario.calendar, scenario.start
    end = start + timedelta(days=days, hours=hours)
    pieces = [start + timedelta(days=day) for day in range(days + 1)] + [end]
    by_day = sum(
        (business_time_between(calendar, a, b) for a, b in zip(pieces, pieces[1:], strict=False)),
        timedelta(0),
    )
    assert business_time_between(calendar, start, end) == by_day


# (d) Business time between two instants is the number of open minutes between them.


@fast
@given(scenario=scenarios(), length=st.integers(0, 3 * 1440))
def test_business_time_between_matches_the_oracle(scenario: Scenario, length: int) -> None:
    calendar, start = scenario.calendar, scenario.start
    end = start + length * MINUTE
    open_minutes = 0
    for minute, open_ in MinuteOracle(calendar).walk(start):
        if minute >= end:
            break
        open_minutes += open_
    assert minutes(business_time_between(calendar, start, end)) == open_minutes


# next_open agrees with the oracle too.


@fast
@given(scenario=scenarios())
def test_next_open_matches_the_oracle(scenario: Scenario) -> None:
    oracle = MinuteOracle(scenario.calendar)
    assert next_open(scenario.calendar, scenario.start) == oracle.first_open(scenario.start)
