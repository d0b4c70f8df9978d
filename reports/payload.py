"""Assemble one week's report: every figure the page, CSV files and PDF show, as plain JSON.

The same function serves the live current week and the snapshot of a finished one, so a frozen
page shows exactly what the live page showed when its week ended.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from reports import selectors
from reports.aggregates import analytic_queries
from reports.definitions import empty_metrics
from reports.highlights import highlights
from reports.narrative import narrative_facts
from reports.selectors import DIMENSIONS, PeriodFigures, ReportFilters, period_figures, with_rates
from reports.weeks import IsoWeek, Period, periods_ending

PAYLOAD_VERSION = 1
TREND_WEEKS = 12


def _empty_series(count: int) -> list[dict[str, Any]]:
    return [with_rates(empty_metrics()) for _ in range(count)]


def _trend(
    *,
    periods: list[Period],
    frozen: dict[IsoWeek, dict[str, Any]],
    figures: PeriodFigures,
    satisfaction: list[dict[str, Any]],
) -> list[dict[str, Any]]:
    """The headline figures of each period, oldest first: frozen ones for the weeks that have
    a snapshot (so the trend agrees with their own pages), computed ones for the rest, which
    ``figures`` and ``satisfaction`` cover (the last periods)."""
    computed = figures.series["all"].get(None) or _empty_series(len(satisfaction))
    first_computed = len(periods) - len(computed)
    trend = []
    for index, period in enumerate(periods):
        stored = frozen.get(period.week) if index < len(periods) - 1 else None
        if stored is None:
            offset = index - first_computed
            stored_or_live = {**computed[offset], **satisfaction[offset]}
        else:
            stored_or_live = stored
        trend.append({**stored_or_live, "week": str(period.week), "frozen": stored is not None})
    return trend


def _breakdowns(
    *, frozen: dict[str, Any] | None, figures: PeriodFigures
) -> dict[str, list[dict[str, Any]]]:
    """Per dimension, a row per group with this week's figures and, under ``previous``, last
    week's: ``frozen`` (last week's snapshot breakdowns) when there is one, else computed in
    ``figures`` (which then covers both weeks; otherwise only this one)."""
    result = {}
    for dimension in DIMENSIONS:
        data = figures.series[dimension.key]
        frozen_rows = {row["key"]: row for row in (frozen or {}).get(dimension.key, [])}
        keys = set(data) | set(frozen_rows)
        labels = selectors.dimension_labels(dimension, list(keys))
        blank = _empty_series(2)
        rows = []
        for key in keys:
            series = data.get(key, blank)
            now = series[-1]
            if frozen is not None:
                stored = frozen_rows.get(key)
                before = _figures_of(stored) if stored else blank[0]
            else:
                before = series[-2]
            if not any(now[k] or before[k] for k in selectors.COUNT_KEYS):
                continue
            rows.append({"key": key, "label": labels.get(key, str(key)), **now, "previous": before})
        if dimension.choices is not None:
            # Severities and tiers read best in their own order (S1 first).
            order = {value: i for i, value in enumerate(dimension.choices.values)}
            rows.sort(key=lambda r: order.get(r["key"], len(order)))
        else:
            rows.sort(key=lambda r: (-r["raised"], -r["backlog"], r["label"]))
        result[dimension.key] = rows
    return result


def _figures_of(row: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in row.items() if k not in ("key", "label", "previous")}


def report_compute(*, week: IsoWeek, filters: ReportFilters, now: datetime) -> dict[str, Any]:
    """Compute the report of ``week`` as of ``now`` (ValueError for a week not yet started)."""
    with analytic_queries():
        return _compute(week=week, filters=filters, now=now)


def _compute(*, week: IsoWeek, filters: ReportFilters, now: datetime) -> dict[str, Any]:
    periods = periods_ending(week, count=TREND_WEEKS, now=now)
    current, previous = periods[-1], periods[-2]
    # Weeks already frozen are read from their snapshots, not recomputed: once the Monday task
    # has frozen the past weeks, only the week itself is computed.
    frozen = selectors.snapshot_headlines(weeks=[p.week for p in periods[:-1]], filters=filters)
    first_open = next(
        i for i, p in enumerate(periods) if i == len(periods) - 1 or p.week not in frozen
    )
    computed = periods[first_open:]
    satisfaction = selectors.satisfaction_series(periods=computed, filters=filters)
    figures = period_figures(periods=computed, filters=filters)
    trend = _trend(periods=periods, frozen=frozen, figures=figures, satisfaction=satisfaction)
    frozen_groups = selectors.snapshot_breakdowns(week=previous.week, filters=filters)
    by_group = period_figures(
        periods=[current] if frozen_groups is not None else [previous, current],
        filters=filters,
        dimensions=DIMENSIONS,
        with_ages=False,
    )
    breakdowns = _breakdowns(frozen=frozen_groups, figures=by_group)
    titles = {d.key: d.title for d in DIMENSIONS}
    return {
        "version": PAYLOAD_VERSION,
        "week": str(week),
        "start": current.start.isoformat(),
        "end": current.end.isoformat(),
        "live": current.live,
        "computed_at": now.isoformat(),
        "filters": {"team": filters.team_id, "tier": filters.tier},
        # Always collected now; snapshots frozen before tier-filtered satisfaction existed
        # say False with a note, and the page still shows them as they were.
        "satisfaction_collected": True,
        "satisfaction_note": "",
        "headline": {k: v for k, v in trend[-1].items() if k not in ("week", "frozen")},
        "previous": {k: v for k, v in trend[-2].items() if k not in ("week", "frozen")},
        "trend": trend,
        "breakdowns": breakdowns,
        "highlights": highlights(breakdowns, titles=titles),
        "top_customers": selectors.top_customers(period=current, filters=filters),
        "major_incidents": selectors.major_incidents(period=current, filters=filters),
        "root_causes": selectors.root_causes(period=current, filters=filters),
        "backlog_age": figures.backlog_age,
        "strategic_breaches": selectors.strategic_breaches(period=current, filters=filters),
        "longest_open": selectors.longest_open(moment=current.end, filters=filters),
        # The opening summary's own facts (reports.narrative), frozen with the rest.
        "narrative_facts": narrative_facts(periods=periods, filters=filters),
    }
