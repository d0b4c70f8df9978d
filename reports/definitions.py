"""What the report counts and by what it groups: shared by its selectors and its payload."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Model, Q, QuerySet, TextChoices

from cases.models import Category, Product, Severity, Team, Tier
from sla.models import CaseClock, ClockKind, SlaBreach

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


def empty_metrics() -> dict[str, Any]:
    return {**dict.fromkeys(COUNT_KEYS, 0), "resolve_p50": None, "resolve_p90": None}


def clocks_for(filters: ReportFilters) -> QuerySet[CaseClock]:
    # Naming every kind lets PostgreSQL range-scan the (kind, breached_at) and (kind,
    # stopped_at) indexes once per kind instead of reading every clock.
    return CaseClock.objects.filter(filters.q("case__"), kind__in=ClockKind.values)


def breaches_for(filters: ReportFilters) -> QuerySet[SlaBreach]:
    """The breach facts (``sla.SlaBreach``) of the cases the filters select: every deadline
    missed, once per clock cycle, however the case changed afterwards."""
    return SlaBreach.objects.filter(filters.q("case__"), clock_kind__in=ClockKind.values)
