"""The report of a month, a quarter or any range of days, its drill-down lists and CSV files,
and the people page: thin views over reports.periods and reports.people."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from escalation.access import role_required
from escalation.roles import Role, has_role
from reports.charts import report_charts
from reports.exports import table_csv
from reports.forms import ReportFilterForm
from reports.forms_periods import PeopleForm, PeriodDrillDownForm, PeriodRangeForm
from reports.links import COLUMN_METRICS, FigureLinks
from reports.pdf import html_pdf, period_pdf_html
from reports.people import people_figures
from reports.period_payload import period_report
from reports.periods import MAX_RANGE_DAYS, ReportPeriod, period_span
from reports.presentation_periods import (
    people_table,
    period_cards,
    period_charts,
    period_tables,
)
from reports.selectors import ReportFilters
from reports.views import READERS, _filter_text, _query, drilldown_context

PERIOD_CASES = "reports:period_cases"


def _started_or_404(period: ReportPeriod) -> None:
    if period.start() > timezone.now():
        raise Http404(_("That period has not started yet."))


def _links(period: ReportPeriod, filters: ReportFilters) -> FigureLinks:
    return FigureLinks(week=period, filters=filters, view=PERIOD_CASES)


@require_GET
@role_required(*READERS)
def period(request: HttpRequest, period: ReportPeriod) -> HttpResponse:
    """A month's, quarter's or range's report, computed (periods are never frozen)."""
    _started_or_404(period)
    form = ReportFilterForm(request.GET)
    following = period.next()
    context: dict[str, Any] = {
        "form": form,
        "period": period,
        "payload": None,
        "previous_period": period.previous(),
        "next_period": following if following.start() <= timezone.now() else None,
        "range_form": PeriodRangeForm(initial={"start": period.first, "end": period.last}),
    }
    if not form.is_valid():
        return render(request, "reports/period.html", context, status=400)
    filters = form.filters()
    payload = period_report(period=period, filters=filters, now=timezone.now())
    links = _links(period, filters)
    cards = period_cards(payload)
    links.cards(cards, headline=payload["headline"])
    tables = period_tables(payload)
    for row in tables["trend"].rows:
        links.columns(row, week=row["week"])
    for key in payload["breakdowns"]:
        dimension = key
        for row in tables[f"by_{key}"].rows:
            row["links"] = {
                column: links.group_url(metric, dimension, row["key"])
                for column, metric in COLUMN_METRICS.items()
                if row.get(column) is not None
            }
    charts = period_charts(report_charts(payload), grain=period.grain)
    context |= {
        "payload": payload,
        "cards": cards,
        "tables": tables,
        "charts": charts,
        "charts_data": [c.as_chartjs() for c in charts],
        "query": _query(filters),
        "filter_text": _filter_text(form),
        "time_zone": settings.TIME_ZONE,
    }
    return render(request, "reports/period.html", context)


@require_GET
@role_required(*READERS)
def period_range(request: HttpRequest) -> HttpResponse:
    """The custom range form: a valid range goes to its report, else the form with its errors."""
    form = PeriodRangeForm(request.GET)
    if not form.is_valid():
        status = 400 if request.GET else 200
        context = {"form": form, "max_days": MAX_RANGE_DAYS}
        return render(request, "reports/period_range.html", context, status=status)
    params = form.filters().as_params()
    url = reverse("reports:period", kwargs={"period": form.chosen_period()})
    return redirect(f"{url}?{urlencode(params)}" if params else url)


@require_GET
@role_required(*READERS)
def period_cases(request: HttpRequest, period: ReportPeriod) -> HttpResponse:
    """The rows behind one figure of a period's report (or of the people page)."""
    form = PeriodDrillDownForm(request.GET)
    context: dict[str, Any] = {"form": form, "period": period, "listing": None}
    if not form.is_valid():
        return render(request, "reports/period_cases.html", context, status=400)
    query = form.drilldown()
    if query.owner_id is not None and not has_role(request.user, Role.MANAGER):
        raise PermissionDenied(_("People's figures are for managers."))
    _started_or_404(period)
    span = period_span(period, now=timezone.now())
    path = reverse(PERIOD_CASES, kwargs={"period": period})
    context |= drilldown_context(
        request=request,
        form=form,
        query=query,
        span=span,
        url_of=lambda other: f"{path}?{urlencode(other.as_params(), doseq=True)}",
    )
    context |= {
        "span": span,
        "back_url": _back_url(query.owner_id is not None, period, query.filters),
    }
    return render(request, "reports/period_cases.html", context)


