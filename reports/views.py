"""Report pages, CSV files and the PDF: thin views over reports.services and reports.selectors."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from escalation.access import role_required, signed_in
from escalation.roles import Role, has_role
from reports.charts import report_charts
from reports.definitions import CLOCKS, percent
from reports.exports import table_csv
from reports.forms import DrillDownForm, ReportFilterForm, WeekListForm
from reports.links import FigureLinks, figure_url
from reports.narrative import narrative_sentences
from reports.pdf import report_pdf
from reports.periods import MONTH, QUARTER, ReportPeriod
from reports.presentation import (
    Table,
    drilldown_moment,
    filter_text,
    headline_cards,
    tables_for,
    week_summary,
)
from reports.selectors import (
    METRICS,
    DrillDown,
    Metric,
    PageOutOfRange,
    ReportFilters,
    drilldown_page,
    first_case_week,
    frozen_figure,
    snapshot_get,
    week_list,
)
from reports.services import WeekReport, week_report
from reports.subscriptions import subscriptions_of
from reports.weeks import IsoWeek, Span, period_for

READERS = (Role.MANAGER, Role.EXECUTIVE)
WEEKS_PER_PAGE = 26
ROWS_PER_PAGE = 50


def _query(filters: ReportFilters) -> str:
    params = filters.as_params()
    return f"?{urlencode(params)}" if params else ""


def _week_or_404(week: IsoWeek, *, now: datetime) -> None:
    """Reports cover the weeks from the year before the first case (the trend of the first
    weeks reaches back into it) to next year, once they have started: anything else is a 404
    (and never date arithmetic near year 1 or 9999)."""
    this_year = IsoWeek.containing(now).year
    if week.year > this_year + 1:
        raise Http404("There is no report for that year.")
    if week.year < this_year - 1:  # only then can it be out of range (one more query)
        first = first_case_week(filters=ReportFilters())
        if week.year < (first.year if first else this_year) - 1:
            raise Http404("There is no report for that year.")
    if now < week.start():
        raise Http404("That week has not started yet.")


def _report_or_404(week: IsoWeek, filters: ReportFilters) -> WeekReport:
    now = timezone.now()
    _week_or_404(week, now=now)
    return week_report(week=week, filters=filters, now=now)


@require_GET
@role_required(*READERS)
def index(request: HttpRequest) -> HttpResponse:
    form = WeekListForm(request.GET)
    if not form.is_valid():
        return render(request, "reports/index.html", {"form": form, "listing": None}, status=400)
    filters = form.filters()
    listing = week_list(
        filters=filters,
        now=timezone.now(),
        page=form.cleaned_data.get("page") or 1,
        per_page=WEEKS_PER_PAGE,
    )
    if not listing.rows:
        raise Http404("There is no such page of weeks.")
    rows = [
        {"week": r.week, "state": r.state, "summary": week_summary(r.headline, r.counts)}
        for r in listing.rows
    ]
    context = {
        "form": form,
        "listing": listing,
        "rows": rows,
        "query": _query(filters),
        "filter_params": filters.as_params(),
        "subscriptions": subscriptions_of(user=signed_in(request)),
        # Pause analytics and people's figures are the managers' (their own pages refuse others).
        "manager_pages": has_role(signed_in(request), Role.MANAGER),
        **_period_links(timezone.now()),
    }
    return render(request, "reports/index.html", context)


def _period_links(now: datetime) -> dict[str, ReportPeriod]:
    """The months and quarters the list of weeks links to (reports.views_periods)."""
    month, quarter = ReportPeriod.containing(now, MONTH), ReportPeriod.containing(now, QUARTER)
    return {
        "this_month": month,
        "last_month": month.previous(),
        "this_quarter": quarter,
        "last_quarter": quarter.previous(),
    }


@require_GET
@role_required(*READERS)
def weekly(request: HttpRequest, week: IsoWeek) -> HttpResponse:
    _week_or_404(week, now=timezone.now())
    form = ReportFilterForm(request.GET)
    next_week = week.next()
    context: dict[str, Any] = {
        "form": form,
        "week": week,
        "payload": None,
        "previous_week": week.previous(),
        "next_week": next_week if next_week.start() <= timezone.now() else None,
    }
    if not form.is_valid():
        return render(request, "reports/weekly.html", context, status=400)
    filters = form.filters()
    report = _report_or_404(week, filters)
    payload = report.payload
    tables = tables_for(payload)
    for table in tables.values():
        _link_cases(table)
    links = FigureLinks(week=week, filters=filters)
    links.tables(tables)
    cards = headline_cards(payload)
    links.cards(cards, headline=payload["headline"])
    charts = report_charts(payload)
    context |= {
        "payload": payload,
        "report": report,
        "cards": cards,
        "tables": tables,
        "charts": charts,
        "charts_data": [c.as_chartjs() for c in charts],
        "sentences": narrative_sentences(payload, links=links),
        "query": _query(filters),
        "filter_text": _filter_text(form),
        "time_zone": settings.TIME_ZONE,
    }
    return render(request, "reports/weekly.html", context)


def _filter_text(form: ReportFilterForm) -> str:
    team = form.cleaned_data.get("team")
    return filter_text(team_name=team.name if team else None, tier=form.cleaned_data.get("tier"))


def _link_cases(table: Table) -> None:
    if any(c.kind == "case" for c in table.columns):
        for row in table.rows:
            row["url"] = reverse("cases:detail", kwargs={"reference": row["reference"]})


@require_GET
@role_required(*READERS)
def weekly_cases(request: HttpRequest, week: IsoWeek) -> HttpResponse:
    """The rows behind one figure of the week's report, live from the facts; for a frozen
    week, with the frozen figure beside the list's length."""
    form = DrillDownForm(request.GET)
    context: dict[str, Any] = {"form": form, "week": week, "listing": None}
    if not form.is_valid():
        return render(request, "reports/weekly_cases.html", context, status=400)
    now = timezone.now()
    _week_or_404(week, now=now)
    period = period_for(week, now=now)
    query = form.drilldown()
    context |= drilldown_context(
        request=request,
        form=form,
        query=query,
        span=period,
        url_of=lambda other: figure_url(week, other),
    )
    snapshot = None if period.live else snapshot_get(week=week, filters=query.filters)
    frozen = frozen_figure(payload=snapshot.payload, query=query) if snapshot else None
    context |= {
        "period": period,
        "snapshot": snapshot,
        "frozen": frozen,
        "differs": frozen is not None and frozen != context["listing"].count,
    }
    return render(request, "reports/weekly_cases.html", context)


