"""Months, quarters and custom date ranges: the spans a report covers besides ISO weeks.

A period is a run of whole local days, ``[first 00:00, day after last 00:00)`` in the
organisation's time zone (as a week is), so a month with a clock change is as long as it was on
the wall clock. Its figures are those of the weekly report (``reports.selectors.period_figures``
over ``reports.weeks.Span``): one way to count each thing, whatever the span. Periods are always
computed, never frozen; only ISO weeks have snapshots.

In URLs: ``2026-11`` (a month), ``2026-Q4`` (a quarter), ``2026-01-05..2026-02-10`` (a custom
range, both days included, at most ``MAX_RANGE_DAYS`` days).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo

from django.utils.formats import date_format
from django.utils.translation import gettext as _

from reports.weeks import IsoWeek, Span, report_zone

MONTH, QUARTER, RANGE = "month", "quarter", "range"
# A year and a day: a leap year's 366 days, so any calendar year fits as a custom range.
MAX_RANGE_DAYS = 366
# The sub-periods a report's charts are drawn over: days up to this many days, weeks up to
# SHORT_FOR_WEEKS, months beyond.
SHORT_FOR_DAYS = 45
SHORT_FOR_WEEKS = 186
# Years a period may name: the report of year 1 or 9999 is date arithmetic trouble, not a report.
FIRST_YEAR, LAST_YEAR = 2000, 2100

_MONTH_RE = re.compile(r"^(?P<year>\d{4})-(?P<month>\d{2})$")
_QUARTER_RE = re.compile(r"^(?P<year>\d{4})-Q(?P<quarter>[1-4])$")
_RANGE_RE = re.compile(r"^(?P<first>\d{4}-\d{2}-\d{2})\.\.(?P<last>\d{4}-\d{2}-\d{2})$")
URL_REGEX = r"\d{4}-(?:\d{2}|Q[1-4]|\d{2}-\d{2}\.\.\d{4}-\d{2}-\d{2})"


class PeriodError(ValueError):
    """A period that cannot be reported on: malformed, out of order, too long."""


def _month_after(day: date, months: int = 1) -> date:
    """The first day of the month ``months`` after ``day``'s month."""
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


