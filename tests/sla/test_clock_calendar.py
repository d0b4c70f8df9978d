"""The Calendar value and the instant question: next_open."""

from __future__ import annotations

from datetime import UTC, date, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from sla.clock import (
    Calendar,
    business_time_between,
    next_open,
)
from tests.sla.clock_helpers import (
    AMSTERDAM,
    HOUR,
    KINGS_DAY,
    ams,
    closed,
    office,
    split_day,
)

# Calendar


def test_weekdays_calendar_is_open_monday_to_friday_only() -> None:
    calendar = office()
    assert sorted(calendar.hours) == [0, 1, 2, 3, 4]
    assert calendar.hours[0] == ((time(9), time(17)),)


def test_always_open_calendar_takes_a_zone_name() -> None:
    calendar = Calendar.always_open("Europe/Amsterdam")
    assert calendar.tz == AMSTERDAM
    assert all(calendar.hours[weekday] == ((time(0), None),) for weekday in range(7))


def test_always_open_calendar_defaults_to_utc() -> None:
    assert Calendar.always_open().tz == ZoneInfo("UTC")


def test_calendar_accepts_holidays_as_any_iterable_of_dates() -> None:
    hours = {0: ((time(9), time(17)),)}
    calendar = Calendar(tz=AMSTERDAM, hours=hours, holidays=[KINGS_DAY])  # type: ignore[arg-type]
    assert calendar.holidays == frozenset({KINGS_DAY})


def test_calendars_with_the_same_hours_are_equal_and_hash_equal() -> None:
    listed_closed_day = Calendar(tz=AMSTERDAM, hours={0: ((time(9), time(17)),), 6: ()})
    without_it = Calendar(tz=AMSTERDAM, hours={0: ((time(9), time(17)),)})
    assert listed_closed_day == without_it
    assert hash(listed_closed_day) == hash(without_it)


def test_calendar_hours_cannot_be_changed_after_construction() -> None:
    hours = {0: ((time(9), time(17)),)}
    calendar = Calendar(tz=AMSTERDAM, hours=hours)
    hours[1] = ((time(9), time(17)),)
    assert 1 not in calendar.hours
    with pytest.raises(TypeError):
        calendar.hours[2] = ()  # type: ignore[index]


def test_calendar_refuses_overlapping_windows() -> None:
    with pytest.raises(ValueError, match="must not overlap"):
        Calendar(tz=AMSTERDAM, hours={0: ((time(9), time(13)), (time(12), time(17)))})


def test_calendar_refuses_unsorted_windows() -> None:
    with pytest.raises(ValueError, match="sorted"):
        Calendar(tz=AMSTERDAM, hours={0: ((time(13), time(17)), (time(9), time(12)))})


def test_calendar_refuses_a_window_after_one_running_to_midnight() -> None:
    with pytest.raises(ValueError, match="must not overlap"):
        Calendar(tz=AMSTERDAM, hours={0: ((time(20), None), (time(22), time(23)))})


def test_calendar_accepts_windows_that_touch() -> None:
    calendar = Calendar(tz=AMSTERDAM, hours={0: ((time(9), time(12)), (time(12), time(17)))})
    assert business_time_between(calendar, ams(2026, 3, 30), ams(2026, 3, 31)) == 8 * HOUR


def test_calendar_refuses_a_window_that_ends_before_it_starts() -> None:
    with pytest.raises(ValueError, match="ends before it starts"):
        Calendar(tz=AMSTERDAM, hours={0: ((time(17), time(9)),)})


@pytest.mark.parametrize("midnight", [time(0), time.max])
def test_calendar_refuses_midnight_written_as_a_time(midnight: time) -> None:
    with pytest.raises(ValueError, match="end=None for midnight"):
        Calendar(tz=AMSTERDAM, hours={0: ((time(22), midnight),)})


@pytest.mark.parametrize("weekday", [-1, 7])
def test_calendar_refuses_a_weekday_out_of_range(weekday: int) -> None:
    with pytest.raises(ValueError, match="weekday must be 0"):
        Calendar(tz=AMSTERDAM, hours={weekday: ((time(9), time(17)),)})


def test_calendar_refuses_window_times_with_a_time_zone() -> None:
    with pytest.raises(ValueError, match="without tzinfo"):
        Calendar(tz=AMSTERDAM, hours={0: ((time(9, tzinfo=UTC), time(17)),)})


def test_calendar_refuses_a_time_zone_that_is_not_a_zoneinfo() -> None:
    with pytest.raises(TypeError, match="ZoneInfo"):
        Calendar(tz=UTC, hours={})  # type: ignore[arg-type]


# next_open


def test_next_open_is_the_instant_itself_when_open_given_in_utc() -> None:
    opened = next_open(office(), ams(2026, 3, 30, 12, 34, 56, 789))
    assert opened == ams(2026, 3, 30, 12, 34, 56, 789)
    assert opened.tzinfo is UTC


def test_next_open_friday_evening_is_monday_morning() -> None:
    assert next_open(office(), ams(2026, 3, 27, 17)) == ams(2026, 3, 30, 9)


def test_next_open_skips_a_holiday() -> None:
    assert next_open(office(holidays=(KINGS_DAY,)), ams(2026, 4, 24, 18)) == ams(2026, 4, 28, 9)


def test_next_open_during_lunch_is_the_afternoon_opening() -> None:
    assert next_open(split_day(), ams(2026, 3, 30, 12, 15)) == ams(2026, 3, 30, 13)


def test_next_open_refuses_a_calendar_without_hours() -> None:
    with pytest.raises(ValueError, match="calendar has no business hours"):
        next_open(closed(), ams(2026, 3, 30))


def test_next_open_gives_up_after_ten_years_of_holidays() -> None:
    mondays = {date(2026, 3, 30) + timedelta(weeks=week) for week in range(53 * 11)}
    calendar = Calendar(tz=AMSTERDAM, hours={0: ((time(9), time(17)),)}, holidays=mondays)
    with pytest.raises(ValueError, match="no business hours in the ten years"):
        next_open(calendar, ams(2026, 3, 28))
