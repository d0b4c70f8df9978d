"""Calendar months in the organisation's time zone: the unit contracts are accounted by.

A month runs from the 1st 00:00 to the next 1st 00:00 *local* time (``reports.weeks`` zone), so
a month that contains a daylight-saving change is an hour shorter or longer. Boundaries are aware
datetimes; the database compares them in UTC.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.utils.formats import date_format

from reports.weeks import report_zone

_MONTH_RE = re.compile(r"^(?P<year>\d{4})-(?P<month>\d{2})$")


@dataclass(frozen=True, order=True)
class Month:
    year: int
    month: int

    def __post_init__(self) -> None:
        if not 1 <= self.month <= 12 or not 1 <= self.year <= 9998:
            raise ValueError(f"{self.year}-{self.month:02d} is not a month")

    @classmethod
    def parse(cls, text: str) -> Month:
        """``"2026-11"`` -> Month(2026, 11); ValueError when malformed or nonexistent."""
        match = _MONTH_RE.match(text)
        if match is None:
            raise ValueError(f"{text!r} is not a month such as 2026-07")
        return cls(int(match["year"]), int(match["month"]))

    @classmethod
    def containing(cls, moment: datetime) -> Month:
        local = moment.astimezone(report_zone())
        return cls(local.year, local.month)

    @classmethod
    def of_date(cls, day: date) -> Month:
        return cls(day.year, day.month)

    @property
    def first_day(self) -> date:
        return date(self.year, self.month, 1)

    @property
    def last_day(self) -> date:
        return self.next().first_day - timedelta(days=1)

    @property
    def days(self) -> list[date]:
        return [self.first_day + timedelta(days=n) for n in range(self.last_day.day)]

    def start(self) -> datetime:
        # Midnight is never skipped or repeated by the DST changes of the zones we serve.
        return datetime.combine(self.first_day, time(0), tzinfo=report_zone())

    def end(self) -> datetime:
        return self.next().start()

    def next(self) -> Month:
        return Month(self.year + self.month // 12, self.month % 12 + 1)

    def previous(self) -> Month:
        return Month(self.year - (self.month == 1), (self.month - 2) % 12 + 1)

    def __str__(self) -> str:
        return f"{self.year}-{self.month:02d}"

    @property
    def label(self) -> str:
        """``"November 2026"``."""
        # Django's month names follow the active language (strftime's are the C locale's).
        return date_format(self.first_day, "F Y")
