"""The escalation managers' triage queue and its bulk actions."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from cases import services
from cases.filters import Sort
from cases.forms import BulkForm, parse_id, style_filter_form
from cases.permissions import can_triage
from cases.selectors_live import case_live_region
from cases.selectors_queue import case_queue
from cases.services import BulkResult
from cases.views.common import (
    FILTERED,
    attach_clock_states,
    queue_filters,
    safe_next,
    sla_badges_template,
)
from cases.views.saved_views import SavedViewForm
from escalation.access import role_required, signed_in
from escalation.errors import DomainError
from escalation.roles import Role

REFUSALS_SHOWN = 10
PAGE_SIZES = (25, 50, 100)


@require_GET
@role_required(Role.MANAGER, Role.EXECUTIVE)
def queue(request: HttpRequest) -> HttpResponse:
    page_size = page_size_from(request)
    filters = queue_filters(request.GET, default_sort=Sort.URGENCY)
    live = case_live_region(viewer=request.user)  # before the rows are read
    page = case_queue(viewer=request.user, filters=filters, page_size=page_size)
    now = timezone.now()
    attach_clock_states(page.rows, now=now)
    style_filter_form(page.filterset.form)
    may_bulk = can_triage(request.user)
    return render(
        request,
        "cases/queue.html",
        {
            "page": page,
            "filter_form": page.filterset.form,
            "now": now,
            "sla_badges": sla_badges_template(),
            "bulk_form": BulkForm(prefix="bulk") if may_bulk else None,
            "save_view_form": SavedViewForm() if may_bulk else None,
            "sorts": Sort.choices,
            "active_filters": sum(
                1
                for name in page.filterset.form.fields
                if name != "sort" and any(request.GET.getlist(name))
            ),
            "filtered": FILTERED,
            "page_sizes": PAGE_SIZES,
            "page_size": page_size,
            "live": live,
        },
    )


@require_GET
@role_required(Role.MANAGER)
def bulk_pickers(request: HttpRequest) -> HttpResponse:
    """The bulk bar's team and owner pickers, fetched by HTMX when the folded bar is first
    opened, so the queue page reads neither list; without HTMX, the queue."""
    if not request.htmx:  # type: ignore[attr-defined]
        return redirect("cases:queue")
    return render(request, "cases/_bulk_pickers.html", {"form": BulkForm(prefix="bulk")})


def page_size_from(request: HttpRequest) -> int:
    """Rows per page: one of PAGE_SIZES, the first when the parameter is missing or odd."""
    wanted = parse_id(request.GET.get("page_size"))
    return wanted if wanted in PAGE_SIZES else PAGE_SIZES[0]


@role_required(Role.MANAGER)
@require_POST
def bulk_update(request: HttpRequest) -> HttpResponse:
    """One change to the ticked cases; the message says what changed and what was refused."""
    back = safe_next(request, reverse("cases:queue"))
    form = BulkForm(request.POST, prefix="bulk")
    if not form.is_valid():
        for field, errors in form.errors.items():
            label = form[field].label if field in form.fields else ""
            for error in errors:
                messages.error(request, f"{label}: {error}" if label else str(error))
        return redirect(back)
    try:
        result = services.cases_bulk_update(
            case_ids=form.cleaned_data["cases"],
            by=signed_in(request),
            reason=form.cleaned_data["reason"],
            **form.changes(),
        )
    except DomainError as error:
        messages.error(request, _("Nothing was changed: %(message)s") % {"message": error.message})
        return redirect(back)
    _report(request, result)
    return redirect(back)


def _report(request: HttpRequest, result: BulkResult) -> None:
    changed = len(result.updated)
    if changed:
        messages.success(
            request,
            ngettext(
                "%(count)s case changed: %(updated)s.",
                "%(count)s cases changed: %(updated)s.",
                changed,
            )
            % {"count": changed, "updated": ", ".join(result.updated)},
        )
    if result.refused:
        shown = list(result.refused.items())[:REFUSALS_SHOWN]
        more = len(result.refused) - len(shown)
        reasons = "; ".join(f"{reference}: {why}" for reference, why in shown)
        tail = " " + (_("(and %(count)s more)") % {"count": more}) if more > 0 else ""
        messages.warning(
            request,
            (
                _("%(count)s refused — %(reasons)s")
                % {"count": len(result.refused), "reasons": reasons}
            )
            + tail,
        )
    if not changed and not result.refused:
        messages.info(request, _("Nothing was changed."))