def drilldown_context(
    *,
    request: HttpRequest,
    form: DrillDownForm,
    query: DrillDown,
    span: Span,
    url_of: Callable[[DrillDown], str],
) -> dict[str, Any]:
    """What every drill-down list shows (a week's, a period's, a person's): the page of rows
    (404 past the last), the counterpart figure with its link (``url_of`` a query) and the
    share of deadlines met."""
    metric = query.metric
    counterpart = METRICS[metric.counterpart] if metric.counterpart else None
    try:
        listing = drilldown_page(
            viewer=request.user,
            query=query,
            period=span,
            page=form.cleaned_data.get("page") or 1,
            per_page=ROWS_PER_PAGE,
            counterpart=counterpart,
        )
    except PageOutOfRange:
        raise Http404(_("There is no such page of this list.")) from None
    return {
        "query": _query(query.filters),
        "metric": metric,
        "listing": listing,
        "counterpart": counterpart,
        "counterpart_url": url_of(replace(query, metric=counterpart)) if counterpart else "",
        "rate": _rate(metric, listing.count, listing.counterpart),
        "moment": drilldown_moment(metric.key),
        "filter_text": _filter_text(form),
        "narrowing": form.narrowing_text(),
    }


def _rate(metric: Metric, count: int, counterpart: int | None) -> float | None:
    """The share of deadlines met, from a met (or missed) count and its counterpart's."""
    if counterpart is None:
        return None
    met, missed = (count, counterpart) if metric.rows == CLOCKS else (counterpart, count)
    return percent(met, met + missed)


@require_GET
@role_required(*READERS)
# A CSV file is read by machines: its headers and values stay English in every language.
@translation.override("en")
def weekly_csv(request: HttpRequest, week: IsoWeek, table: str) -> HttpResponse:
    form = ReportFilterForm(request.GET)
    if not form.is_valid():
        return HttpResponse(form.errors.as_text(), status=400, content_type="text/plain")
    filters = form.filters()
    tables = tables_for(_report_or_404(week, filters).payload)
    if table not in tables:
        raise Http404("The report has no such table.")
    suffix = "".join(f"-{k}-{v}" for k, v in filters.as_params().items())
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="escalations-{week}-{table}{suffix}.csv"'
    )
    table_csv(tables[table], response)
    return response


@require_GET
@role_required(*READERS)
def weekly_pdf(request: HttpRequest, week: IsoWeek) -> HttpResponse:
    form = ReportFilterForm(request.GET)
    if not form.is_valid():
        return HttpResponse(form.errors.as_text(), status=400, content_type="text/plain")
    filters = form.filters()
    payload = _report_or_404(week, filters).payload
    pdf = report_pdf(payload, filter_text=_filter_text(form))
    suffix = "".join(f"-{k}-{v}" for k, v in filters.as_params().items())
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="escalations-{week}{suffix}.pdf"'
    return response
