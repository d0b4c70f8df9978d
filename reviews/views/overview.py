"""Managers' pages: the dashboard, patterns across escalations, customers at risk."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from escalation.access import role_required
from escalation.roles import Role
from reviews import selectors
from reviews.selectors.patterns import LONG_DAYS, SHORT_DAYS
from reviews.views.common import me


@require_GET
@role_required(Role.MANAGER)
def dashboard(request: HttpRequest) -> HttpResponse:
    board = selectors.dashboard_for(manager=me(request))
    return render(
        request, "reviews/dashboard.html", {"board": board, "today": timezone.localdate()}
    )


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