@dataclass(frozen=True, order=True)
class ReportPeriod:
    """Whole local days from ``first`` to ``last`` (both included); ``kind`` says how it was
    named (a month, a quarter, or any range) and so how it moves to the previous and next."""

    first: date
    last: date
    kind: str = RANGE

    def __post_init__(self) -> None:
        if self.last < self.first:
            raise PeriodError(_("The start of a period must not be after its end."))
        if not (FIRST_YEAR <= self.first.year and self.last.year <= LAST_YEAR):
            raise PeriodError(
                _("Reports cover the years %(first)s to %(last)s.")
                % {"first": FIRST_YEAR, "last": LAST_YEAR}
            )
        if self.kind == RANGE and self.days > MAX_RANGE_DAYS:
            raise PeriodError(
                _("A period is at most %(days)s days long.") % {"days": MAX_RANGE_DAYS}
            )

    # --- Naming ----------------------------------------------------------------------------

    @classmethod
    def month(cls, year: int, month: int) -> ReportPeriod:
        first = date(year, month, 1)
        return cls(first, _month_after(first) - timedelta(days=1), MONTH)

    @classmethod
    def quarter(cls, year: int, quarter: int) -> ReportPeriod:
        first = date(year, 3 * quarter - 2, 1)
        return cls(first, _month_after(first, 3) - timedelta(days=1), QUARTER)

    @classmethod
    def between(cls, first: date, last: date) -> ReportPeriod:
        return cls(first, last, RANGE)

    @classmethod
    def parse(cls, text: str) -> ReportPeriod:
        """``"2026-11"``, ``"2026-Q4"``, ``"2026-01-05..2026-02-10"``; PeriodError otherwise."""
        try:
            if match := _MONTH_RE.match(text):
                return cls.month(int(match["year"]), int(match["month"]))
            if match := _QUARTER_RE.match(text):
                return cls.quarter(int(match["year"]), int(match["quarter"]))
            if match := _RANGE_RE.match(text):
                first, last = date.fromisoformat(match["first"]), date.fromisoformat(match["last"])
                return cls.between(first, last)
        except PeriodError:
            raise
        except ValueError:
            pass  # a month 13, a 30 February
        raise PeriodError(
            _("%(text)r is not a period such as 2026-11, 2026-Q4 or 2026-01-05..2026-02-10.")
            % {"text": text}
        )

    @classmethod
    def containing(cls, moment: datetime, kind: str, zone: tzinfo | None = None) -> ReportPeriod:
        """The month or quarter that ``moment`` falls in, on the local calendar."""
        local = moment.astimezone(zone or report_zone()).date()
        if kind == QUARTER:
            return cls.quarter(local.year, (local.month - 1) // 3 + 1)
        return cls.month(local.year, local.month)

    def __str__(self) -> str:
        if self.kind == MONTH:
            return f"{self.first:%Y-%m}"
        if self.kind == QUARTER:
            return f"{self.first.year}-Q{(self.first.month - 1) // 3 + 1}"
        return f"{self.first.isoformat()}..{self.last.isoformat()}"

    @property
    def label(self) -> str:
        """``"November 2026"``, ``"Q4 2026"``, ``"5 Jan 2026 – 10 Feb 2026"``."""
        if self.kind == MONTH:
            return date_format(self.first, "F Y")
        if self.kind == QUARTER:
            return _("Q%(quarter)s %(year)s") % {
                "quarter": (self.first.month - 1) // 3 + 1,
                "year": self.first.year,
            }
        if self.first == self.last:
            return date_format(self.first, "j M Y")
        return f"{date_format(self.first, 'j M Y')} – {date_format(self.last, 'j M Y')}"

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    # --- Moments -----------------------------------------------------------------------------

    def start(self, zone: tzinfo | None = None) -> datetime:
        # As IsoWeek.start: local midnight, never skipped by the clock changes of our zones.
        return datetime.combine(self.first, time(0), tzinfo=zone or report_zone())

    def end(self, zone: tzinfo | None = None) -> datetime:
        return datetime.combine(
            self.last + timedelta(days=1), time(0), tzinfo=zone or report_zone()
        )

    # --- Moving ------------------------------------------------------------------------------

    def shifted(self, steps: int) -> ReportPeriod:
        """The period ``steps`` periods later (earlier when negative): the month or quarter so
        many months on; a custom range moves by its own length."""
        if self.kind == MONTH:
            moved = _month_after(self.first, steps)
            return ReportPeriod.month(moved.year, moved.month)
        if self.kind == QUARTER:
            moved = _month_after(self.first, 3 * steps)
            return ReportPeriod.quarter(moved.year, (moved.month - 1) // 3 + 1)
        offset = timedelta(days=self.days * steps)
        return ReportPeriod.between(self.first + offset, self.last + offset)

    def previous(self) -> ReportPeriod:
        return self.shifted(-1)

    def next(self) -> ReportPeriod:
        return self.shifted(1)

    # --- Cutting -----------------------------------------------------------------------------

    @property
    def grain(self) -> str:
        """What ``buckets`` cuts the period into: "day", "week" or "month"."""
        if self.days <= SHORT_FOR_DAYS:
            return "day"
        return "week" if self.days <= SHORT_FOR_WEEKS else "month"

    def buckets(self) -> list[ReportPeriod]:
        """The consecutive sub-periods the charts are drawn over, oldest first: days of a short
        period, ISO weeks (the first and last cut at the period's edges) of a quarter, months
        (likewise cut) of anything longer."""
        if self.grain == "day":
            return [ReportPeriod.between(day, day) for day in _days(self.first, self.last)]
        if self.grain == "week":
            starts = [self.first]
            monday = IsoWeek.of_date(self.first).next().monday
            while monday <= self.last:
                starts.append(monday)
                monday += timedelta(weeks=1)
        else:
            starts = [self.first]
            month = _month_after(self.first)
            while month <= self.last:
                starts.append(month)
                month = _month_after(month)
        ends = [start - timedelta(days=1) for start in starts[1:]] + [self.last]
        return [_bucket(first, last) for first, last in zip(starts, ends, strict=True)]

    @property
    def bucket_label(self) -> str:
        """The short label of this period as a point of a chart: ``"3 Nov"``, ``"Nov 2026"``."""
        if self.kind == MONTH:
            return date_format(self.first, "M Y")
        return date_format(self.first, "j M")


def _days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def _bucket(first: date, last: date) -> ReportPeriod:
    whole_month = first.day == 1 and last == _month_after(first) - timedelta(days=1)
    return ReportPeriod.month(first.year, first.month) if whole_month else ReportPeriod(first, last)


def period_span(period: ReportPeriod, *, now: datetime) -> Span:
    """The span a report of ``period`` covers as of ``now``: all of it once it is over, else up
    to ``now`` (live). PeriodError for a period that has not started."""
    start, end = period.start(), period.end()
    if now < start:
        raise PeriodError(_("%(period)s has not started yet.") % {"period": period.label})
    return Span(start=start, end=min(end, now), live=now < end)


def bucket_spans(period: ReportPeriod, *, now: datetime) -> list[tuple[ReportPeriod, Span]]:
    """The started buckets of ``period`` with their spans (the running one ends at ``now``)."""
    return [(b, period_span(b, now=now)) for b in period.buckets() if b.start() <= now]
