"""The report's lists: customers, root causes, breached strategic cases, cases open longest."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import Count, Min, Q

from cases.models import Case, Tier
from incidents.models import MajorIncident
from reports.definitions import (
    HIGH_SEVERITIES,
    ReportFilters,
    breaches_in,
    cases_for,
    open_at,
    percent,
    raised_in,
    resolved_in,
)
from reports.weeks import Span
from sla.models import ClockKind


def top_customers(*, period: Span, filters: ReportFilters, limit: int = 10) -> list[dict[str, Any]]:
    """The customers with the most escalations raised in the period."""
    rows = list(
        cases_for(filters)
        .filter(raised_in([period]))
        .order_by()
        .values("customer_id", "customer__name", "customer__tier")
        .annotate(
            raised=Count("id"),
            high_severity=Count("id", filter=Q(severity__in=HIGH_SEVERITIES)),
            still_open=Count("id", filter=open_at(period.end)),
        )
        .order_by("-raised", "customer__name")[:limit]
    )
    breached = dict(
        breaches_in(filters, [period])
        .filter(case__customer_id__in=[r["customer_id"] for r in rows])
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


def root_causes(*, period: Span, filters: ReportFilters, limit: int = 10) -> dict[str, Any]:
    """The most frequent root causes of the cases resolved in the period."""
    resolved = cases_for(filters).filter(resolved_in([period])).order_by()
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


def strategic_breaches(*, period: Span, filters: ReportFilters, limit: int = 25) -> dict[str, Any]:
    """Cases of strategic customers with a deadline breached in the period: how many, and the
    first ``limit`` by breach time with the kinds of deadline they missed."""
    breached = breaches_in(filters, [period]).filter(case__customer__tier=Tier.STRATEGIC).order_by()
    total = breached.aggregate(n=Count("case_id", distinct=True))["n"]
    fields = [f"case__{name}" for name in CASE_ROW_FIELDS]
    per_kind = {f"k_{kind}": Count("id", filter=Q(clock_kind=kind)) for kind in ClockKind.values}
    grouped = (
        breached.values(*fields)
        .annotate(first=Min("breached_at"), **per_kind)
        .order_by("first", "case__id")[:limit]
    )
    rows = []
    for found in grouped:
        row = _case_row(
            {name: found[f"case__{name}"] for name in CASE_ROW_FIELDS}, moment=period.end
        )
        row["breached_at"] = found["first"].isoformat()
        row["breached"] = [kind for kind in sorted(ClockKind.values) if found[f"k_{kind}"]]
        rows.append(row)
    rows.sort(key=lambda r: (r["severity"], r["breached_at"]))
    return {"total": total, "rows": rows}


def longest_open(
    *, moment: datetime, filters: ReportFilters, limit: int = 10
) -> list[dict[str, Any]]:
    """The cases open at ``moment`` that were raised earliest."""
    base = cases_for(filters).order_by("raised_at", "id")
    # Two index-friendly halves of "open at moment", merged: still unresolved, and resolved later.
    unresolved = base.filter(raised_at__lt=moment, resolved_at__isnull=True)
    resolved_later = base.filter(raised_at__lt=moment, resolved_at__gte=moment)
    halves = [list(qs.values(*CASE_ROW_FIELDS)[:limit]) for qs in (unresolved, resolved_later)]
    merged = sorted(halves[0] + halves[1], key=lambda r: (r["raised_at"], r["id"]))[:limit]
    return [_case_row(r, moment=moment) for r in merged]


def major_incidents(*, period: Span, filters: ReportFilters) -> dict[str, int]:
    """The major incidents declared in the period (their parent case within the filters) and
    the customers they affected: those of the parents and of their children, each once."""
    parents = MajorIncident.objects.filter(
        declared_at__gte=period.start,
        declared_at__lt=period.end,
        case__in=cases_for(filters),
    ).values("case_id")
    declared = parents.count()
    affected = (
        Case.objects.filter(Q(pk__in=parents) | Q(parent__in=parents))
        .order_by()
        .values("customer_id")
        .distinct()
        .count()
        if declared
        else 0
    )
    return {"declared": declared, "affected_customers": affected}
