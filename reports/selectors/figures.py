"""The report's figures per week, for the whole organisation and per dimension, computed by
the database in five scans whatever the number of weeks and groups.

Definitions (the report page says the same in words):
- raised / resolved in a week: ``Case.raised_at`` / ``Case.resolved_at`` within it;
- open at a moment T: raised before T and not resolved by T (``resolved_at`` empty or >= T);
- SLA outcomes: a clock counts as met in the week it stopped in time without ever breaching
  (``sla.CaseClock`` ``met`` and ``stopped_at``), as missed in the week of its breach
  (``sla.SlaBreach``, the fact recorded when the deadline passed, which no later change of
  severity, tier, policy, calendar, pause or reopen removes), so every response/resolution
  deadline counts once, in one week; compliance = met / (met + missed);
- breaches: breach facts of any kind (every cycle of the update clock counts) in the week;
- time to resolve: the resolution clock's ``elapsed_seconds`` (business time, pauses excluded)
  for clocks that stopped in the week, as median and 90th percentile;
- reopened: distinct cases with a ``reopened`` timeline event in the week.
Team and customer tier are the case's current ones. Each count's rows are defined once in
``reports.definitions``; the drill-down lists (``reports.selectors.drilldown``) list the same.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db.models import Case as CaseWhen
from django.db.models import Count, F, IntegerField, Q, QuerySet, Value, When

from reports.aggregates import Grouping, Rows, WeekIndex, counts_by, percentiles_by
from reports.definitions import (
    COMPLIANCE_KINDS,
    PERCENTILES,
    Dimension,
    ReportFilters,
    breaches_in,
    cases_for,
    deadlines_met,
    empty_metrics,
    open_during,
    raised_in,
    reopenings,
    resolution_times,
    resolved_in,
    with_rates,
)
from reports.weeks import Span

AGE_BUCKETS: tuple[tuple[str, timedelta | None, timedelta | None], ...] = (
    ("<1d", None, timedelta(days=1)),
    ("1-3d", timedelta(days=1), timedelta(days=3)),
    ("3-7d", timedelta(days=3), timedelta(days=7)),
    ("7-30d", timedelta(days=7), timedelta(days=30)),
    (">30d", timedelta(days=30), None),
)

Series = list[dict[str, Any]]


@dataclass(frozen=True)
class PeriodFigures:
    """``series["all"][None]``: the figures of each period for everything the filters select;
    ``series[dimension.key][group]``: the same per group. ``backlog_age``: the cases open at
    the end of the last period, by age."""

    series: dict[str, dict[Any, Series]]
    backlog_age: list[dict[str, Any]]


def _alias(dimension: Dimension) -> str:
    return f"d_{dimension.key}"


def age_bucket(moment: datetime) -> CaseWhen:
    """The AGE_BUCKETS index of a case open at ``moment`` (NULL when it was not open)."""
    # Ages are elapsed time: a day is 24 hours, also across a clock change.
    moment = moment.astimezone(UTC)
    whens = [When(Q(raised_at__gte=moment) | Q(resolved_at__lt=moment), then=Value(None))]
    for index, (_, younger, older) in enumerate(AGE_BUCKETS):
        # age >= younger and age < older  <=>  raised_at <= moment-younger, > moment-older
        condition = Q()
        if younger is not None:
            condition &= Q(raised_at__lte=moment - younger)
        if older is not None:
            condition &= Q(raised_at__gt=moment - older)
        whens.append(When(condition, then=Value(index)))
    return CaseWhen(*whens, default=Value(None), output_field=IntegerField())


def period_figures(
    *,
    periods: Sequence[Span],
    filters: ReportFilters,
    dimensions: Sequence[Dimension] = (),
    with_ages: bool = True,
) -> PeriodFigures:
    """Every figure of each of the (consecutive) periods, overall and per group of each
    dimension: five queries, each one scan feeding every grouping. ``with_ages``: also count
    the cases open at the end by age.

    1. Cases raised, resolved, and open at each period's end (and the backlog's ages).
    2. Deadlines met (by the period they stopped in) and missed (by the breach facts).
    3. Time to resolve: percentiles of the business time of resolution clocks stopped.
    4. Cases reopened.
    """
    tally = _Tally(periods, dimensions)
    backlog_age = _count_cases(tally, filters, with_ages=with_ages)
    _count_deadlines(tally, filters)
    _count_resolution_times(tally, filters)
    _count_reopened(tally, filters)
    return PeriodFigures(
        series={
            key: {group: [with_rates(m) for m in values] for group, values in groups.items()}
            for key, groups in tally.series.items()
        },
        backlog_age=backlog_age,
    )


class _Tally:
    """The figures being added up: for each grouping ("all" and one per dimension), each group
    met gets a row of empty metrics per period."""

    def __init__(self, periods: Sequence[Span], dimensions: Sequence[Dimension]) -> None:
        self.periods = periods
        self.dimensions = dimensions
        self.groupings = [Grouping("all", ())] + [Grouping(d.key, (_alias(d),)) for d in dimensions]
        self.series: dict[str, dict[Any, Series]] = {
            g.key: defaultdict(lambda: [empty_metrics() for _ in periods]) for g in self.groupings
        }

    def extend(self, extra: tuple[str, ...]) -> list[Grouping]:
        """Every grouping, each also grouped by ``extra``."""
        return [Grouping(g.key, g.columns + extra) for g in self.groupings]

    def rows(self, counted: Rows) -> Iterator[tuple[Series, dict[str, Any]]]:
        """Each counted row of every grouping, with the per-period metrics of its group."""
        for grouping in self.groupings:
            for row in counted[grouping.key]:
                group = row[grouping.columns[0]] if grouping.columns else None
                yield self.series[grouping.key][group], row


def _count_cases(tally: _Tally, filters: ReportFilters, *, with_ages: bool) -> list[dict[str, Any]]:
    """Raised, resolved and open at each period's end from the cases open at some point of the
    span, each with the period it was raised in (-1: before) and resolved in (n: not by the
    end). Open at the end of period i <=> raised in or before i, resolved after i. Returns the
    backlog at the end of the last period by age (all zero without ``with_ages``)."""
    periods, n = tally.periods, len(tally.periods)
    cases = _select(
        cases_for(filters).filter(open_during(periods)),
        tally.dimensions,
        "",
        rb=WeekIndex("raised_at", periods),
        sb=WeekIndex("resolved_at", periods, null=n),
        **({"age": age_bucket(periods[-1].end)} if with_ages else {}),
    )
    counted = counts_by(
        cases, [*tally.extend(("rb", "sb")), *([Grouping("age", ("age",))] if with_ages else [])]
    )
    for cell, row in tally.rows(counted):
        raised, resolved, count = row["rb"], row["sb"], row["n"]
        if 0 <= raised < n:
            cell[raised]["raised"] += count
        if resolved < n:
            cell[resolved]["resolved"] += count
        for i in range(max(raised, 0), min(resolved, n)):
            cell[i]["backlog"] += count
    ages = {row["age"]: row["n"] for row in counted.get("age", []) if row["age"] is not None}
    return [
        {"bucket": label, "cases": ages.get(i, 0)} for i, (label, _, _) in enumerate(AGE_BUCKETS)
    ]


def _count_deadlines(tally: _Tally, filters: ReportFilters) -> None:
    """Deadlines met, by the period they stopped in, and missed, by the breach facts (which also
    count as breaches, of any kind)."""
    periods = tally.periods
    clocks = _select(
        deadlines_met(filters, periods),
        tally.dimensions,
        "case__",
        "kind",
        w=WeekIndex("stopped_at", periods),
    )
    for cell, row in tally.rows(counts_by(clocks, tally.extend(("kind", "w")))):
        cell[row["w"]][f"{row['kind']}_met"] += row["n"]
    breaches = _select(
        breaches_in(filters, periods),
        tally.dimensions,
        "case__",
        kind=F("clock_kind"),
        w=WeekIndex("breached_at", periods),
    )
    for cell, row in tally.rows(counts_by(breaches, tally.extend(("kind", "w")))):
        week, kind, count = cell[row["w"]], row["kind"], row["n"]
        week["breaches"] += count
        if kind in COMPLIANCE_KINDS:
            week[f"{kind}_missed"] += count


def _count_resolution_times(tally: _Tally, filters: ReportFilters) -> None:
    """Percentiles of the business time of the resolution clocks stopped in each period."""
    resolution = _select(
        resolution_times(filters, tally.periods),
        tally.dimensions,
        "case__",
        w=WeekIndex("stopped_at", tally.periods),
        v=F("elapsed_seconds"),
    )
    found = percentiles_by(resolution, tally.extend(("w",)), value="v", percentiles=PERCENTILES)
    for cell, row in tally.rows(found):
        week = cell[row["w"]]
        week["resolve_p50"] = round(row["percentiles"][0.5], 1)
        week["resolve_p90"] = round(row["percentiles"][0.9], 1)


def _count_reopened(tally: _Tally, filters: ReportFilters) -> None:
    """Distinct cases reopened in each period."""
    reopened = _select(
        reopenings(filters, tally.periods),
        tally.dimensions,
        "case__",
        "case_id",
        w=WeekIndex("created_at", tally.periods),
    )
    for cell, row in tally.rows(counts_by(reopened, tally.extend(("w",)), distinct="case_id")):
        cell[row["w"]]["reopened"] += row["n"]


def _select(
    queryset: QuerySet[Any],
    dimensions: Sequence[Dimension],
    prefix: str,
    *fields: str,
    **expressions: Any,
) -> QuerySet[Any]:
    dims = {_alias(d): F(f"{prefix}{d.field}") for d in dimensions}
    return queryset.order_by().values(*fields, **expressions, **dims)


def period_counts(*, periods: Sequence[Span], filters: ReportFilters) -> list[dict[str, int]]:
    """Raised, resolved and breaches per period: the cheap summary of weeks not yet frozen."""
    rows = [{"raised": 0, "resolved": 0, "breaches": 0} for _ in periods]
    cases = cases_for(filters).order_by()
    for metric, field, condition in (
        ("raised", "raised_at", raised_in(periods)),
        ("resolved", "resolved_at", resolved_in(periods)),
    ):
        for row in (
            cases.filter(condition).values(w=WeekIndex(field, periods)).annotate(n=Count("id"))
        ):
            rows[row["w"]][metric] = row["n"]
    for row in (
        breaches_in(filters, periods)
        .order_by()
        .values(w=WeekIndex("breached_at", periods))
        .annotate(n=Count("id"))
    ):
        rows[row["w"]]["breaches"] = row["n"]
    return rows


def dimension_labels(dimension: Dimension, keys: Sequence[Any]) -> dict[Any, str]:
    labels: dict[Any, str] = {None: dimension.empty_label}
    if dimension.choices is not None:
        labels.update({value: str(label) for value, label in dimension.choices.choices})
    elif dimension.model is not None:
        ids = [k for k in keys if k is not None]
        labels.update(dimension.model._default_manager.filter(pk__in=ids).values_list("pk", "name"))
    return labels
