"""The rows behind one figure of the weekly report, so a reader can check it.

A figure is a metric (``reports.definitions.METRICS``) of one week for the report's filters,
optionally narrowed the way a table of the report narrows it: to groups of one breakdown
dimension, a customer, a root cause, or an age of the open backlog. Its rows are the very
querysets the report counts (``reports.definitions.metric_rows``), so the list and the live
figure agree by construction. A frozen week's figure does not move; its list is read from the
facts as they are now, and ``frozen_figure`` finds the figure to compare it with.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from django.core.paginator import Paginator
from django.db.models import Exists, F, OuterRef, Q, QuerySet, Subquery

from cases.models import Case, Tier
from cases.visibility import case_visible_to
from escalation.roles import AnyUser
from reports.definitions import (
    BREACHES,
    CASES,
    CLOCKS,
    COUNT_KEYS,
    HIGH_SEVERITIES,
    Dimension,
    Metric,
    ReportFilters,
    breaches_in,
    metric_rows,
    reopenings,
)
from reports.selectors.figures import AGE_BUCKETS, age_bucket
from reports.weeks import Span
from sla.models import ClockKind

NO_GROUP = "none"  # the group of cases without a team, product or category, in a URL
CASE_FIELDS = (
    "title",
    "severity",
    "status",
    "raised_at",
    "resolved_at",
    "customer__name",
    "customer__tier",
    "team__name",
)


@dataclass(frozen=True)
class DrillDown:
    """Which figure: ``metric`` of a week for ``filters``, narrowed to ``groups`` of
    ``dimension`` (None for "no team" etc.), one customer, one root cause, or one
    ``AGE_BUCKETS`` index of the backlog."""

    metric: Metric
    filters: ReportFilters = field(default_factory=ReportFilters)
    dimension: Dimension | None = None
    groups: tuple[Any, ...] = ()
    customer_id: int | None = None
    root_cause_id: int | None = None
    age: int | None = None
    # The people page's figures: the cases a person owns (``Case.owner``, the current one).
    owner_id: int | None = None

    def __post_init__(self) -> None:
        if self.age is not None and self.metric.key != "backlog":
            raise ValueError("Only the open backlog is counted by age.")
        if self.age is not None and self.metric.rows != CASES:
            raise ValueError("Only cases have an age.")

    def as_params(self) -> dict[str, str | list[str]]:
        """The GET parameters of this figure's list (the drill-down form reads them back)."""
        params: dict[str, str | list[str]] = {"metric": self.metric.key}
        params |= self.filters.as_params()
        if self.dimension is not None:
            params["dimension"] = self.dimension.key
            params["group"] = [NO_GROUP if g is None else str(g) for g in self.groups]
        if self.customer_id is not None:
            params["customer"] = str(self.customer_id)
        if self.root_cause_id is not None:
            params["root_cause"] = str(self.root_cause_id)
        if self.age is not None:
            params["age"] = str(self.age)
        if self.owner_id is not None:
            params["owner"] = str(self.owner_id)
        return params


@dataclass(frozen=True)
class DrillDownRow:
    """One row of the list: the case, the moment that put it in the week (raised, resolved,
    reopened, deadline met or breached), and for clocks and breaches the deadline's kind; for
    breaches the policy and calendar it breached under."""

    case: Case
    moment: datetime | None
    clock_kind: str = ""
    policy_name: str = ""
    calendar_name: str = ""


@dataclass(frozen=True)
class DrillDownPage:
    rows: list[DrillDownRow]
    count: int
    page: int
    pages: int
    per_page: int
    # For a met (missed) count, the missed (met) one beside it: together they make the rate.
    counterpart: int | None = None

    @property
    def first_index(self) -> int:
        return (self.page - 1) * self.per_page + 1 if self.count else 0

    @property
    def last_index(self) -> int:
        return self.first_index + len(self.rows) - 1 if self.rows else 0


class PageOutOfRange(LookupError):
    pass


def _groups(dimension: Dimension, groups: tuple[Any, ...], prefix: str) -> Q:
    column = f"{prefix}{dimension.field}"
    values = [g for g in groups if g is not None]
    condition = Q(**{f"{column}__in": values}) if values else Q(pk__in=[])
    if None in groups:
        condition |= Q(**{f"{column}__isnull": True})
    return condition


def _narrowing(query: DrillDown, prefix: str) -> Q:
    """The narrowing as a condition on Case (``prefix=""``) or a relation to it."""
    condition = Q()
    if query.dimension is not None:
        condition &= _groups(query.dimension, query.groups, prefix)
    if query.customer_id is not None:
        condition &= Q(**{f"{prefix}customer_id": query.customer_id})
    if query.root_cause_id is not None:
        condition &= Q(**{f"{prefix}root_cause_id": query.root_cause_id})
    if query.owner_id is not None:
        condition &= Q(**{f"{prefix}owner_id": query.owner_id})
    return condition


def _case_moment(metric: Metric, period: Span) -> Any:
    everything = ReportFilters()
    if metric.key == "resolved":
        return F("resolved_at")
    if metric.key == "reopened":
        events = reopenings(everything, [period]).filter(case_id=OuterRef("pk"))
        return Subquery(events.order_by("created_at").values("created_at")[:1])
    if metric.key == "breached_cases":
        breaches = breaches_in(everything, [period]).filter(case_id=OuterRef("pk"))
        return Subquery(breaches.order_by("breached_at").values("breached_at")[:1])
    return F("raised_at")


