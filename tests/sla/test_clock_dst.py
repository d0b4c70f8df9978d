"""Daylight-saving changes: 24x7 counts real time, office hours follow the wall clock."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from sla.clock import (
    Calendar,
    add_business_time,
    business_time_between,
    next_open,
)
from tests.sla.clock_helpers import (
    AMSTERDAM,
    HOUR,
    NEW_YORK,
    ams,
    every_day,
    nyc,
    office,
)

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
    # Closed from 03:00 CEST (01:00 UTC) until the window of the Sunday after.
    assert next_open(calendar, datetime(2026, 3, 29, 1, tzinfo=UTC)) == ams(2026, 4, 5, 1)


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
    assert next_open(calendar, saturday_again) == saturday_again  # open then
    saturday_noon = datetime(2010, 11, 6, 12, tzinfo=GOOSE_BAY)
    assert business_time_between(calendar, saturday_noon, saturday_again) == timedelta(minutes=30)
    assert add_business_time(calendar, saturday_noon, 7 * HOUR) == datetime(
        2010, 11, 7, 10, tzinfo=UTC
    )
