"""ISO weeks on the Amsterdam wall clock, including the two weeks with a clock change."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from reports.weeks import IsoWeek, period_for, periods_ending

AMS = ZoneInfo("Europe/Amsterdam")


def test_a_week_parses_from_and_prints_as_year_dash_w_number() -> None:
    assert IsoWeek.parse("2026-W07") == IsoWeek(2026, 7)
    assert str(IsoWeek(2026, 7)) == "2026-W07"


@pytest.mark.parametrize("text", ["2026-W54", "2026-W00", "2025-W53", "2026W07", "26-W07", ""])
def test_a_malformed_or_nonexistent_week_is_refused(text: str) -> None:
    with pytest.raises(ValueError):
        IsoWeek.parse(text)


def test_a_53_week_year_has_a_week_53() -> None:
    assert IsoWeek.parse("2026-W53").monday.isoformat() == "2026-12-28"
    assert IsoWeek.parse("2026-W53").next() == IsoWeek(2027, 1)


def test_a_week_starts_on_monday_midnight_local_time() -> None:
    week = IsoWeek(2026, 10)
    assert week.start() == datetime(2026, 3, 2, tzinfo=AMS)
    assert week.start().astimezone(UTC) == datetime(2026, 3, 1, 23, tzinfo=UTC)


def test_the_week_of_the_spring_clock_change_lasts_167_hours() -> None:
    week = IsoWeek(2026, 13)  # Sunday 29 March 2026, 02:00 -> 03:00
    assert week.end().astimezone(UTC) - week.start().astimezone(UTC) == timedelta(hours=167)


def test_the_week_of_the_autumn_clock_change_lasts_169_hours() -> None:
    week = IsoWeek(2026, 43)  # Sunday 25 October 2026, 03:00 -> 02:00
    assert week.end().astimezone(UTC) - week.start().astimezone(UTC) == timedelta(hours=169)


def test_a_moment_belongs_to_the_week_of_its_local_date_not_its_utc_date() -> None:
    # Monday 30 March 00:30 in Amsterdam is still Sunday 22:30 in UTC.
    moment = datetime(2026, 3, 29, 22, 30, tzinfo=UTC)
    assert IsoWeek.containing(moment) == IsoWeek(2026, 14)
    assert IsoWeek.containing(moment, UTC) == IsoWeek(2026, 13)


def test_weeks_cross_the_year_boundary() -> None:
    assert IsoWeek(2026, 1).previous() == IsoWeek(2025, 52)
    assert IsoWeek(2026, 1).monday.isoformat() == "2025-12-29"
    assert IsoWeek(2026, 1).label == "Week 1, 29 Dec 2025 – 4 Jan 2026"
    assert IsoWeek(2026, 10).label == "Week 10, 2–8 Mar 2026"
    assert IsoWeek(2026, 14).label == "Week 14, 30 Mar – 5 Apr 2026"


def test_the_running_week_is_cut_at_now_and_marked_live() -> None:
    now = datetime(2026, 3, 4, 12, tzinfo=AMS)
    period = period_for(IsoWeek(2026, 10), now=now)
    assert period.live and period.end == now
    finished = period_for(IsoWeek(2026, 9), now=now)
    assert not finished.live and finished.end == IsoWeek(2026, 10).start()


def test_a_week_that_has_not_started_has_no_period() -> None:
    with pytest.raises(ValueError):
        period_for(IsoWeek(2026, 11), now=datetime(2026, 3, 4, tzinfo=AMS))


def test_trend_periods_are_consecutive_and_end_with_the_week() -> None:
    periods = periods_ending(IsoWeek(2026, 2), count=12, now=datetime(2026, 6, 1, tzinfo=AMS))
    assert [str(p.week) for p in periods][:2] == ["2025-W43", "2025-W44"]
    assert str(periods[-1].week) == "2026-W02"
    assert all(a.end == b.start for a, b in zip(periods, periods[1:], strict=False))
