"""Examples of business-hours arithmetic: weekends, holidays, nights, split days, DST, pauses.

Dates used: 2026-03-27 is a Friday. Amsterdam springs forward on Sunday 2026-03-29 (02:00 CET
becomes 03:00 CEST) and falls back on Sunday 2026-10-25 (03:00 CEST becomes 02:00 CET); New York
springs forward on 2026-03-08 and falls back on 2026-11-01. King's Day, Monday 2026-04-27, is
the holiday.
"""

from __future__ import annotations

import time as stopwatch
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from sla.clock import (
    Calendar,
    add_business_time,
    business_time_between,
    business_time_excluding,
    is_open,
    next_open,
)

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
NEW_YORK = ZoneInfo("America/New_York")
KINGS_DAY = date(2026, 4, 27)
HOUR = timedelta(hours=1)


def ams(year: int, month: int, day: int, hour: int = 0, minute: int = 0, *rest: int) -> datetime:
    return datetime(year, month, day, hour, minute, *rest, tzinfo=AMSTERDAM)


def nyc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=NEW_YORK)


def office(tz: ZoneInfo = AMSTERDAM, holidays: tuple[date, ...] = ()) -> Calendar:
    return Calendar.weekdays(tz=tz, start=time(9), end=time(17), holidays=holidays)


def every_day(tz: ZoneInfo, start: time, end: time | None) -> Calendar:
    return Calendar(tz=tz, hours={weekday: ((start, end),) for weekday in range(7)})


def split_day() -> Calendar:
    windows = ((time(9), time(12)), (time(13), time(17)))
    return Calendar(tz=AMSTERDAM, hours={weekday: windows for weekday in range(5)})


def night_shift() -> Calendar:
    """Monday 22:00 to Tuesday 06:00, written as two windows."""
    return Calendar(tz=AMSTERDAM, hours={0: ((time(22), None),), 1: ((time(0), time(6)),)})


def closed() -> Calendar:
    return Calendar(tz=AMSTERDAM, hours={})


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


# is_open


def test_is_open_at_opening_time_but_not_at_closing_time() -> None:
    assert is_open(office(), ams(2026, 3, 30, 9))
    assert is_open(office(), ams(2026, 3, 30, 16, 59, 59, 999999))
    assert not is_open(office(), ams(2026, 3, 30, 17))
    assert not is_open(office(), ams(2026, 3, 30, 8, 59))


def test_is_open_is_false_at_the_weekend() -> None:
    assert not is_open(office(), ams(2026, 3, 28, 12))


def test_is_open_is_false_on_a_holiday() -> None:
    assert is_open(office(), ams(2026, 4, 27, 12))
    assert not is_open(office(holidays=(KINGS_DAY,)), ams(2026, 4, 27, 12))


def test_is_open_is_false_during_the_lunch_break() -> None:
    assert is_open(split_day(), ams(2026, 3, 30, 11, 59))
    assert not is_open(split_day(), ams(2026, 3, 30, 12, 30))
    assert is_open(split_day(), ams(2026, 3, 30, 13))


def test_is_open_judges_an_instant_by_the_calendar_time_zone() -> None:
    # 08:30 UTC is 10:30 in Amsterdam (CEST) but 04:30 in New York.
    instant = datetime(2026, 6, 1, 8, 30, tzinfo=UTC)
    assert is_open(office(AMSTERDAM), instant)
    assert not is_open(office(NEW_YORK), instant)


def test_is_open_through_a_night_shift_across_midnight() -> None:
    assert is_open(night_shift(), ams(2026, 3, 30, 23, 59))
    assert is_open(night_shift(), ams(2026, 3, 31, 0, 0))
    assert not is_open(night_shift(), ams(2026, 3, 31, 6, 0))


def test_is_open_is_false_for_a_calendar_without_hours() -> None:
    assert not is_open(closed(), ams(2026, 3, 30, 12))


def test_is_open_refuses_a_naive_datetime() -> None:
    with pytest.raises(ValueError, match="instant must be a timezone-aware datetime"):
        is_open(office(), datetime(2026, 3, 30, 12))


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


# DST: 24x7 counts real elapsed time


