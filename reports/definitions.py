"""What the report counts and by what it groups: shared by its selectors and its payload."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Exists, Model, OuterRef, Q, QuerySet, TextChoices
from django.utils.translation import gettext_noop

from cases.models import Case, CaseEvent, Category, EventKind, Product, Severity, Team, Tier
from reports.aggregates import in_periods
from reports.weeks import Span
from sla.models import CaseClock, ClockKind, SlaBreach

COMPLIANCE_KINDS = (ClockKind.RESPONSE, ClockKind.RESOLUTION)
# "S1 or S2" in the customers table.
HIGH_SEVERITIES = (Severity.S1, Severity.S2)
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
    # Titles and labels stay English (frozen payloads keep them); pages translate them.
    key: str
    title: str
    field: str
    model: type[Model] | None = None
    choices: type[TextChoices] | None = None
    empty_label: str = gettext_noop("None")


DIMENSIONS: tuple[Dimension, ...] = (
    Dimension(
        "team", gettext_noop("Team"), "team_id", model=Team, empty_label=gettext_noop("No team")
    ),
    Dimension("severity", gettext_noop("Severity"), "severity", choices=Severity),
    Dimension("tier", gettext_noop("Customer tier"), "customer__tier", choices=Tier),
    Dimension(
        "product",
        gettext_noop("Product"),
        "product_id",
        model=Product,
        empty_label=gettext_noop("No product"),
    ),
    Dimension(
        "category",
        gettext_noop("Category"),
        "category_id",
        model=Category,
        empty_label=gettext_noop("No category"),
    ),
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


def empty_metrics() -> dict[str, Any]:
    return {**dict.fromkeys(COUNT_KEYS, 0), "resolve_p50": None, "resolve_p90": None}


# --- What each figure counts, defined once ------------------------------------------------
# The aggregations (reports.selectors.figures, .lists) count these rows over a span of weeks;
# the drill-down lists (reports.selectors.drilldown) list them for one week.


def cases_for(filters: ReportFilters) -> QuerySet[Case]:
    return Case.objects.filter(filters.q())


def raised_in(periods: Sequence[Span]) -> Q:
    return in_periods("raised_at", periods)


def resolved_in(periods: Sequence[Span]) -> Q:
    return in_periods("resolved_at", periods)


def open_during(periods: Sequence[Span]) -> Q:
    """Open at some moment of the span: raised before its end and not resolved before its
    start. Every case raised, resolved, or open at the end of one of the periods is one."""
    return Q(raised_at__lt=periods[-1].end) & (
        Q(resolved_at__isnull=True) | Q(resolved_at__gte=periods[0].start)
    )


def clocks_for(filters: ReportFilters) -> QuerySet[CaseClock]:
    # Naming every kind lets PostgreSQL range-scan the (kind, breached_at) and (kind,
    # stopped_at) indexes once per kind instead of reading every clock.
    return CaseClock.objects.filter(filters.q("case__"), kind__in=ClockKind.values)


def breaches_for(filters: ReportFilters) -> QuerySet[SlaBreach]:
    """The breach facts (``sla.SlaBreach``) of the cases the filters select: every deadline
    missed, once per clock cycle, however the case changed afterwards."""
    return SlaBreach.objects.filter(filters.q("case__"), clock_kind__in=ClockKind.values)


def deadlines_met(filters: ReportFilters, periods: Sequence[Span]) -> QuerySet[CaseClock]:
    """First-response and resolution clocks that stopped in time during the periods."""
    return (
        clocks_for(filters)
        .filter(kind__in=COMPLIANCE_KINDS, met=True)
        .filter(in_periods("stopped_at", periods))
    )


def breaches_in(filters: ReportFilters, periods: Sequence[Span]) -> QuerySet[SlaBreach]:
    """The breach facts whose deadline passed during the periods."""
    return breaches_for(filters).filter(in_periods("breached_at", periods))


def resolution_times(filters: ReportFilters, periods: Sequence[Span]) -> QuerySet[CaseClock]:
    """Resolution clocks stopped during the periods, with their business time."""
    return (
        clocks_for(filters)
        .filter(kind=ClockKind.RESOLUTION, elapsed_seconds__isnull=False)
        .filter(in_periods("stopped_at", periods))
    )


def first_responses(filters: ReportFilters, periods: Sequence[Span]) -> QuerySet[CaseClock]:
    """First-response clocks stopped during the periods (met or late), with their business
    time: what a person's time to first response is the median of."""
    return (
        clocks_for(filters)
        .filter(kind=ClockKind.RESPONSE, elapsed_seconds__isnull=False)
        .filter(in_periods("stopped_at", periods))
    )


