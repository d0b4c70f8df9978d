"""Per-person figures for managers over any period: cases handled, time to first response,
breaches and reopen rate, each from the rows the report itself counts
(``reports.definitions``), so every figure drills down to its list.

A person's cases are those they own now (``Case.owner``), as the report's team is the case's
current one:

- handled: their cases resolved in the period (``resolved_at`` within it);
- time to first response: the median business time of the first-response clocks of their
  cases that stopped in the period (met or late; pauses excluded);
- breaches: breach facts of any kind of their cases in the period;
- reopen rate: of their cases resolved or reopened in the period, the share reopened in it
  (a case reopened and resolved again counts once in each).

Three grouped queries, one per family of figures, and one for the names: never a query per
person.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db.models import Count, Exists, F, OuterRef, Q

from escalation.users import display_name
from reports.aggregates import Grouping, analytic_queries, percentiles_by
from reports.definitions import (
    ReportFilters,
    breaches_in,
    cases_for,
    first_responses,
    percent,
    reopenings,
    resolved_in,
)
from reports.weeks import Span


@dataclass(frozen=True)
class PersonFigures:
    user_id: int
    name: str
    handled: int = 0
    reopened: int = 0
    # Cases resolved or reopened in the period: the reopen rate's whole.
    touched: int = 0
    response_p50: float | None = None
    breaches: int = 0

    @property
    def reopen_rate(self) -> float | None:
        return percent(self.reopened, self.touched)


def people_figures(*, span: Span, filters: ReportFilters) -> list[PersonFigures]:
    """Every person who owns a case with a figure in ``span``, by name."""
    with analytic_queries():
        cases = _case_counts(span, filters)
        responses = _response_medians(span, filters)
        breaches = dict(
            breaches_in(filters, [span])
            .filter(case__owner__isnull=False)
            .order_by()
            .values("case__owner_id")
            .annotate(n=Count("id"))
            .values_list("case__owner_id", "n")
        )
        ids = set(cases) | set(responses) | set(breaches)
        users = get_user_model().objects.filter(pk__in=ids) if ids else []
        people = [
            PersonFigures(
                user_id=user.pk,
                name=display_name(user),
                **cases.get(user.pk, {}),
                response_p50=responses.get(user.pk),
                breaches=breaches.get(user.pk, 0),
            )
            for user in users
        ]
    return sorted(people, key=lambda p: (p.name.lower(), p.user_id))


def _case_counts(span: Span, filters: ReportFilters) -> dict[int, dict[str, int]]:
    """Handled, reopened and their union per owner, from one scan of the cases."""
    resolved = resolved_in([span])
    reopened_in = reopenings(ReportFilters(), [span]).filter(case_id=OuterRef("pk"))
    rows = (
        cases_for(filters)
        .filter(owner__isnull=False)
        .alias(was_reopened=Exists(reopened_in))
        .filter(resolved | Q(was_reopened=True))
        .order_by()
        .values("owner_id")
        .annotate(
            handled=Count("id", filter=resolved),
            reopened=Count("id", filter=Q(was_reopened=True)),
            touched=Count("id"),
        )
    )
    return {
        row["owner_id"]: {k: row[k] for k in ("handled", "reopened", "touched")} for row in rows
    }


def _response_medians(span: Span, filters: ReportFilters) -> dict[int, float]:
    """The median business time to first response per owner (seconds)."""
    clocks = (
        first_responses(filters, [span])
        .filter(case__owner__isnull=False)
        .order_by()
        .values(person=F("case__owner_id"), v=F("elapsed_seconds"))
    )
    found = percentiles_by(clocks, [Grouping("people", ("person",))], value="v", percentiles=[0.5])
    return {row["person"]: row["percentiles"][0.5] for row in found["people"]}