def test_always_open_counts_23_hours_on_amsterdam_spring_forward_day() -> None:
    calendar = Calendar.always_open(AMSTERDAM)
    assert business_time_between(calendar, ams(2026, 3, 29), ams(2026, 3, 30)) == 23 * HOUR


def test_always_open_counts_25_hours_on_amsterdam_fall_back_day() -> None:
    calendar = Calendar.always_open(AMSTERDAM)
    assert business_time_between(calendar, ams(2026, 10, 25), ams(2026, 10, 26)) == 25 * HOUR


def test_adding_a_day_to_always_open_across_spring_forward_is_24_real_hours() -> None:
    result = add_business_time(Calendar.always_open(AMSTERDAM), ams(2026, 3, 29), 24 * HOUR)
    assert result == ams(2026, 3, 30, 1)
    assert result - ams(2026, 3, 29) == 24 * HOUR


def test_adding_a_day_to_always_open_across_fall_back_is_24_real_hours() -> None:
    result = add_business_time(Calendar.always_open(AMSTERDAM), ams(2026, 10, 25), 24 * HOUR)
    assert result == ams(2026, 10, 25, 23)
    assert result - ams(2026, 10, 25) == 24 * HOUR


def test_always_open_through_the_repeated_hour_counts_it_twice() -> None:
    calendar = Calendar.always_open(AMSTERDAM)
    first_two_oclock = ams(2026, 10, 25, 2)  # fold=0: the first time, still CEST
    result = add_business_time(calendar, first_two_oclock, HOUR)
    # Compared in UTC: Python never finds an ambiguous local time equal to another zone's time.
    assert result == datetime(2026, 10, 25, 1, tzinfo=UTC)
    local_result = result.astimezone(AMSTERDAM)
    assert (local_result.hour, local_result.fold) == (2, 1)


def test_always_open_over_a_year_of_dst_changes_is_real_elapsed_time() -> None:
    calendar = Calendar.always_open(NEW_YORK)
    start, end = nyc(2026, 1, 1), nyc(2027, 1, 1)
    assert business_time_between(calendar, start, end) == timedelta(days=365)


def test_always_open_for_weeks_across_one_dst_change_is_real_elapsed_time() -> None:
    # Whole weeks are counted in one step, except a week in which the offset changes.
    calendar = Calendar.always_open(AMSTERDAM)
    start, end = ams(2026, 3, 16, 12), ams(2026, 4, 14, 12)
    # Not end - start: Python subtracts datetimes sharing a tzinfo on the wall clock.
    elapsed = timedelta(days=29) - HOUR
    assert business_time_between(calendar, start, end) == elapsed
    assert add_business_time(calendar, start, elapsed) == end


def test_office_hours_for_weeks_across_fall_back_skip_whole_weeks_correctly() -> None:
    calendar = every_day(AMSTERDAM, time(1), time(4))  # spans the repeated hour on 2026-10-25
    start, end = ams(2026, 10, 1), ams(2026, 11, 12)
    assert business_time_between(calendar, start, end) == 42 * 3 * HOUR + HOUR
    assert add_business_time(calendar, start, 42 * 3 * HOUR + HOUR) == ams(2026, 11, 11, 4)


# DST: office hours stay office hours


def test_office_hours_on_amsterdam_spring_forward_day_are_eight_hours() -> None:
    calendar = every_day(AMSTERDAM, time(9), time(17))
    assert business_time_between(calendar, ams(2026, 3, 29), ams(2026, 3, 30)) == 8 * HOUR


def test_office_hours_on_amsterdam_fall_back_day_are_eight_hours() -> None:
    calendar = every_day(AMSTERDAM, time(9), time(17))
    assert business_time_between(calendar, ams(2026, 10, 25), ams(2026, 10, 26)) == 8 * HOUR


@pytest.mark.parametrize("day", [date(2026, 3, 8), date(2026, 11, 1)])
def test_office_hours_on_new_york_dst_days_are_eight_hours(day: date) -> None:
    calendar = every_day(NEW_YORK, time(9), time(17))
    start = nyc(day.year, day.month, day.day)
    assert business_time_between(calendar, start, start + timedelta(days=1)) == 8 * HOUR
    assert next_open(calendar, start) == nyc(day.year, day.month, day.day, 9)


