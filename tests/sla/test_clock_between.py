"""business_time_between: counting business time in a span."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest

from sla.clock import (
    Calendar,
    business_time_between,
)
from tests.sla.clock_helpers import (
    AMSTERDAM,
    HOUR,
    KINGS_DAY,
    NEW_YORK,
    ams,
    closed,
    nyc,
    office,
    split_day,
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
