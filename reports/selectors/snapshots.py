"""Reading frozen weeks, and the list of weeks."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Min

from cases.models import Case
from reports.definitions import ReportFilters
from reports.models import WeeklySnapshot
from reports.selectors.figures import period_counts
from reports.weeks import IsoWeek, period_for


def snapshot_get(*, week: IsoWeek, filters: ReportFilters) -> WeeklySnapshot | None:
    return WeeklySnapshot.objects.filter(week_start=week.monday, filters_key=filters.key).first()


def snapshot_headlines(
    *, weeks: Sequence[IsoWeek], filters: ReportFilters
) -> dict[IsoWeek, dict[str, Any]]:
    """The frozen headline figures of those of ``weeks`` that have a snapshot (one query, only
    the headline part of each payload leaves the database)."""
    rows = WeeklySnapshot.objects.filter(
        filters_key=filters.key, week_start__in=[w.monday for w in weeks]
    ).values_list("week_start", "payload__headline")
    return {IsoWeek.of_date(monday): headline for monday, headline in rows if headline}


def snapshot_breakdowns(*, week: IsoWeek, filters: ReportFilters) -> dict[str, Any] | None:
    row = (
        WeeklySnapshot.objects.filter(filters_key=filters.key, week_start=week.monday)
        .values_list("payload__breakdowns", flat=True)
        .first()
    )
    return row or None


def snapshot_summaries(
    *, weeks: Sequence[IsoWeek], filters: ReportFilters
) -> dict[IsoWeek, dict[str, Any]]:
    rows = WeeklySnapshot.objects.filter(
        filters_key=filters.key, week_start__in=[w.monday for w in weeks]
    ).values_list("week_start", "computed_at", "payload__headline")
    return {
        IsoWeek.of_date(monday): {"computed_at": computed_at, "headline": headline}
        for monday, computed_at, headline in rows
    }


def first_case_week(*, filters: ReportFilters) -> IsoWeek | None:
    first = Case.objects.filter(filters.q()).order_by().aggregate(first=Min("raised_at"))["first"]
    return IsoWeek.containing(first) if first else None


@dataclass(frozen=True)
class WeekListRow:
    week: IsoWeek
    state: str  # live, frozen, open (finished, not frozen yet)
    headline: dict[str, Any] | None
    counts: dict[str, int] | None
    computed_at: datetime | None


@dataclass(frozen=True)
class WeekList:
    rows: list[WeekListRow]
    page: int
    pages: int


def week_list(*, filters: ReportFilters, now: datetime, page: int, per_page: int) -> WeekList:
    """One page of ISO weeks, newest first, from the current week back to the first case's.

    Frozen weeks show their snapshot's headline; the others (the live week, finished weeks not
    frozen yet) a few counts from three grouped queries over the page's weeks.
    """
    current = IsoWeek.containing(now)
    first = first_case_week(filters=filters) or current
    total = (current.monday - first.monday).days // 7 + 1
    pages = max(1, -(-total // per_page))
    if page > pages:
        return WeekList(rows=[], page=page, pages=pages)
    start = (page - 1) * per_page
    weeks = [current.shifted(-i) for i in range(start, min(start + per_page, total))]
    frozen = snapshot_summaries(weeks=weeks, filters=filters)
    unfrozen = sorted(w for w in weeks if w not in frozen)
    counts: dict[IsoWeek, dict[str, int]] = {}
    if unfrozen:
        span = [
            unfrozen[0].shifted(i)
            for i in range((unfrozen[-1].monday - unfrozen[0].monday).days // 7 + 1)
        ]
        periods = [period_for(w, now=now) for w in span]
        counts = dict(zip(span, period_counts(periods=periods, filters=filters), strict=True))
    rows = []
    for week in weeks:
        stored = frozen.get(week)
        if stored is not None:
            rows.append(
                WeekListRow(week, "frozen", stored["headline"], None, stored["computed_at"])
            )
        else:
            state = "live" if week == current else "open"
            rows.append(WeekListRow(week, state, None, counts[week], None))
    return WeekList(rows=rows, page=page, pages=pages)