def test_adding_time_over_the_spring_forward_weekend_keeps_local_opening_hours() -> None:
    result = add_business_time(office(), ams(2026, 3, 27, 16), 2 * HOUR)
    assert result == ams(2026, 3, 30, 10)
    # Opening hours follow the wall clock: 09:00 is 08:00 UTC in winter, 07:00 in summer.
    assert result == datetime(2026, 3, 30, 8, tzinfo=UTC)


def test_adding_time_over_the_new_york_fall_back_weekend_keeps_local_opening_hours() -> None:
    result = add_business_time(office(NEW_YORK), nyc(2026, 10, 30, 16), 2 * HOUR)
    assert result == nyc(2026, 11, 2, 10)
    assert result == datetime(2026, 11, 2, 15, tzinfo=UTC)


def test_a_window_starting_in_the_spring_forward_gap_opens_at_the_transition() -> None:
    calendar = Calendar(tz=AMSTERDAM, hours={6: ((time(2, 30), time(4)),)})
    assert next_open(calendar, ams(2026, 3, 29, 1)) == datetime(2026, 3, 29, 1, tzinfo=UTC)
    assert business_time_between(calendar, ams(2026, 3, 29), ams(2026, 3, 30)) == HOUR


def test_a_window_ending_in_the_spring_forward_gap_closes_at_the_transition() -> None:
    calendar = Calendar(tz=AMSTERDAM, hours={6: ((time(1), time(2, 30)),)})
    assert business_time_between(calendar, ams(2026, 3, 29), ams(2026, 3, 30)) == HOUR
    assert not is_open(calendar, datetime(2026, 3, 29, 1, tzinfo=UTC))  # 03:00 CEST


def test_a_window_inside_the_spring_forward_gap_is_closed_that_day() -> None:
    calendar = Calendar(tz=AMSTERDAM, hours={6: ((time(2), time(2, 30)),)})
    assert business_time_between(calendar, ams(2026, 3, 29), ams(2026, 3, 30)) == timedelta(0)
    assert next_open(calendar, ams(2026, 3, 29)) == ams(2026, 4, 5, 2)


def test_an_ambiguous_opening_time_uses_its_first_occurrence() -> None:
    calendar = Calendar(tz=AMSTERDAM, hours={6: ((time(2, 30), None),)})
    assert next_open(calendar, ams(2026, 10, 25)) == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)
    # 02:30 CEST to midnight CET: 30 minutes, the repeated hour, then 21 hours.
    day = business_time_between(calendar, ams(2026, 10, 25), ams(2026, 10, 26))
    assert day == timedelta(hours=22, minutes=30)


def test_the_repeated_hour_belongs_to_the_window_open_before_the_clocks_went_back() -> None:
    early = Calendar(tz=AMSTERDAM, hours={6: ((time(0), time(3)),)})
    late = Calendar(tz=AMSTERDAM, hours={6: ((time(3), time(4)),)})
    sunday, monday = ams(2026, 10, 25), ams(2026, 10, 26)
    assert business_time_between(early, sunday, monday) == 4 * HOUR
    assert business_time_between(late, sunday, monday) == HOUR


def test_a_night_shift_in_new_york_counts_the_extra_fall_back_hour() -> None:
    calendar = Calendar(tz=NEW_YORK, hours={5: ((time(22), None),), 6: ((time(0), time(6)),)})
    shift = business_time_between(calendar, nyc(2026, 10, 31, 12), nyc(2026, 11, 1, 12))
    assert shift == 9 * HOUR
    assert add_business_time(calendar, nyc(2026, 10, 31, 22), 9 * HOUR) == nyc(2026, 11, 1, 6)


def test_a_night_shift_in_new_york_loses_the_spring_forward_hour() -> None:
    calendar = Calendar(tz=NEW_YORK, hours={5: ((time(22), None),), 6: ((time(0), time(6)),)})
    shift = business_time_between(calendar, nyc(2026, 3, 7, 12), nyc(2026, 3, 8, 12))
    assert shift == 7 * HOUR


# Clocks that change around midnight


SANTIAGO = ZoneInfo("America/Santiago")
GOOSE_BAY = ZoneInfo("America/Goose_Bay")


