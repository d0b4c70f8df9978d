"""Customer satisfaction figures for reports, aggregated in the database."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import Avg, Count, Q
from django.db.models.functions import TruncWeek
from django.utils import timezone

from reviews.models import SatisfactionSurvey

# Filters a report may pass, each a field of the surveyed case (ids, or a severity value).
FILTER_FIELDS = {
    "team": "case__team_id",
    "customer": "case__customer_id",
    "tier": "case__customer__tier",
    "product": "case__product_id",
    "category": "case__category_id",
    "severity": "case__severity",
    "level": "case__level",
}


def _moment(value: date | datetime) -> datetime:
    if isinstance(value, datetime):
        return value if timezone.is_aware(value) else timezone.make_aware(value)
    return timezone.make_aware(datetime.combine(value, time.min))


def _figures(count: int, total: float | None, satisfied: int) -> dict[str, Any]:
    return {
        "count": count,
        "average": round(float(total), 2) if count and total is not None else None,
        "satisfied_share": round(satisfied / count, 3) if count else None,
    }


def satisfaction_by_week(
    *,
    start: date | datetime,
    end: date | datetime,
    filters: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Satisfaction answers received in [start, end), in total and per ISO week.

    ``start``/``end``: datetimes, or dates meaning local midnight. ``filters``: any of
    FILTER_FIELDS (empty values are ignored; an unknown key is a ValueError). Returns::

        {"count": 12, "average": 4.25, "satisfied_share": 0.833,
         "weeks": [{"week_start": date(2025, 3, 3), "label": "2025-W10",
                    "count": 5, "average": 4.4, "satisfied_share": 0.8}, ...]}

    ``average`` is the mean score (1 to 5) and ``satisfied_share`` the share of 4 and 5 scores
    (0 to 1); both None for no answers. Every week touching the range is listed, empty ones too.
    """
    start_at, end_at = _moment(start), _moment(end)
    unknown = set(filters or {}) - set(FILTER_FIELDS)
    if unknown:
        raise ValueError(f"unknown satisfaction filters: {sorted(unknown)}")
    lookups = {FILTER_FIELDS[k]: v for k, v in (filters or {}).items() if v not in (None, "")}
    answers = SatisfactionSurvey.objects.filter(
        answered_at__gte=start_at, answered_at__lt=end_at, score__isnull=False, **lookups
    )
    measures = {
        "count": Count("id"),
        "average": Avg("score"),
        "satisfied": Count("id", filter=Q(score__gte=4)),
    }
    total: dict[str, Any] = answers.aggregate(**measures)
    by_week: dict[date, dict[str, Any]] = {}
    for week_start, count, average, satisfied in (
        answers.annotate(week=TruncWeek("answered_at"))
        .values_list("week")
        .annotate(**measures)
        .order_by("week")
    ):
        # TruncWeek gives an aware local midnight on PostgreSQL, a date-like value on SQLite.
        day = timezone.localdate(week_start) if isinstance(week_start, datetime) else week_start
        by_week[day] = {"count": count, "average": average, "satisfied": satisfied}
    weeks = []
    first = timezone.localtime(start_at).date()
    monday = first - timedelta(days=first.weekday())
    last = timezone.localtime(end_at - timedelta(microseconds=1)).date()
    while monday <= last:
        row: dict[str, Any] = by_week.get(monday, {"count": 0, "average": None, "satisfied": 0})
        year, week, _ = monday.isocalendar()
        weeks.append(
            {
                "week_start": monday,
                "label": f"{year}-W{week:02d}",
                **_figures(row["count"], row["average"], row["satisfied"]),
            }
        )
        monday += timedelta(days=7)
    return {**_figures(total["count"], total["average"], total["satisfied"]), "weeks": weeks}
