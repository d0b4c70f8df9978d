"""add_business_time: counting business time forward from a start."""

from __future__ import annotations

import time as stopwatch
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from sla.clock import (
    Calendar,
    add_business_time,
    business_time_between,
)
from tests.sla.clock_helpers import (
    HOUR,
    KINGS_DAY,
    ams,
    closed,
    night_shift,
    nyc,
    office,
    split_day,
)

# add_business_time


def test_adding_two_hours_friday_afternoon_lands_monday_morning() -> None:
    assert add_business_time(office(), ams(2026, 3, 20, 16), 2 * HOUR) == ams(2026, 3, 23, 10)


def test_adding_time_that_runs_out_at_closing_returns_the_closing_time() -> None:
    assert add_business_time(office(), ams(2026, 3, 20, 16), HOUR) == ams(2026, 3, 20, 17)


def test_adding_time_at_night_starts_counting_at_the_next_opening() -> None:
    assert add_business_time(office(), ams(2026, 3, 24, 22), HOUR) == ams(2026, 3, 25, 10)


def test_adding_time_before_opening_starts_counting_at_opening() -> None:
    assert add_business_time(office(), ams(2026, 3, 24, 6), HOUR) == ams(2026, 3, 24, 10)


def test_adding_time_at_the_weekend_starts_counting_on_monday() -> None:
    result = add_business_time(office(), ams(2026, 3, 21, 11), timedelta(minutes=30))
    assert result == ams(2026, 3, 23, 9, 30)


def test_adding_time_skips_a_holiday() -> None:
    calendar = office(holidays=(KINGS_DAY,))
    assert add_business_time(calendar, ams(2026, 4, 24, 16), 2 * HOUR) == ams(2026, 4, 28, 10)


def test_adding_time_skips_the_lunch_break() -> None:
    assert add_business_time(split_day(), ams(2026, 3, 30, 11), 2 * HOUR) == ams(2026, 3, 30, 14)


def test_adding_time_through_a_night_shift_crosses_midnight() -> None:
    result = add_business_time(night_shift(), ams(2026, 3, 30, 23), 3 * HOUR)
    assert result == ams(2026, 3, 31, 2)


def test_adding_more_than_a_night_shift_waits_for_next_week() -> None:
    result = add_business_time(night_shift(), ams(2026, 3, 30, 23), 8 * HOUR)
    assert result == ams(2026, 4, 6, 23)


def test_adding_time_keeps_microseconds() -> None:
    duration = timedelta(hours=1, microseconds=7)
    assert add_business_time(office(), ams(2026, 3, 30, 16, 30), duration) == (
        ams(2026, 3, 31, 9, 30, 0, 7)
    )


def test_adding_time_returns_utc() -> None:
    result = add_business_time(office(), ams(2026, 3, 30, 10), HOUR)
    assert result.tzinfo is UTC
    assert result == datetime(2026, 3, 30, 9, tzinfo=UTC)


def test_adding_time_accepts_a_start_in_another_zone() -> None:
    start = nyc(2026, 3, 30, 4)  # 10:00 in Amsterdam
    assert add_business_time(office(), start, HOUR) == ams(2026, 3, 30, 11)


def test_adding_zero_returns_start_even_outside_business_hours() -> None:
    start = ams(2026, 3, 28, 3, 14)
    result = add_business_time(office(), start, timedelta(0))
    assert result == start
    assert result.tzinfo is UTC


def test_adding_a_negative_duration_is_refused() -> None:
    with pytest.raises(ValueError, match="must not be negative"):
        add_business_time(office(), ams(2026, 3, 30, 10), -HOUR)


def test_adding_time_refuses_a_naive_start() -> None:
    with pytest.raises(ValueError, match="start must be a timezone-aware datetime"):
        add_business_time(office(), datetime(2026, 3, 30, 10), HOUR)


def test_adding_time_refuses_a_calendar_without_hours() -> None:
    with pytest.raises(ValueError, match="calendar has no business hours"):
        add_business_time(closed(), ams(2026, 3, 30, 10), HOUR)


@pytest.mark.parametrize("duration", [HOUR, 100 * HOUR], ids=["day by day", "week by week"])
def test_adding_time_gives_up_when_holidays_close_the_calendar_for_ten_years(
    duration: timedelta,
) -> None:
    # In UTC no DST week ever forces a day-by-day step.
    mondays = {date(2026, 3, 30) + timedelta(weeks=week) for week in range(53 * 11)}
    calendar = Calendar(tz=ZoneInfo("UTC"), hours={0: ((time(9), time(17)),)}, holidays=mondays)
    with pytest.raises(ValueError, match="no business hours in the ten years"):
        add_business_time(calendar, datetime(2026, 3, 28, tzinfo=UTC), duration)


def test_adding_years_of_business_time_agrees_with_counting_day_by_day() -> None:
    holidays = (KINGS_DAY, date(2026, 12, 25), date(2027, 4, 27), date(2028, 1, 1))
    calendar = office(holidays=holidays)
    start = ams(2026, 2, 3, 11, 15)
    result = add_business_time(calendar, start, 8 * 600 * HOUR)
    day_by_day = timedelta(0)
    day = start
    while day < result:
        # Stepping a day at a time never lets the week shortcut apply.
        day_by_day += business_time_between(calendar, day, min(day + timedelta(days=1), result))
        day += timedelta(days=1)
    assert day_by_day == 8 * 600 * HOUR
    # Each 8 hours from Tuesday 11:15 is the next working day at 11:15: count 600 of them.
    working_day, counted = start.date(), 0
    while counted < 600:
        working_day += timedelta(days=1)
        counted += working_day.weekday() < 5 and working_day not in holidays
    assert result == ams(working_day.year, working_day.month, working_day.day, 11, 15)


def test_adding_ten_years_of_business_time_is_quick() -> None:
    started = stopwatch.perf_counter()
    result = add_business_time(office(), ams(2026, 1, 1), 8 * 2600 * HOUR)
    assert stopwatch.perf_counter() - started < 2  # minute by minute would take minutes
    assert business_time_between(office(), ams(2026, 1, 1), result) == 8 * 2600 * HOUR
