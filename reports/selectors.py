"""The report's aggregations, all computed by the database.

Definitions (documented on the report page too):
- raised / resolved in a week: ``Case.raised_at`` / ``Case.resolved_at`` within it;
- open at a moment T: raised before T and not resolved by T (``resolved_at`` empty or >= T);
- SLA outcomes come from ``sla.CaseClock`` as the SLA engine keeps it: a clock counts as met in
  the week it stopped in time (``met`` and ``stopped_at``), as missed in the week its deadline
  passed (``breached_at``), so every response/resolution deadline counts once, in one week;
  compliance = met / (met + missed);
- breaches: clocks of any kind whose ``breached_at`` falls in the week;
- time to resolve: the resolution clock's ``elapsed_seconds`` (business time, pauses excluded)
  for clocks that stopped in the week, as median and 90th percentile;
- reopened: distinct cases with a ``reopened`` timeline event in the week.
Team and customer tier are the case's current ones.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db.models import Count, F, Min, Model, Q, QuerySet, TextChoices

from cases.models import (
    Case,
    CaseEvent,
    Category,
    EventKind,
    Product,
    Severity,
    Team,
    Tier,
)
from reports.aggregates import grouped_percentiles, in_periods, week_bucket
from reports.models import WeeklySnapshot
from reports.weeks import IsoWeek, Period, period_for
from reviews.selectors import satisfaction_by_week
from sla.models import CaseClock, ClockKind

COMPLIANCE_KINDS = (ClockKind.RESPONSE, ClockKind.RESOLUTION)
PERCENTILES = (0.5, 0.9)
COUNT_KEYS = (
    "raised",
    "resolved",
    "backlog",
    "response_met",
    "response_missed",
    "resolution_met",
    "resolution_missed",
    "breaches",
    "reopened",
)


@dataclass(frozen=True)
class ReportFilters:
    team_id: int | None = None
    tier: str | None = None

    @property
    def key(self) -> str:
        """Canonical text naming the filter combination; "" when unfiltered."""
        parts = []
        if self.team_id is not None:
            parts.append(f"team={self.team_id}")
        if self.tier:
            parts.append(f"tier={self.tier}")
        return "&".join(parts)

    def q(self, prefix: str = "") -> Q:
        """The filter as a condition on Case (``prefix=""``) or a relation to it ("case__")."""
        condition = Q()
        if self.team_id is not None:
            condition &= Q(**{f"{prefix}team_id": self.team_id})
        if self.tier:
            condition &= Q(**{f"{prefix}customer__tier": self.tier})
        return condition

    def as_params(self) -> dict[str, str]:
        params = {}
        if self.team_id is not None:
            params["team"] = str(self.team_id)
        if self.tier:
            params["tier"] = self.tier
        return params


@dataclass(frozen=True)
class Dimension:
    key: str
    title: str
    field: str
    model: type[Model] | None = None
    choices: type[TextChoices] | None = None
    empty_label: str = "None"


DIMENSIONS: tuple[Dimension, ...] = (
    Dimension("team", "Team", "team_id", model=Team, empty_label="No team"),
    Dimension("severity", "Severity", "severity", choices=Severity),
    Dimension("tier", "Customer tier", "customer__tier", choices=Tier),
    Dimension("product", "Product", "product_id", model=Product, empty_label="No product"),
    Dimension("category", "Category", "category_id", model=Category, empty_label="No category"),
)


def open_at(moment: datetime, prefix: str = "") -> Q:
    return Q(**{f"{prefix}raised_at__lt": moment}) & (
        Q(**{f"{prefix}resolved_at__isnull": True}) | Q(**{f"{prefix}resolved_at__gte": moment})
    )


def percent(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def with_rates(metrics: dict[str, Any]) -> dict[str, Any]:
    """Add the compliance percentages derived from the met/missed counts."""
    return {
        **metrics,
        "response_compliance": percent(
            metrics["response_met"], metrics["response_met"] + metrics["response_missed"]
        ),
        "resolution_compliance": percent(
            metrics["resolution_met"], metrics["resolution_met"] + metrics["resolution_missed"]
        ),
    }


def _empty_metrics() -> dict[str, Any]:
    return {**dict.fromkeys(COUNT_KEYS, 0), "resolve_p50": None, "resolve_p90": None}


def _grouped(
    queryset: QuerySet[Any], *, group: str | None, bucket_field: str, periods: Sequence[Period]
) -> QuerySet[Any]:
    annotations: dict[str, Any] = {"w": week_bucket(bucket_field, periods)}
    names = ["w"]
    if group is not None:
        annotations["g"] = F(group)
        names.append("g")
    return (
        queryset.filter(in_periods(bucket_field, periods))
        .order_by()
        .annotate(**annotations)
        .values(*names)
    )


def _clocks(filters: ReportFilters) -> QuerySet[CaseClock]:
    # Naming every kind lets PostgreSQL range-scan the (kind, breached_at) and (kind,
    # stopped_at) indexes once per kind instead of reading every clock.
    return CaseClock.objects.filter(filters.q("case__"), kind__in=ClockKind.values)


def period_metrics(
    *, periods: Sequence[Period], filters: ReportFilters, dimension: Dimension | None = None
) -> dict[Any, list[dict[str, Any]]]:
    """The figures of each period, per group of ``dimension`` (one group ``None`` without).

    Seven grouped queries whatever the number of periods or groups.
    """
    case_group = dimension.field if dimension else None
    clock_group = f"case__{dimension.field}" if dimension else None
    result: dict[Any, list[dict[str, Any]]] = defaultdict(
        lambda: [_empty_metrics() for _ in periods]
    )

    def put(rows: Any, metric: str, *, value: str = "n", add: bool = False) -> None:
        for row in rows:
            cell = result[row.get("g")][row["w"]]
            cell[metric] = cell[metric] + row[value] if add else row[value]

    cases = Case.objects.filter(filters.q())
    put(
        _grouped(cases, group=case_group, bucket_field="raised_at", periods=periods).annotate(
            n=Count("id")
        ),
        "raised",
    )
    put(
        _grouped(cases, group=case_group, bucket_field="resolved_at", periods=periods).annotate(
            n=Count("id")
        ),
        "resolved",
    )

    # The open backlog at each period's end, in one pass over the cases open at any of them.
    ends = [p.end for p in periods]
    backlog = (
        cases.filter(raised_at__lt=ends[-1])
        .filter(Q(resolved_at__isnull=True) | Q(resolved_at__gte=ends[0]))
        .order_by()
    )
    counts = {f"b{i}": Count("id", filter=open_at(end)) for i, end in enumerate(ends)}
    backlog_rows = (
        backlog.annotate(g=F(case_group)).values("g").annotate(**counts)
        if case_group
        else [backlog.aggregate(**counts)]
    )
    for row in backlog_rows:
        if any(row[f"b{i}"] for i in range(len(ends))):
            for i in range(len(ends)):
                result[row.get("g")][i]["backlog"] = row[f"b{i}"]

    clocks = _clocks(filters)
    met_rows = (
        _grouped(
            clocks.filter(kind__in=COMPLIANCE_KINDS, met=True),
            group=clock_group,
            bucket_field="stopped_at",
            periods=periods,
        )
        .values("kind", *(["g"] if clock_group else []), "w")
        .annotate(n=Count("id"))
    )
    for row in met_rows:
        result[row.get("g")][row["w"]][f"{row['kind']}_met"] = row["n"]
    breach_rows = (
        _grouped(clocks, group=clock_group, bucket_field="breached_at", periods=periods)
        .values("kind", *(["g"] if clock_group else []), "w")
        .annotate(n=Count("id"))
    )
    for row in breach_rows:
        cell = result[row.get("g")][row["w"]]
        cell["breaches"] += row["n"]
        if row["kind"] in COMPLIANCE_KINDS:
            cell[f"{row['kind']}_missed"] = row["n"]

    group_by: dict[str, Any] = {"w": week_bucket("stopped_at", periods)}
    if clock_group:
        group_by["g"] = F(clock_group)
    stopped = clocks.filter(kind=ClockKind.RESOLUTION).filter(in_periods("stopped_at", periods))
    for key, values in grouped_percentiles(
        stopped, group_by=group_by, value="elapsed_seconds", percentiles=PERCENTILES
    ).items():
        cell = result[key[1] if clock_group else None][key[0]]
        cell["resolve_p50"] = round(values[0.5], 1)
        cell["resolve_p90"] = round(values[0.9], 1)

    events = CaseEvent.objects.filter(filters.q("case__"), kind=EventKind.REOPENED)
    put(
        _grouped(events, group=clock_group, bucket_field="created_at", periods=periods).annotate(
            n=Count("case_id", distinct=True)
        ),
        "reopened",
    )
    return {key: [with_rates(m) for m in series] for key, series in result.items()}


def period_counts(*, periods: Sequence[Period], filters: ReportFilters) -> list[dict[str, int]]:
    """Raised, resolved and breaches per period: the cheap summary of weeks not yet frozen."""
    rows = [{"raised": 0, "resolved": 0, "breaches": 0} for _ in periods]
    cases = Case.objects.filter(filters.q())
    for metric, field in (("raised", "raised_at"), ("resolved", "resolved_at")):
        for row in _grouped(cases, group=None, bucket_field=field, periods=periods).annotate(
            n=Count("id")
        ):
            rows[row["w"]][metric] = row["n"]
    clocks = _clocks(filters)
    for row in _grouped(clocks, group=None, bucket_field="breached_at", periods=periods).annotate(
        n=Count("id")
    ):
        rows[row["w"]]["breaches"] = row["n"]
    return rows


def dimension_labels(dimension: Dimension, keys: Sequence[Any]) -> dict[Any, str]:
    labels: dict[Any, str] = {None: dimension.empty_label}
    if dimension.choices is not None:
        labels.update({value: label for value, label in dimension.choices.choices})
    elif dimension.model is not None:
        ids = [k for k in keys if k is not None]
        labels.update(dimension.model._default_manager.filter(pk__in=ids).values_list("pk", "name"))
    return labels


def top_customers(
    *, period: Period, filters: ReportFilters, limit: int = 10
) -> list[dict[str, Any]]:
    """The customers with the most escalations raised in the period."""
    rows = list(
        Case.objects.filter(filters.q())
        .filter(raised_at__gte=period.start, raised_at__lt=period.end)
        .order_by()
        .values("customer_id", "customer__name", "customer__tier")
        .annotate(
            raised=Count("id"),
            high_severity=Count("id", filter=Q(severity__in=(Severity.S1, Severity.S2))),
            still_open=Count("id", filter=open_at(period.end)),
        )
        .order_by("-raised", "customer__name")[:limit]
    )
    breached = dict(
        _clocks(filters)
        .filter(
            case__customer_id__in=[r["customer_id"] for r in rows],
            breached_at__gte=period.start,
            breached_at__lt=period.end,
        )
        .order_by()
        .values("case__customer_id")
        .annotate(n=Count("case_id", distinct=True))
        .values_list("case__customer_id", "n")
    )
    return [
        {
            "customer_id": r["customer_id"],
            "customer": r["customer__name"],
            "tier": r["customer__tier"],
            "raised": r["raised"],
            "high_severity": r["high_severity"],
            "still_open": r["still_open"],
            "breached": breached.get(r["customer_id"], 0),
        }
        for r in rows
    ]


def root_causes(*, period: Period, filters: ReportFilters, limit: int = 10) -> dict[str, Any]:
    """The most frequent root causes of the cases resolved in the period."""
    resolved = (
        Case.objects.filter(filters.q())
        .filter(resolved_at__gte=period.start, resolved_at__lt=period.end)
        .order_by()
    )
    totals = resolved.aggregate(
        resolved=Count("id"), with_cause=Count("id", filter=Q(root_cause__isnull=False))
    )
    rows = (
        resolved.filter(root_cause__isnull=False)
        .values("root_cause_id", "root_cause__name", "root_cause__parent__name")
        .annotate(n=Count("id"))
        .order_by("-n", "root_cause__parent__name", "root_cause__name")[:limit]
    )
    return {
        "resolved": totals["resolved"],
        "with_cause": totals["with_cause"],
        "rows": [
            {
                "root_cause_id": r["root_cause_id"],
                # A top-level cause is its own group.
                "group": r["root_cause__parent__name"] or r["root_cause__name"],
                "cause": r["root_cause__name"],
                "cases": r["n"],
                "share": percent(r["n"], totals["with_cause"]),
            }
            for r in rows
        ],
    }


AGE_BUCKETS: tuple[tuple[str, timedelta | None, timedelta | None], ...] = (
    ("<1d", None, timedelta(days=1)),
    ("1-3d", timedelta(days=1), timedelta(days=3)),
    ("3-7d", timedelta(days=3), timedelta(days=7)),
    ("7-30d", timedelta(days=7), timedelta(days=30)),
    (">30d", timedelta(days=30), None),
)


def backlog_age(*, moment: datetime, filters: ReportFilters) -> list[dict[str, Any]]:
    """The cases open at ``moment`` by age (calendar time since raised), in five buckets."""
    # Ages are elapsed time: a day is 24 hours, also across a clock change.
    moment = moment.astimezone(UTC)
    counts = {}
    for i, (_, younger_bound, older_bound) in enumerate(AGE_BUCKETS):
        # age >= lower and age < upper  <=>  raised_at <= moment-lower and raised_at > moment-upper
        condition = Q()
        if younger_bound is not None:
            condition &= Q(raised_at__lte=moment - younger_bound)
        if older_bound is not None:
            condition &= Q(raised_at__gt=moment - older_bound)
        counts[f"a{i}"] = Count("id", filter=condition)
    totals = Case.objects.filter(filters.q()).filter(open_at(moment)).order_by().aggregate(**counts)
    return [
        {"bucket": label, "cases": totals[f"a{i}"]} for i, (label, _, _) in enumerate(AGE_BUCKETS)
    ]


CASE_ROW_FIELDS = (
    "id",
    "title",
    "customer__name",
    "customer__tier",
    "team__name",
    "severity",
    "status",
    "raised_at",
)


def _case_row(row: dict[str, Any], *, moment: datetime) -> dict[str, Any]:
    return {
        "id": row["id"],
        "reference": Case(pk=row["id"]).reference,
        "title": row["title"],
        "customer": row["customer__name"],
        "tier": row["customer__tier"],
        "team": row["team__name"],
        "severity": row["severity"],
        "status": row["status"],
        "raised_at": row["raised_at"].isoformat(),
        "age_days": round((moment - row["raised_at"]).total_seconds() / 86400, 1),
    }


def strategic_breaches(
    *, period: Period, filters: ReportFilters, limit: int = 25
) -> dict[str, Any]:
    """Cases of strategic customers with a deadline breached in the period."""
    breached = (
        _clocks(filters)
        .filter(
            case__customer__tier=Tier.STRATEGIC,
            breached_at__gte=period.start,
            breached_at__lt=period.end,
        )
        .order_by()
    )
    total = breached.aggregate(n=Count("case_id", distinct=True))["n"]
    firsts = list(
        breached.values("case_id")
        .annotate(first=Min("breached_at"))
        .order_by("first", "case_id")[:limit]
        .values_list("case_id", "first")
    )
    ids = [case_id for case_id, _ in firsts]
    kinds: dict[int, list[str]] = defaultdict(list)
    for case_id, kind in breached.filter(case_id__in=ids).values_list("case_id", "kind"):
        kinds[case_id].append(kind)
    cases = {r["id"]: r for r in Case.objects.filter(pk__in=ids).values(*CASE_ROW_FIELDS)}
    rows = []
    for case_id, first in firsts:
        row = _case_row(cases[case_id], moment=period.end)
        row["breached_at"] = first.isoformat()
        row["breached"] = sorted(kinds[case_id])
        rows.append(row)
    rows.sort(key=lambda r: (r["severity"], r["breached_at"]))
    return {"total": total, "rows": rows}


def longest_open(
    *, moment: datetime, filters: ReportFilters, limit: int = 10
) -> list[dict[str, Any]]:
    """The cases open at ``moment`` that were raised earliest."""
    base = Case.objects.filter(filters.q()).order_by("raised_at", "id")
    # Two index-friendly halves of "open at moment", merged: still unresolved, and resolved later.
    unresolved = base.filter(raised_at__lt=moment, resolved_at__isnull=True)
    resolved_later = base.filter(raised_at__lt=moment, resolved_at__gte=moment)
    halves = [list(qs.values(*CASE_ROW_FIELDS)[:limit]) for qs in (unresolved, resolved_later)]
    merged = sorted(halves[0] + halves[1], key=lambda r: (r["raised_at"], r["id"]))[:limit]
    return [_case_row(r, moment=moment) for r in merged]


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


def satisfaction_series(*, periods: Sequence[Period], filters: ReportFilters) -> dict[str, Any]:
    """Customer satisfaction per period: the mean 1-5 score of the survey answers received in
    it and their number, from the reviews app.

    The reviews app filters answers by team but not by customer tier, so with a tier filter
    the report says the figure is not available rather than showing every tier's.
    """
    blank = [{"csat_average": None, "csat_responses": 0, "csat_satisfied": None} for _ in periods]
    if filters.tier:
        return {"collected": False, "note": "not available by customer tier", "series": blank}
    answers = satisfaction_by_week(
        start=periods[0].start, end=periods[-1].end, filters={"team": filters.team_id}
    )
    weeks = {row["label"]: row for row in answers["weeks"]}
    series = []
    for period, empty in zip(periods, blank, strict=True):
        row = weeks.get(str(period.week))
        if row is None:
            series.append(empty)
            continue
        series.append(
            {
                "csat_average": row["average"],
                "csat_responses": row["count"],
                "csat_satisfied": row["satisfied_share"],
            }
        )
    return {"collected": True, "note": "", "series": series}


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
