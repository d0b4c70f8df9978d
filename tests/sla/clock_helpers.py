"""Shared calendars and datetime helpers for the business-hours clock example tests.

Dates used: 2026-03-27 is a Friday. Amsterdam springs forward on Sunday 2026-03-29 (02:00 CET
becomes 03:00 CEST) and falls back on Sunday 2026-10-25 (03:00 CEST becomes 02:00 CET); New York
springs forward on 2026-03-08 and falls back on 2026-11-01. King's Day, Monday 2026-04-27, is
the holiday.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sla.clock import Calendar

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
