"""The fast business time of the pause figures agrees with the SLA engine's, instant for
instant, on an office calendar across a clock change and a holiday."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from reports.pauses_time import OpenTime
from sla import clock as bh

AMS = ZoneInfo("Europe/Amsterdam")
OFFICE = bh.Calendar(
    tz=AMS,
    hours={d: ((time(9), time(12)), (time(13), time(17, 30))) for d in range(5)},
    holidays=frozenset({date(2026, 4, 6)}),
)
START = datetime(2026, 3, 20, 8, tzinfo=AMS)
END = datetime(2026, 4, 20, 8, tzinfo=AMS)


def test_business_time_between_any_two_instants_is_the_clocks_own() -> None:
    index = OpenTime(OFFICE, START, END)
    rng = random.Random(17)
    span = int((END - START).total_seconds())
    for _ in range(400):
        a, b = sorted(START + timedelta(seconds=rng.randrange(span)) for _ in range(2))
        expected = int(bh.business_time_between(OFFICE, a, b).total_seconds())
        assert index.between(a, b) == expected, (a, b)


def test_a_24x7_calendar_counts_real_time_across_the_spring_clock_change() -> None:
    index = OpenTime(bh.Calendar.always_open(AMS), START, END)
    night = datetime(2026, 3, 28, 22, tzinfo=AMS).astimezone(UTC)  # real hours, not wall
    assert index.between(night, night + timedelta(hours=10)) == 10 * 3600
    assert index.between(night, night - timedelta(hours=1)) == 0