def test_a_window_from_a_midnight_that_does_not_exist_opens_at_the_transition() -> None:
    # Santiago jumps from Saturday 2026-09-05 23:59:59 straight to Sunday 01:00.
    calendar = Calendar(tz=SANTIAGO, hours={5: ((time(22), None),), 6: ((time(0), time(2)),)})
    transition = datetime(2026, 9, 6, 4, tzinfo=UTC)
    assert next_open(calendar, transition) == transition
    saturday = datetime(2026, 9, 5, 12, tzinfo=SANTIAGO)
    assert business_time_between(calendar, saturday, saturday + timedelta(days=1)) == 3 * HOUR
    assert add_business_time(calendar, saturday, 2 * HOUR) == transition


def test_an_hour_repeated_across_midnight_belongs_to_the_window_open_before_it() -> None:
    # Goose Bay went from Sunday 2010-11-07 00:00:59 (ADT) back to Saturday 23:01 (AST), so
    # Sunday's first window held an instant whose local date is Saturday.
    calendar = Calendar(tz=GOOSE_BAY, hours={6: ((time(0), time(6)),)})
    saturday_again = datetime(2010, 11, 7, 3, 30, tzinfo=UTC)
    assert saturday_again.astimezone(GOOSE_BAY).date() == date(2010, 11, 6)
    assert is_open(calendar, saturday_again)
    assert next_open(calendar, saturday_again) == saturday_again
    saturday_noon = datetime(2010, 11, 6, 12, tzinfo=GOOSE_BAY)
    assert business_time_between(calendar, saturday_noon, saturday_again) == timedelta(minutes=30)
    assert add_business_time(calendar, saturday_noon, 7 * HOUR) == datetime(
        2010, 11, 7, 10, tzinfo=UTC
    )


# business_time_between


def test_business_time_between_is_zero_when_end_is_not_after_start() -> None:
    assert business_time_between(office(), ams(2026, 3, 30, 12), ams(2026, 3, 30, 11)) == (
        timedelta(0)
    )
    assert business_time_between(office(), ams(2026, 3, 30, 12), ams(2026, 3, 30, 12)) == (
        timedelta(0)
    )


def test_business_time_between_counts_nothing_over_the_weekend() -> None:
    between = business_time_between(office(), ams(2026, 3, 27, 15), ams(2026, 3, 30, 10))
    assert between == 3 * HOUR


def test_business_time_between_is_half_open() -> None:
    assert business_time_between(office(), ams(2026, 3, 30, 17), ams(2026, 3, 30, 18)) == (
        timedelta(0)
    )
    assert business_time_between(office(), ams(2026, 3, 30, 8), ams(2026, 3, 30, 9)) == (
        timedelta(0)
    )


def test_business_time_between_skips_holidays_and_lunch() -> None:
    calendar = Calendar(tz=AMSTERDAM, hours=split_day().hours, holidays=frozenset({KINGS_DAY}))
    between = business_time_between(calendar, ams(2026, 4, 24, 11), ams(2026, 4, 28, 14))
    assert between == 9 * HOUR  # Friday 11-12 and 13-17, Tuesday 9-12 and 13-14; not Monday


def test_business_time_between_over_a_year_equals_the_sum_of_its_days() -> None:
    lunch_break = ((time(9), time(12)), (time(13), time(17)))
    hours = {weekday: lunch_break for weekday in range(5)}
    hours[0] += ((time(22), None),)
    hours[1] = ((time(0), time(6)), *hours[1])
    calendar = Calendar(tz=NEW_YORK, hours=hours, holidays=frozenset({date(2026, 7, 3)}))
    start, end = nyc(2026, 1, 2, 10, 30), nyc(2027, 1, 5, 3)
    days = timedelta(0)
    day = start
    while day < end:
        days += business_time_between(calendar, day, min(day + timedelta(days=1), end))
        day += timedelta(days=1)
    assert business_time_between(calendar, start, end) == days


def test_business_time_between_accepts_instants_in_different_zones() -> None:
    start = datetime(2026, 3, 30, 8, tzinfo=UTC)  # 10:00 in Amsterdam
    assert business_time_between(office(), start, nyc(2026, 3, 30, 10)) == 6 * HOUR


def test_business_time_between_refuses_a_naive_end() -> None:
    with pytest.raises(ValueError, match="end must be a timezone-aware datetime"):
        business_time_between(office(), ams(2026, 3, 30, 10), datetime(2026, 3, 30, 12))