def _back_url(people: bool, period: ReportPeriod, filters: ReportFilters) -> str:
    if people:
        params = {"period": str(period), **filters.as_params()}
        return f"{reverse('reports:people')}?{urlencode(params)}"
    return reverse("reports:period", kwargs={"period": period}) + _query(filters)


@require_GET
@role_required(*READERS)
def period_csv(request: HttpRequest, period: ReportPeriod, table: str) -> HttpResponse:
    _started_or_404(period)
    form = ReportFilterForm(request.GET)
    if not form.is_valid():
        return HttpResponse(form.errors.as_text(), status=400, content_type="text/plain")
    filters = form.filters()
    tables = period_tables(period_report(period=period, filters=filters, now=timezone.now()))
    if table not in tables:
        raise Http404(_("The report has no such table."))
    return _csv(tables[table], f"escalations-{period}-{table}", filters)


@require_GET
@role_required(*READERS)
def period_pdf(request: HttpRequest, period: ReportPeriod) -> HttpResponse:
    """The period's report as a PDF: the page's payload, cards, charts and tables."""
    _started_or_404(period)
    form = ReportFilterForm(request.GET)
    if not form.is_valid():
        return HttpResponse(form.errors.as_text(), status=400, content_type="text/plain")
    filters = form.filters()
    payload = period_report(period=period, filters=filters, now=timezone.now())
    pdf = html_pdf(period_pdf_html(payload, filter_text=_filter_text(form)))
    response = HttpResponse(pdf, content_type="application/pdf")
    name = _file_name(f"escalations-{period}", filters)
    response["Content-Disposition"] = f'inline; filename="{name}.pdf"'
    return response


def _file_name(name: str, filters: ReportFilters) -> str:
    suffix = "".join(f"-{k}-{v}" for k, v in filters.as_params().items())
    # A range's ".." would read as a path in some browsers' file names.
    return f"{name.replace('..', '_')}{suffix}"


def _csv(table: Any, name: str, filters: ReportFilters) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{_file_name(name, filters)}.csv"'
    table_csv(table, response)
    return response


@require_GET
@role_required(Role.MANAGER)
def people(request: HttpRequest) -> HttpResponse:
    """Per-person figures over a period, for managers; every figure links to its cases."""
    form = PeopleForm(request.GET)
    context: dict[str, Any] = {"form": form, "table": None}
    if not form.is_valid():
        return render(request, "reports/people.html", context, status=400)
    chosen = form.chosen_period()
    filters = form.filters()
    span = period_span(chosen, now=timezone.now())
    figures = people_figures(span=span, filters=filters)
    table = people_table(figures)
    links = _links(chosen, filters)
    for row in table.rows:
        owner = row["user_id"]
        row["links"] = {
            "handled": links.url("resolved", owner_id=owner),
            "response_p50_h": links.url("responded", owner_id=owner),
            "breaches": links.url("breaches", owner_id=owner),
            "reopen_rate": links.url("reopened", owner_id=owner),
            "reopened": links.url("reopened", owner_id=owner),
        }
    if request.GET.get("format") == "csv":
        return _csv(table, f"people-{chosen}", filters)
    params = filters.as_params()
    context |= {
        "table": table,
        "period": chosen,
        "span": span,
        "previous_period": chosen.previous(),
        "next_period": chosen.next() if chosen.next().start() <= timezone.now() else None,
        "filter_params": params,
        "csv_query": urlencode({"period": str(chosen), **params, "format": "csv"}),
        "filter_text": _filter_text(form),
    }
    return render(request, "reports/people.html", context)
