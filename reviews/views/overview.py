"""Managers' pages: the dashboard, patterns across escalations, customers at risk."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from cases.filters import NO_TEAM
from cases.models import Team
from cases.selectors_live import case_live_region
from escalation.access import role_required, signed_in
from escalation.roles import Role
from reviews import selectors
from reviews.selectors.dashboard import Dashboard, dashboard_customers
from reviews.selectors.patterns import LONG_DAYS, SHORT_DAYS
from reviews.selectors.review import ReviewState
from sla.selectors import CaseSlaState


@dataclass(frozen=True)
class Figure:
    """A count of the dashboard and the list of what it counts ("" when no page lists exactly
    those)."""

    count: int
    url: str = ""


@dataclass(frozen=True)
class ListTotal:
    """A dashboard list cut at LIST_LIMIT rows: how many it shows of how many, and the pages
    that list them all as (label, url): one, or one per team where the queue cannot take the
    teams together, or the due and the overdue reviews."""

    shown: int
    total: int
    links: list[tuple[str, str]]
    note: str = ""


def _queue(params: dict[str, Any], **more: Any) -> str:
    query = urlencode({**params, **more}, doseq=True)
    return reverse("cases:queue") + (f"?{query}" if query else "")


def _queue_scope(teams: list[Team]) -> dict[str, Any]:
    """The queue parameters selecting the dashboard's cases (the queue shows open cases
    unless told otherwise): nothing for every team, else the manager's teams."""
    return {"team": [t.pk for t in teams]} if teams else {}


def _figures(board: Dashboard, scope: dict[str, Any]) -> dict[str, Any]:
    """Each count of the dashboard with the queue (or reviews) list of what it counts; the
    queue's ``sla`` filter is the dashboard's own SLA-state expression."""
    states = [state for state, _label in board.states]
    rows = []
    for team in board.teams:
        own = {"team": team.id if team.id is not None else NO_TEAM}
        rows.append(
            {
                "name": team.name,
                "cells": [
                    Figure(n, _queue(own, sla=state))
                    for n, state in zip(team.cells(), states, strict=True)
                ],
                "total": Figure(team.total, _queue(own)),
            }
        )
    totals = board.state_totals()
    reviews = reverse("reviews:list")
    return {
        "rows": rows,
        "totals": [
            Figure(n, _queue(scope, sla=state)) for n, state in zip(totals, states, strict=True)
        ],
        "total": Figure(sum(totals), _queue(scope)),
        "at_risk": Figure(
            board.at_risk_count,
            _queue(scope, sla=[CaseSlaState.BREACHED.value, CaseSlaState.AT_RISK.value]),
        ),
        "unassigned": Figure(board.unassigned_count, _queue(scope, unassigned="true")),
        "reviews_due": Figure(
            board.reviews_pending - board.reviews_overdue, f"{reviews}?state={ReviewState.DUE}"
        ),
        "reviews_overdue": Figure(board.reviews_overdue, f"{reviews}?state={ReviewState.OVERDUE}"),
        "lists": _lists(board, scope),
    }


def _lists(board: Dashboard, scope: dict[str, Any]) -> dict[str, ListTotal]:
    """The totals under the dashboard's lists, linked to where all their rows are listed."""

    def in_queue(shown: int, total: int, **more: Any) -> ListTotal:
        label = _("all %(total)s in the queue") % {"total": total}
        return ListTotal(shown, total, [(label, _queue(scope, **more))])

    at_risk = [CaseSlaState.BREACHED.value, CaseSlaState.AT_RISK.value]
    reviews = reverse("reviews:list")
    due = board.reviews_pending - board.reviews_overdue
    return {
        "at_risk": in_queue(
            len(board.at_risk),
            board.at_risk_count,
            sla=at_risk,
        ),
        "unassigned": in_queue(
            len(board.unassigned),
            board.unassigned_count,
            unassigned="true",
        ),
        "reviews": ListTotal(
            len(board.reviews),
            board.reviews_pending,
            [
                (label % {"count": n}, f"{reviews}?state={state}")
                for n, state, label in (
                    (due, ReviewState.DUE, _("%(count)s due")),
                    (board.reviews_overdue, ReviewState.OVERDUE, _("%(count)s overdue")),
                )
                if n
            ],
        ),
        # No page lists every due corrective action: each is on its case's review, linked from
        # its row, and "My actions" lists one's own.
        "actions": ListTotal(
            len(board.actions),
            board.actions_due,
            [(_("my actions"), reverse("reviews:actions_mine"))],
            note=_("each is on its case's review"),
        ),
    }


@require_GET
@role_required(Role.MANAGER)
def dashboard(request: HttpRequest) -> HttpResponse:
    manager = signed_in(request)
    live = case_live_region(viewer=manager)  # before the board is read
    board = selectors.dashboard_for(manager=manager)
    context = {
        "live": live,
        "board": board,
        "figures": _figures(board, _queue_scope(board.overseen)),
        "today": timezone.localdate(),
    }
    return render(request, "reviews/dashboard.html", context)


@require_GET
@role_required(Role.MANAGER)
def dashboard_customers_panel(request: HttpRequest) -> HttpResponse:
    """The dashboard's "Customers at risk" panel and its summary card's count, fetched when the
    dashboard loads (five queries the first paint need not wait for); the same access as the
    dashboard. Every team's customers, as the risk page lists them."""
    at_risk = dashboard_customers()
    risk_url = reverse("reviews:risk")
    context = {
        "customers": at_risk.customers,
        "figure": Figure(at_risk.count, risk_url),
        "total": ListTotal(
            len(at_risk.customers), at_risk.count, [(_("all customers at risk"), risk_url)]
        ),
    }
    return render(request, "reviews/_dashboard_customers.html", context)


@require_GET
@role_required(Role.MANAGER, Role.EXECUTIVE)
def patterns(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    context = {
        "root_causes": selectors.recurring_root_causes(now=now),
        "groups": selectors.root_cause_groups(now=now),
        "products": selectors.rising(dimension="product", now=now),
        "categories": selectors.rising(dimension="category", now=now),
        "customers": selectors.repeat_customers(now=now),
        "short_days": SHORT_DAYS,
        "long_days": LONG_DAYS,
    }
    return render(request, "reviews/patterns.html", context)


@require_GET
@role_required(Role.MANAGER, Role.EXECUTIVE)
def risk(request: HttpRequest) -> HttpResponse:
    return render(request, "reviews/risk.html", {"customers": selectors.customers_at_risk()})
