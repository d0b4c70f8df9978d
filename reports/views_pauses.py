"""Pause analytics for managers: the figures page and the cases behind each figure. Thin views
over ``reports.pauses``."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from cases.visibility import case_visible_to
from escalation.access import role_required
from escalation.roles import Role
from reports.definitions import percent
from reports.forms_pauses import PauseCasesForm, PauseRangeForm
from reports.pauses import NO_GROUP, PauseFigure, pause_cases, pause_figures
from reports.presentation import format_duration

# "A page for managers": executives read the weekly report, not who waits on whom.
READERS = (Role.MANAGER,)
ROWS_PER_PAGE = 50


def _cases_url(params: dict[str, str], figure: str, **narrowing: str) -> str:
    query = urlencode({**params, "figure": figure, **narrowing})
    return f"{reverse('reports:pauses_cases')}?{query}"


def _linked(rows: list[dict[str, Any]], params: dict[str, str], by: str) -> list[dict[str, Any]]:
    for row in rows:
        key = NO_GROUP if row["key"] is None else str(row["key"])
        row["url"] = _cases_url(params, PauseFigure.WAITING, **{by: key})
        row["waiting"] = format_duration(row["seconds"])
        row["per_case"] = format_duration(row["seconds"] / row["cases"] if row["cases"] else None)
    return rows


@require_GET
@role_required(*READERS)
def pauses(request: HttpRequest) -> HttpResponse:
    """The four figures over a date range (by default the last four ISO weeks)."""
    now = timezone.now()
    form = PauseRangeForm(request.GET, now=now)
    context: dict[str, Any] = {
        "form": form,
        "figures": None,
        "shortly_default": settings.PAUSES_SHORTLY_PERCENT,
        "repeated_default": settings.PAUSES_REPEATED_MIN,
    }
    if not form.is_valid():
        return render(request, "reports/pauses.html", context, status=400)
    terms = form.terms()
    params = form.params()
    figures = pause_figures(terms=terms, now=now)
    saved = figures["saved"]
    shortly = figures["shortly"]
    context |= {
        "terms": terms,
        "figures": figures,
        "waiting_text": format_duration(figures["waiting"]["seconds"]),
        "tables": [
            (
                _("Waiting time per team"),
                _linked(figures["teams"], params, "team"),
                _("No team"),
                "by-team",
            ),
            (
                _("Waiting time per owner"),
                _linked(figures["owners"], params, "owner"),
                _("Unassigned"),
                "by-owner",
            ),
        ],
        "saved_share": percent(saved["saved"], saved["paused"]),
        "shortly_share": percent(shortly.pauses, shortly.begun),
        "urls": {f.value: _cases_url(params, f.value) for f in PauseFigure},
    }
    return render(request, "reports/pauses.html", context)


@require_GET
@role_required(*READERS)
def pauses_cases(request: HttpRequest) -> HttpResponse:
    """The cases behind one figure of the pause page, 50 a page."""
    now = timezone.now()
    form = PauseCasesForm(request.GET, now=now)
    context: dict[str, Any] = {"form": form, "page": None}
    if not form.is_valid():
        return render(request, "reports/pauses_cases.html", context, status=400)
    terms = form.terms()
    figure = PauseFigure(form.cleaned_data["figure"])
    cases = pause_cases(
        cases=case_visible_to(viewer=request.user),
        figure=figure,
        terms=terms,
        narrowing=form.narrowing(),
        now=now,
    )
    paginator = Paginator(cases, ROWS_PER_PAGE)
    number = form.cleaned_data.get("page") or 1
    if number > paginator.num_pages:
        raise Http404("There is no such page of this list.")
    page = paginator.page(number)
    context |= {
        "terms": terms,
        "figure": figure,
        "page": page,
        "rows": [{"case": c, "waiting": format_duration(c.waiting_seconds)} for c in page],
        "group_name": form.group_name(),
        "back": f"{reverse('reports:pauses')}?{urlencode(form.params())}",
    }
    return render(request, "reports/pauses_cases.html", context)