def test_business_time_between_is_zero_for_a_calendar_without_hours() -> None:
    assert business_time_between(closed(), ams(2026, 3, 1), ams(2026, 4, 1)) == timedelta(0)


# business_time_excluding


def test_no_pauses_leaves_business_time_between() -> None:
    start, end = ams(2026, 3, 27, 10), ams(2026, 3, 31, 12)
    assert business_time_excluding(office(), start, end, []) == business_time_between(
        office(), start, end
    )


def test_a_pause_subtracts_only_the_business_time_inside_it() -> None:
    start, end = ams(2026, 3, 27, 10), ams(2026, 3, 30, 12)  # 7h Friday + 3h Monday
    pauses = [(ams(2026, 3, 27, 16), ams(2026, 3, 30, 10))]  # 1h Friday + 1h Monday
    assert business_time_excluding(office(), start, end, pauses) == 8 * HOUR


def test_a_pause_over_the_weekend_subtracts_nothing() -> None:
    start, end = ams(2026, 3, 27, 10), ams(2026, 3, 30, 12)
    pauses = [(ams(2026, 3, 27, 18), ams(2026, 3, 30, 8))]
    assert business_time_excluding(office(), start, end, pauses) == 10 * HOUR


def test_overlapping_pauses_are_not_subtracted_twice() -> None:
    start, end = ams(2026, 3, 30, 9), ams(2026, 3, 30, 17)
    pauses = [
        (ams(2026, 3, 30, 10), ams(2026, 3, 30, 12)),
        (ams(2026, 3, 30, 11), ams(2026, 3, 30, 13)),
        (ams(2026, 3, 30, 11, 30), ams(2026, 3, 30, 11, 45)),
        (ams(2026, 3, 30, 13), ams(2026, 3, 30, 14)),  # touches the second
    ]
    assert business_time_excluding(office(), start, end, pauses) == 4 * HOUR


def test_an_open_ended_pause_lasts_until_end() -> None:
    start, end = ams(2026, 3, 30, 9), ams(2026, 3, 31, 12)
    pauses = [(ams(2026, 3, 30, 15), None)]
    assert business_time_excluding(office(), start, end, pauses) == 6 * HOUR


def test_an_open_ended_pause_starting_after_end_is_ignored() -> None:
    start, end = ams(2026, 3, 30, 9), ams(2026, 3, 30, 12)
    pauses = [(ams(2026, 3, 30, 15), None)]
    assert business_time_excluding(office(), start, end, pauses) == 3 * HOUR


def test_pauses_sticking_out_of_the_window_are_clipped() -> None:
    start, end = ams(2026, 3, 30, 12), ams(2026, 3, 30, 16)
    pauses = [
        (ams(2026, 3, 30, 8), ams(2026, 3, 30, 13)),
        (ams(2026, 3, 30, 15), ams(2026, 4, 2, 10)),
        (ams(2026, 3, 20, 8), ams(2026, 3, 21, 13)),
    ]
    assert business_time_excluding(office(), start, end, pauses) == 2 * HOUR


def test_a_pause_covering_everything_leaves_nothing() -> None:
    start, end = ams(2026, 3, 30, 9), ams(2026, 3, 30, 17)
    pauses = [(ams(2026, 3, 1), ams(2026, 5, 1))]
    assert business_time_excluding(office(), start, end, pauses) == timedelta(0)


def test_excluding_is_zero_when_end_is_not_after_start() -> None:
    start = ams(2026, 3, 30, 12)
    assert business_time_excluding(office(), start, start - HOUR, []) == timedelta(0)


def test_a_pause_that_ends_before_it_starts_is_refused() -> None:
    with pytest.raises(ValueError, match="before it starts"):
        business_time_excluding(
            office(),
            ams(2026, 3, 30, 9),
            ams(2026, 3, 30, 17),
            [(ams(2026, 3, 30, 12), ams(2026, 3, 30, 11))],
        )


def test_a_pause_with_a_naive_datetime_is_refused() -> None:
    with pytest.raises(ValueError, match="pause end must be a timezone-aware datetime"):
        business_time_excluding(
            office(),
            ams(2026, 3, 30, 9),
            ams(2026, 3, 30, 17),
            [(ams(2026, 3, 30, 10), datetime(2026, 3, 30, 11))],
        )