def reopenings(filters: ReportFilters, periods: Sequence[Span]) -> QuerySet[CaseEvent]:
    """``reopened`` timeline events during the periods (a case reopened twice has two)."""
    return CaseEvent.objects.filter(filters.q("case__"), kind=EventKind.REOPENED).filter(
        in_periods("created_at", periods)
    )


@dataclass(frozen=True)
class Metric:
    """One count of the report, as its drill-down lists it. ``rows``: what one row of the list
    is: a case, a deadline met (a clock), or a breach fact; ``kind``: the deadline a met or
    missed count is about."""

    key: str
    title: str
    rows: str
    kind: str | None = None
    # The met/missed counterpart of a compliance count, so a list can give the rate.
    counterpart: str | None = None


CASES, CLOCKS, BREACHES = "cases", "clocks", "breaches"

METRICS: dict[str, Metric] = {
    m.key: m
    for m in (
        Metric("raised", gettext_noop("Escalations raised"), CASES),
        Metric("resolved", gettext_noop("Escalations resolved"), CASES),
        Metric("backlog", gettext_noop("Open at the end of the week"), CASES),
        Metric(
            "response_met",
            gettext_noop("First-response deadlines met"),
            CLOCKS,
            ClockKind.RESPONSE,
            "response_missed",
        ),
        Metric(
            "response_missed",
            gettext_noop("First-response deadlines missed"),
            BREACHES,
            ClockKind.RESPONSE,
            "response_met",
        ),
        Metric(
            "resolution_met",
            gettext_noop("Resolution deadlines met"),
            CLOCKS,
            ClockKind.RESOLUTION,
            "resolution_missed",
        ),
        Metric(
            "resolution_missed",
            gettext_noop("Resolution deadlines missed"),
            BREACHES,
            ClockKind.RESOLUTION,
            "resolution_met",
        ),
        Metric("breaches", gettext_noop("SLA breaches"), BREACHES),
        Metric("reopened", gettext_noop("Reopened cases"), CASES),
        # Two counts of the report's lists (customers, strategic customers' breaches).
        Metric("raised_open", gettext_noop("Raised and still open at the end of the week"), CASES),
        Metric("breached_cases", gettext_noop("Cases with an SLA breach"), CASES),
        # The people page's time to first response (reports.people).
        Metric("responded", gettext_noop("First responses"), CLOCKS, ClockKind.RESPONSE),
    )
}


def metric_rows(metric: Metric, *, filters: ReportFilters, period: Span) -> QuerySet[Any]:
    """The rows ``metric`` counts in ``period``: their number is the figure the report shows."""
    periods = [period]
    everything = ReportFilters()
    if metric.key == "responded":
        return first_responses(filters, periods)
    if metric.rows == CLOCKS:
        return deadlines_met(filters, periods).filter(kind=metric.kind)
    if metric.rows == BREACHES:
        breaches = breaches_in(filters, periods)
        return breaches.filter(clock_kind=metric.kind) if metric.kind else breaches
    cases = cases_for(filters)
    if metric.key == "raised":
        return cases.filter(raised_in(periods))
    if metric.key == "resolved":
        return cases.filter(resolved_in(periods))
    if metric.key == "backlog":
        return cases.filter(open_at(period.end))
    if metric.key == "raised_open":
        return cases.filter(raised_in(periods), open_at(period.end))
    if metric.key == "reopened":
        events = reopenings(everything, periods).filter(case_id=OuterRef("pk"))
        return cases.filter(Exists(events))
    if metric.key == "breached_cases":
        breached = breaches_in(everything, periods).filter(case_id=OuterRef("pk"))
        return cases.filter(Exists(breached))
    raise ValueError(f"no rows defined for the metric {metric.key!r}")
