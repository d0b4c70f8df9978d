"""Contract pages: the list of statements, a customer's statement with its CSV and PDF, the
contract form and the dashboard's at-risk fragment. Thin views over contracts.services."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.views.decorators.http import require_GET, require_http_methods

from cases.models import Customer
from contracts.delivery import statement_pdf_render
from contracts.forms import ContractForm, MonthForm
from contracts.models import Contract
from contracts.months import Month
from contracts.presentation import budget_sentences, burndown_chart, money, statement_tables
from contracts.selectors import contract_list, statement_months
from contracts.services import Statement, contract_save, month_statements
from escalation.access import role_required, signed_in
from escalation.errors import DomainError
from escalation.roles import Role, has_role
from reports.charts import svg_geometry
from reports.exports import table_csv

READERS = (Role.MANAGER, Role.EXECUTIVE)
# Months before this many years ago are not accounted (and never date arithmetic near year 1).
YEARS_BACK = 10
DASHBOARD_ROWS = 10


def _month_or_404(month: Month | None, *, now: datetime) -> Month:
    current = Month.containing(now)
    if month is None:
        return current
    if month > current:
        raise Http404("That month has not started yet.")
    if month.year < current.year - YEARS_BACK:
        raise Http404("There are no statements that old.")
    return month


def _statements(month: Month, customer_ids: list[int] | None = None) -> dict[int, Statement]:
    return month_statements(month=month, now=timezone.now(), customer_ids=customer_ids)


def _row(statement: Statement) -> dict[str, Any]:
    payload = statement.payload
    return {
        "payload": payload,
        "frozen": statement.frozen,
        "credit": money(payload, payload["credit_amount"]),
    }


@require_GET
@role_required(*READERS)
def index(request: HttpRequest) -> HttpResponse:
    form = MonthForm(request.GET)
    now = timezone.now()
    if not form.is_valid():
        context = {"form": form, "rows": [], "month": Month.containing(now)}
        return render(request, "contracts/index.html", context, status=400)
    month = _month_or_404(form.cleaned_data.get("month"), now=now)
    statements = _statements(month)
    rows = sorted(
        (_row(s) for s in statements.values()),
        key=lambda r: (
            not r["payload"]["missed"],
            not r["payload"]["at_risk"],
            r["payload"]["customer"]["name"],
        ),
    )
    context = {
        "form": form,
        "month": month,
        "previous": month.previous(),
        "next": month.next() if month < Month.containing(now) else None,
        "live": now < month.end(),
        "rows": rows,
        "contracts": contract_list(),
        "may_edit": has_role(request.user, Role.MANAGER),
    }
    return render(request, "contracts/index.html", context)


def _statement_or_404(customer: Customer, month: Month) -> Statement:
    statement = _statements(month, [customer.pk]).get(customer.pk)
    if statement is None:
        raise Http404(f"{customer} has no contract in {month.label}.")
    return statement


@require_GET
@role_required(*READERS)
def statement(request: HttpRequest, customer_id: int) -> HttpResponse:
    customer = get_object_or_404(Customer, pk=customer_id)
    form = MonthForm(request.GET)
    now = timezone.now()
    context: dict[str, Any] = {"customer": customer, "form": form, "payload": None}
    if not form.is_valid():
        return render(request, "contracts/statement.html", context, status=400)
    month = _month_or_404(form.cleaned_data.get("month"), now=now)
    context |= {"month": month, "months": statement_months(customer_id=customer.pk, now=now)}
    found = _statements(month, [customer.pk]).get(customer.pk)
    if found is None:
        return render(request, "contracts/statement.html", context, status=404)
    payload = found.payload
    tables = statement_tables(payload)
    for row in tables["breaches"].rows:
        row["url"] = reverse("cases:detail", kwargs={"reference": row["reference"]})
    chart = burndown_chart(payload)
    context |= {
        "payload": payload,
        "frozen": found.frozen,
        "sentences": budget_sentences(payload),
        "tables": tables,
        "chart": chart,
        "geometry": svg_geometry(chart),
        "credit": money(payload, payload["credit_amount"]),
        "fee": money(payload, payload["contract"]["monthly_fee"]),
    }
    return render(request, "contracts/statement.html", context)


def _filename(customer: Customer, month: Month, suffix: str) -> str:
    return f"statement-{month}-customer-{customer.pk}{suffix}"


@require_GET
@role_required(*READERS)
# A CSV file is read by machines: its headers and values stay English in every language.
@translation.override("en")
def statement_csv(request: HttpRequest, customer_id: int, month: Month, table: str) -> HttpResponse:
    customer = get_object_or_404(Customer, pk=customer_id)
    month = _month_or_404(month, now=timezone.now())
    tables = statement_tables(_statement_or_404(customer, month).payload)
    if table not in tables:
        raise Http404("The statement has no such table.")
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    name = _filename(customer, month, f"-{table}.csv")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    table_csv(tables[table], response)
    return response


@require_GET
@role_required(*READERS)
def statement_pdf(request: HttpRequest, customer_id: int, month: Month) -> HttpResponse:
    customer = get_object_or_404(Customer, pk=customer_id)
    month = _month_or_404(month, now=timezone.now())
    pdf = statement_pdf_render(statement=_statement_or_404(customer, month), month=month)
    response = HttpResponse(pdf, content_type="application/pdf")
    name = _filename(customer, month, ".pdf")
    response["Content-Disposition"] = f'inline; filename="{name}"'
    return response


@require_http_methods(["GET", "POST"])
@role_required(Role.MANAGER)
def contract_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    contract = get_object_or_404(Contract.objects.select_related("customer"), pk=pk) if pk else None
    if request.method == "POST":
        form = ContractForm(request.POST)
        if form.is_valid():
            try:
                contract_save(
                    contract=contract,
                    terms=form.terms(),
                    by=signed_in(request),
                    now=timezone.now(),
                )
            except DomainError as error:
                form.add_domain_error(error)
            else:
                return redirect("contracts:index")
        status = 400
    else:
        initial = ContractForm.initial_for(contract) if contract else {}
        form = ContractForm(initial=initial)
        status = 200
    return render(
        request, "contracts/contract_form.html", {"form": form, "contract": contract}, status=status
    )


@require_GET
@role_required(*READERS)
def dashboard_at_risk(request: HttpRequest) -> HttpResponse:
    """The dashboard's fragment: this month's customers whose error budget is nearly spent or
    whose commitment is missed, fetched when the dashboard loads."""
    month = Month.containing(timezone.now())
    rows = [
        _row(s) for s in _statements(month).values() if s.payload["at_risk"] or s.payload["missed"]
    ]
    rows.sort(key=lambda r: (not r["payload"]["missed"], r["payload"]["breaches_left"]))
    context = {"month": month, "rows": rows[:DASHBOARD_ROWS], "total": len(rows)}
    return render(request, "contracts/_dashboard_at_risk.html", context)
