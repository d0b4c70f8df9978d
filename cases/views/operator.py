"""The service desk's pages: raise an escalation (with live duplicate hints) and my escalations."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from cases import services
from cases.filters import OPEN, Sort
from cases.forms import CaseRaiseForm, parse_id
from cases.models import Status
from cases.selectors import case_possible_duplicates
from cases.selectors_live import case_live_region
from cases.selectors_queue import case_queue
from cases.views.common import attach_clock_states, queue_filters, sla_badges_template
from escalation.access import role_required, signed_in
from escalation.errors import DomainError
from escalation.roles import Role

RAISERS = (Role.OPERATOR, Role.MANAGER)
DUPLICATE_HINTS = 5


@require_http_methods(["GET", "POST"])
@role_required(*RAISERS)
def raise_case(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        form = CaseRaiseForm(request.POST, request.FILES)
        if form.is_valid():
            data = form.cleaned_data
            try:
                case = services.case_raise(
                    raised_by=signed_in(request),
                    customer=data["customer"],
                    contact=data["contact"],
                    product=data["product"],
                    category=data["category"],
                    severity=data["severity"],
                    impact=data["impact"],
                    title=data["title"],
                    description=data["description"],
                    tried=data["tried"],
                    attachments=data["attachments"],
                )
            except DomainError as error:
                form.add_domain_error(error)
            else:
                messages.success(
                    request, _("Escalation %(case)s raised.") % {"case": case.reference}
                )
                return redirect("cases:detail", reference=case.reference)
    else:
        form = CaseRaiseForm(initial={"customer": request.GET.get("customer")})
    duplicates = _duplicates(request, form.data if form.is_bound else request.GET)
    return render(request, "cases/raise.html", {"form": form, "duplicates": duplicates})


def _duplicates(request: HttpRequest, data: object) -> list:  # type: ignore[type-arg]
    getter = getattr(data, "get", None)
    if getter is None:
        return []
    customer_id = parse_id(getter("customer"))
    if customer_id is None:
        return []
    return case_possible_duplicates(
        viewer=request.user,
        customer_id=customer_id,
        product_id=parse_id(getter("product")),
        text=str(getter("title") or "")[:200],
        limit=DUPLICATE_HINTS,
    )


@require_GET
@role_required(*RAISERS)
def raise_contacts(request: HttpRequest) -> HttpResponse:
    """The contact field for the chosen customer (HTMX swaps it into the raise form)."""
    form = CaseRaiseForm(initial={"customer": request.GET.get("customer")})
    return render(request, "cases/_contact_field.html", {"form": form})


@require_GET
@role_required(*RAISERS)
def raise_duplicates(request: HttpRequest) -> HttpResponse:
    """Open cases of the same customer (and product) while the operator types."""
    return render(
        request, "cases/_duplicates.html", {"duplicates": _duplicates(request, request.GET)}
    )


@require_GET
@role_required(Role.OPERATOR)
def mine(request: HttpRequest) -> HttpResponse:
    """The cases the operator raised or their teams hold (those she owns among them): the queue
    selector, scoped by who is looking. "Assigned to you" narrows it to the open cases she
    owns, such as one the SLA engine escalated to her."""
    filters = queue_filters(request.GET, default_sort=Sort.NEWEST)
    live = case_live_region(viewer=request.user)  # before the rows are read
    page = case_queue(viewer=request.user, filters=filters)
    now = timezone.now()
    attach_clock_states(page.rows, now=now)
    statuses = set(filters.getlist("status"))
    scope = {
        frozenset({OPEN}): "open",
        frozenset(Status.FINISHED): "resolved",
        frozenset(): "all",
    }.get(frozenset(statuses), "")
    if filters.get("owner"):
        scope = "assigned" if filters["owner"] == str(request.user.pk) and scope == "open" else ""
    return render(
        request,
        "cases/mine.html",
        {
            "page": page,
            "now": now,
            "sla_badges": sla_badges_template(),
            "scope": scope,
            "live": live,
        },
    )
