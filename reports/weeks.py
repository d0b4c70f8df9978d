"""ISO weeks in the organisation's time zone: the unit every report is cut by.

A week runs from Monday 00:00 to the next Monday 00:00 *local* time, so a week that contains a
daylight-saving change lasts 167 or 169 hours. All boundaries are aware datetimes; the database
compares them in UTC.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils.formats import date_format
from django.utils.translation import gettext as _

_WEEK_RE = re.compile(r"^(?P<year>\d{4})-W(?P<week>\d{2})$")


def report_zone() -> tzinfo:
    return ZoneInfo(settings.TIME_ZONE)


@dataclass(frozen=True, order=True)
class IsoWeek:
    year: int
    week: int

    def __post_init__(self) -> None:
        # Raises ValueError for a week that does not exist (W00, W54, W53 of a 52-week year).
        date.fromisocalendar(self.year, self.week, 1)

    @classmethod
    def parse(cls, text: str) -> IsoWeek:
        """``"2026-W47"`` -> IsoWeek(2026, 47); ValueError when malformed or nonexistent."""
        match = _WEEK_RE.match(text)
        try:
            if match is None:
                raise ValueError("malformed")
            return cls(int(match["year"]), int(match["week"]))
        except ValueError:
            raise ValueError(f"{text!r} is not an ISO week such as 2026-W07") from None

    @classmethod
    def containing(cls, moment: datetime, zone: tzinfo | None = None) -> IsoWeek:
        local = moment.astimezone(zone or report_zone())
        year, week, _weekday = local.isocalendar()
        return cls(year, week)

    @classmethod
    def of_date(cls, day: date) -> IsoWeek:
        year, week, _weekday = day.isocalendar()
        return cls(year, week)

    @property
    def monday(self) -> date:
        return date.fromisocalendar(self.year, self.week, 1)

    @property
    def sunday(self) -> date:
        return self.monday + timedelta(days=6)

    def start(self, zone: tzinfo | None = None) -> datetime:
        # Midnight is never skipped or repeated by a DST change in the zones we serve (Europe
        # changes at 02:00/03:00); zoneinfo would pick the earlier offset if it were.
        return datetime.combine(self.monday, time(0), tzinfo=zone or report_zone())

    def end(self, zone: tzinfo | None = None) -> datetime:
        return self.shifted(1).start(zone)

    def shifted(self, weeks: int) -> IsoWeek:
        return IsoWeek.of_date(self.monday + timedelta(weeks=weeks))

    def previous(self) -> IsoWeek:
        return self.shifted(-1)

    def next(self) -> IsoWeek:
        return self.shifted(1)

    def __str__(self) -> str:
        return f"{self.year}-W{self.week:02d}"

    @property
    def label(self) -> str:
        """``"Week 47, 16–22 Nov 2026"``."""
        first, last = self.monday, self.sunday
        # Month names in the active language ("M" is Django's abbreviated month, like %b).
        if first.year != last.year:
            span = f"{date_format(first, 'j M Y')} – {date_format(last, 'j M Y')}"
        elif first.month != last.month:
            span = f"{date_format(first, 'j M')} – {date_format(last, 'j M Y')}"
        else:
            span = f"{first.day}–{date_format(last, 'j M Y')}"
        return _("Week %(week)s, %(span)s") % {"week": self.week, "span": span}


@dataclass(frozen=True)
class Span:
    """The ``[start, end)`` a figure is counted over: what every aggregation takes. ``live``:
    ``end`` is the moment of computation, not the span's natural end. Weeks are ``Period``;
    months, quarters and custom ranges are cut in ``reports.periods``."""

    start: datetime
    end: datetime
    live: bool


@dataclass(frozen=True)
class Period(Span):
    """The part of a week a report covers: the whole week once it is over, else up to ``end``
    (the moment of computation), flagged ``live``."""

    week: IsoWeek


def period_for(week: IsoWeek, *, now: datetime) -> Period:
    start, end = week.start(), week.end()
    if now < start:
        raise ValueError(f"{week} has not started yet")
    if now < end:
        return Period(week=week, start=start, end=now, live=True)
    return Period(week=week, start=start, end=end, live=False)


def periods_ending(week: IsoWeek, *, count: int, now: datetime) -> list[Period]:
    """``count`` consecutive periods, oldest first, the last one being ``week``."""
    return [period_for(week.shifted(offset), now=now) for offset in range(1 - count, 1)]
