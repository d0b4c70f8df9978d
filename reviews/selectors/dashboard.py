"""The escalation manager's home page: everything that needs a manager today, aggregated."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from django.contrib.auth.models import User
from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from cases.models import Case, Team
from reviews.models import CorrectiveAction, Review
from reviews.selectors.patterns import CustomerRisk, customers_at_risk
from reviews.selectors.review import actions_due, reviews_pending
from sla.selectors import CaseSlaState, ClockState, case_sla_state, clock_states_for

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

SLA_STATES: tuple[tuple[str, StrOrPromise], ...] = tuple(CaseSlaState.choices)
LIST_LIMIT = 10


@dataclass
class TeamLoad:
    id: int | None
    name: str
    counts: dict[str, int] = field(default_factory=dict)
    unassigned: int = 0

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def cells(self) -> list[int]:
        return [self.counts.get(state, 0) for state, _ in SLA_STATES]

    @property
    def at_risk(self) -> int:
        return self.counts.get(CaseSlaState.BREACHED, 0) + self.counts.get(CaseSlaState.AT_RISK, 0)


@dataclass
class Dashboard:
    scope: str
    overseen: list[Team]  # the manager's teams (manager_teams); none: every team
    teams: list[TeamLoad]
    at_risk: list[tuple[Case, list[ClockState]]]
    at_risk_count: int
    unassigned: list[Case]
    unassigned_count: int
    reviews_pending: int
    reviews_overdue: int
    reviews: list[Review]
    actions_due: int
    actions_overdue: int
    actions: list[CorrectiveAction]
    states: tuple[tuple[str, StrOrPromise], ...] = SLA_STATES

    def state_totals(self) -> list[int]:
        return [sum(t.counts.get(state, 0) for t in self.teams) for state, _ in SLA_STATES]


def manager_teams(*, manager: User) -> list[Team]:
    """The teams a manager oversees: those they lead or belong to, and every team whose
    escalation path (``escalates_to``, followed upwards) reaches one of those. None means the
    manager oversees every team. Two small queries; the walk is done in memory."""
    teams = {t.pk: t for t in Team.objects.filter(is_active=True).order_by("name")}
    overseen = {
        pk
        for pk in Team.objects.filter(Q(lead=manager) | Q(members=manager))
        .values_list("pk", flat=True)
        .distinct()
        if pk in teams
    }
    grew = bool(overseen)
    while grew:
        below = {pk for pk, t in teams.items() if t.escalates_to_id in overseen} - overseen
        overseen |= below
        grew = bool(below)
    return [t for pk, t in teams.items() if pk in overseen]


def _team_loads(
    open_cases: QuerySet[Case], *, teams: list[Team], now: datetime
) -> dict[int | None, TeamLoad]:
    """Each team's open cases by SLA state (one grouped query): every one of ``teams``, and any
    other team (or none) an open case is in."""
    loads: dict[int | None, TeamLoad] = {t.pk: TeamLoad(t.pk, t.name) for t in teams}
    for row in (
        open_cases.annotate(sla=case_sla_state(now=now))
        .values("team_id", "team__name", "sla")
        .annotate(n=Count("id"), unassigned=Count("id", filter=Q(owner__isnull=True)))
        .order_by()
    ):
        load = loads.setdefault(
            row["team_id"], TeamLoad(row["team_id"], row["team__name"] or "No team")
        )
        load.counts[row["sla"]] = row["n"]
        load.unassigned += row["unassigned"]
    return loads


def dashboard_for(*, manager: User, now: datetime | None = None) -> Dashboard:
    """The manager's teams' open cases by SLA state, those at risk now and those unassigned;
    pending reviews and due actions. A fixed number of queries. Customers at risk are read
    apart (``dashboard_customers``), by the panel the page fetches when it loads."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    teams = manager_teams(manager=manager)
    open_cases: QuerySet[Case] = Case.objects.open()
    if teams:
        open_cases = open_cases.filter(team__in=teams)
    scope = ", ".join(t.name for t in teams) if teams else "all teams"
    loads = _team_loads(open_cases, teams=teams, now=now)
    unassigned_count = sum(load.unassigned for load in loads.values())

    display = ("customer", "team", "owner")
    at_risk = list(
        open_cases.annotate(sla=case_sla_state(now=now))
        .filter(sla__in=[CaseSlaState.BREACHED, CaseSlaState.AT_RISK])
        .select_related(*display)
        .order_by("next_due_at", "id")[:LIST_LIMIT]
    )
    states = clock_states_for(cases=at_risk, now=now)
    at_risk_count = sum(load.at_risk for load in loads.values())
    unassigned = list(
        open_cases.filter(owner__isnull=True)
        .select_related(*display)
        .order_by("raised_at", "id")[:LIST_LIMIT]
    )
    reviews_total, reviews_overdue, reviews = reviews_pending(today=today, limit=LIST_LIMIT)
    actions_total, actions_overdue, actions = actions_due(today=today, limit=LIST_LIMIT)
    return Dashboard(
        scope=scope,
        overseen=teams,
        teams=sorted(loads.values(), key=lambda t: (t.id is None, t.name)),
        at_risk=[(case, states[case.pk]) for case in at_risk],
        at_risk_count=at_risk_count,
        unassigned=unassigned,
        unassigned_count=unassigned_count,
        reviews_pending=reviews_total,
        reviews_overdue=reviews_overdue,
        reviews=reviews,
        actions_due=actions_total,
        actions_overdue=actions_overdue,
        actions=actions,
    )


@dataclass(frozen=True)
class DashboardCustomers:
    """The dashboard's customers at risk: the first LIST_LIMIT, and how many there are."""

    customers: list[CustomerRisk]
    count: int


def dashboard_customers(*, now: datetime | None = None) -> DashboardCustomers:
    """Every team's customers at risk (all of them, to count them: the same five queries as
    the first ten, ``customers_at_risk``)."""
    customers = customers_at_risk(now=now or timezone.now())
    return DashboardCustomers(customers=customers[:LIST_LIMIT], count=len(customers))
