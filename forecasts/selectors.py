"""Reads of the stored forecasts, for the case pages, the queue and the clocks API."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from django.conf import settings
from django.db.models import Exists, OuterRef, Q

from cases.extensions import BreachRisk
from cases.models import Case
from forecasts.models import ClockRisk
from sla.models import ClockKind


def risk_threshold() -> float:
    """The probability from which a clock is "likely to breach" (FORECAST_RISK_PERCENT)."""
    return settings.FORECAST_RISK_PERCENT / 100


def risks_for(*, cases: Sequence[Case | int]) -> dict[int, dict[str, BreachRisk]]:
    """The stored risk of each running clock of ``cases``, by case id then clock kind (one
    query). Cases whose clocks have no forecast yet are left out."""
    ids = [c if isinstance(c, int) else c.pk for c in cases]
    threshold = risk_threshold()
    out: dict[int, dict[str, BreachRisk]] = {}
    rows = ClockRisk.objects.filter(case_id__in=ids, clock__stopped_at__isnull=True).values_list(
        "case_id", "kind", "probability", "reasons"
    )
    for case_id, kind, probability, reasons in rows:
        out.setdefault(case_id, {})[kind] = BreachRisk(
            kind=kind,
            kind_label=str(ClockKind(kind).label) if kind in ClockKind.values else kind,
            probability=probability,
            reasons=[str(r) for r in reasons or ()],
            likely=probability >= threshold,
        )
    return out


def likely_to_breach() -> Q:
    """Cases with a running clock whose stored risk reaches the threshold (an EXISTS on the
    risks' (probability, case) index)."""
    risky = ClockRisk.objects.filter(
        case_id=OuterRef("pk"),
        probability__gte=risk_threshold(),
        clock__stopped_at__isnull=True,
    )
    return Q(Exists(risky))


def risks_by_kind(*, case: Case) -> Mapping[str, BreachRisk]:
    return risks_for(cases=[case]).get(case.pk, {})
