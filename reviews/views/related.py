"""The related-cases partial (HTMX) for the raise form and the case page."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from escalation.access import role_required, signed_in
from escalation.roles import Role
from reviews import selectors
from reviews.forms import RelatedQueryForm


@require_GET
@role_required(Role.OPERATOR, Role.MANAGER, Role.EXECUTIVE)
def related(request: HttpRequest) -> HttpResponse:
    """``?case=<reference>``: cases related to that case (404 when the viewer may not see it).
    ``?title=...&customer=<id>[&product=<id>][&category=<id>]``: cases related to a case being
    raised. Bad input answers 400 with the reasons."""
    form = RelatedQueryForm(request.GET)
    if not form.is_valid():
        return render(request, "reviews/_related.html", {"errors": form.errors}, status=400)
    data = form.cleaned_data
    if data["case"]:
        case = selectors.case_for_related(viewer=signed_in(request), reference=data["case"])
        result = selectors.related_for_case(case=case, viewer=signed_in(request))
    else:
        case = None
        result = selectors.related_for_draft(
            viewer=signed_in(request),
            title=data["title"],
            customer_id=data["customer"],
            product_id=data["product"],
            category_id=data["category"],
        )
    return render(request, "reviews/_related.html", {"related": result, "case": case})