def drilldown_rows(*, viewer: AnyUser, query: DrillDown, period: Span) -> QuerySet[Any]:
    """Every row behind the figure that ``viewer`` may open, in the order they happened (the
    backlog: oldest first). Cases, or clocks or breach facts with their case, joined in."""
    rows = metric_rows(query.metric, filters=query.filters, period=period)
    visible = case_visible_to(viewer=viewer)
    if query.metric.rows == CASES:
        cases = (visible & rows).filter(_narrowing(query, ""))
        if query.age is not None:
            cases = cases.alias(age=age_bucket(period.end)).filter(age=query.age)
        return (
            cases.annotate(moment=_case_moment(query.metric, period))
            .select_related("customer", "team")
            .only(*CASE_FIELDS)
            .order_by("moment", "id")
        )
    in_case = [f"case__{name}" for name in CASE_FIELDS]
    rows = rows.filter(Exists(visible.filter(pk=OuterRef("case_id"))), _narrowing(query, "case__"))
    rows = rows.select_related("case__customer", "case__team")
    if query.metric.rows == CLOCKS:
        return rows.only("kind", "stopped_at", *in_case).order_by("stopped_at", "id")
    return rows.only(
        "clock_kind", "breached_at", "policy_name", "calendar_name", *in_case
    ).order_by("breached_at", "id")


def _row(metric: Metric, item: Any) -> DrillDownRow:
    if metric.rows == CLOCKS:
        return DrillDownRow(item.case, item.stopped_at, clock_kind=str(ClockKind(item.kind).label))
    if metric.rows == BREACHES:
        return DrillDownRow(
            item.case,
            item.breached_at,
            clock_kind=str(ClockKind(item.clock_kind).label),
            policy_name=item.policy_name,
            calendar_name=item.calendar_name,
        )
    return DrillDownRow(item, item.moment)


def drilldown_page(
    *,
    viewer: AnyUser,
    query: DrillDown,
    period: Span,
    page: int = 1,
    per_page: int = 50,
    counterpart: Metric | None = None,
) -> DrillDownPage:
    """One page of the rows behind the figure, with their total. Queries: the count, the
    page's rows (their cases joined), and the counterpart's count when asked: three, however
    long the page. PageOutOfRange past the last page."""
    paginator = Paginator(drilldown_rows(viewer=viewer, query=query, period=period), per_page)
    if page > paginator.num_pages:
        raise PageOutOfRange(page)
    current = paginator.page(page)
    other = None
    if counterpart is not None:
        mirrored = replace(query, metric=counterpart)
        other = drilldown_rows(viewer=viewer, query=mirrored, period=period).count()
    return DrillDownPage(
        rows=[_row(query.metric, item) for item in current.object_list],
        count=paginator.count,
        page=page,
        pages=paginator.num_pages,
        per_page=per_page,
        counterpart=other,
    )


# --- The frozen figure a list is compared with -------------------------------------------------


def frozen_figure(*, payload: dict[str, Any], query: DrillDown) -> int | None:
    """The figure the frozen ``payload`` shows for ``query``, where the report shows one (the
    headline, a breakdown row, a customer's, a root cause's or an age's count); None when the
    report has no such figure (a customer outside its top ten, say)."""
    key = query.metric.key
    if query.age is not None:
        if query.dimension or query.customer_id or query.root_cause_id:
            return None
        label = AGE_BUCKETS[query.age][0]
        return _find(payload.get("backlog_age", []), "bucket", label, "cases")
    if query.root_cause_id is not None:
        if key != "resolved" or query.dimension or query.customer_id:
            return None
        rows = payload.get("root_causes", {}).get("rows", [])
        return _find(rows, "root_cause_id", query.root_cause_id, "cases")
    if query.customer_id is not None:
        return _customer_figure(payload, query)
    if query.dimension is not None:
        return _group_figure(payload, query)
    return payload["headline"].get(key) if key in COUNT_KEYS else None


def _find(rows: list[dict[str, Any]], column: str, value: Any, figure: str) -> int | None:
    found = next((row for row in rows if row.get(column) == value), None)
    return None if found is None else found.get(figure)


def _customer_figure(payload: dict[str, Any], query: DrillDown) -> int | None:
    key, dimension = query.metric.key, query.dimension
    if dimension is None:
        column = {"raised": "raised", "raised_open": "still_open", "breached_cases": "breached"}
        figure = column.get(key)
    elif (
        key == "raised"
        and dimension.key == "severity"
        and set(query.groups) == set(HIGH_SEVERITIES)
    ):
        figure = "high_severity"
    else:
        figure = None
    if figure is None:
        return None
    return _find(payload.get("top_customers", []), "customer_id", query.customer_id, figure)


def _group_figure(payload: dict[str, Any], query: DrillDown) -> int | None:
    assert query.dimension is not None
    key, dimension = query.metric.key, query.dimension.key
    if key == "breached_cases" and dimension == "tier" and query.groups == (Tier.STRATEGIC,):
        return payload.get("strategic_breaches", {}).get("total")
    if key not in COUNT_KEYS or len(query.groups) != 1:
        return None
    rows = payload.get("breakdowns", {}).get(dimension, [])
    # A group with nothing to count has no row in the breakdown: its figures are zeros.
    return _find(rows, "key", query.groups[0], key) or 0
