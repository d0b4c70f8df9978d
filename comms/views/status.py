"""The customer's status page, reached from the link in every update mail without logging in,
and the managers' panel on the case page that revokes a case's link and issues a new one."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from cases.models import Case, CustomerChannel
from cases.services import case_customer_message
from comms.forms_status import StatusReplyForm
from comms.models import StatusLink
from comms.selectors_status import (
    ANONYMOUS_SENDER,
    status_link_case,
    status_next_update_due,
    status_page_timeline,
)
from comms.status_links import (
    StatusLinkError,
    case_for_status_token,
    status_link_revoke,
    status_url_for,
)
from escalation.access import role_required, signed_in
from escalation.errors import DomainError
from escalation.ratelimit import client_address, rate_exceeded, window_left
from escalation.roles import Role


def _refused(request: HttpRequest, error: StatusLinkError) -> HttpResponse:
    return render(request, "comms/status_refused.html", {"error": error}, status=error.status)


def _too_many(request: HttpRequest, *, period: int) -> HttpResponse:
    error = StatusLinkError(
        status=429,
        title=_("Too many requests"),
        message=(
            _(
                "This page was asked for too often in a short time. Please wait a minute and "
                "try again; nothing was recorded from the last request."
            )
            if period <= 60
            else _(
                "This page was asked for too often in a short time. Please wait a while and "
                "try again; nothing was recorded from the last request."
            )
        ),
    )
    response = _refused(request, error)
    response["Retry-After"] = str(window_left(period=period))
    return response


def _limited(
    request: HttpRequest, *, scope: str, limit: int, period: int, case_id: int | None = None
) -> bool:
    """Whether the visitor's address, or with ``case_id`` that case's link, went over
    ``limit`` requests of ``scope`` in the current window of ``period`` seconds (with a case,
    both are counted)."""
    address = client_address(request)
    by_address = rate_exceeded(scope=f"{scope}:ip", key=address, limit=limit, period=period)
    if case_id is None:
        return by_address
    by_case = rate_exceeded(scope=f"{scope}:case", key=str(case_id), limit=limit, period=period)
    return by_address or by_case


def _sender(case: Case) -> str:
    contact = case.contact
    email = contact.email.strip() if contact is not None else ""
    return email or ANONYMOUS_SENDER


@login_not_required
@never_cache
@csrf_protect
@require_http_methods(["GET", "POST"])
def status_page(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows the case as its customer may see it; POST posts the customer's reply (text and
    files) on the case through ``case_customer_message``, then shows the page again.

    Refusals, each with a page saying why and nothing recorded: a forged link 400, an expired
    or revoked one 410, too many requests from one address or for one case 429 (counted
    before the link is even read, so guessing links is throttled too)."""
    per_minute = settings.COMMS_STATUS_PAGE_PER_MINUTE
    if _limited(request, scope="status", limit=per_minute, period=60):
        return _too_many(request, period=60)
    try:
        case = case_for_status_token(token)
    except StatusLinkError as error:
        return _refused(request, error)
    if rate_exceeded(scope="status:case", key=str(case.pk), limit=per_minute, period=60):
        return _too_many(request, period=60)

    form = StatusReplyForm(request.POST or None, request.FILES or None)
    if request.method == "POST":
        replies = settings.COMMS_STATUS_REPLIES_PER_HOUR
        if _limited(request, scope="status-reply", limit=replies, period=3600, case_id=case.pk):
            return _too_many(request, period=3600)
        if form.is_valid():
            try:
                case_customer_message(
                    case=case,
                    sender=_sender(case),
                    body=form.cleaned_data["body"],
                    via=CustomerChannel.STATUS_PAGE,
                    attachments=form.attachment_contents(),
                )
            except DomainError as error:
                form.add_domain_error(error)
            else:
                messages.success(request, _("Thank you: your message is on the case."))
                return redirect(request.path)
    context = {
        "case": case,
        "timeline": status_page_timeline(case=case),
        "next_update_due": status_next_update_due(case=case),
        "form": form,
        "link_days": settings.COMMS_STATUS_LINK_DAYS,
    }
    status = 400 if request.method == "POST" else 200
    return render(request, "comms/status.html", context, status=status)


def _panel(request: HttpRequest, case: Case, *, revoked: bool = False) -> HttpResponse:
    link = StatusLink.objects.filter(case=case, revoked_at__isnull=True).first()
    context = {
        "case": case,
        "link": link,
        "url": status_url_for(case) if link is not None else "",
        "revoked_count": StatusLink.objects.filter(case=case, revoked_at__isnull=False).count(),
        "revoked": revoked,
        "link_days": settings.COMMS_STATUS_LINK_DAYS,
    }
    return render(request, "comms/_status_link_panel.html", context)


@role_required(Role.MANAGER)
@require_GET
def status_link_panel(request: HttpRequest, reference: str) -> HttpResponse:
    """The case page's status-link panel (fetched by HTMX): the case's current link, if any
    mail carried one yet, and the button that revokes it."""
    case = status_link_case(viewer=signed_in(request), reference=reference)
    return _panel(request, case)


@role_required(Role.MANAGER)
@require_POST
def status_link_new(request: HttpRequest, reference: str) -> HttpResponse:
    """Revoke every status link of the case sent so far and issue a new one; the panel again
    (HTMX), or back to the case page."""
    user = signed_in(request)
    case = status_link_case(viewer=user, reference=reference)
    status_link_revoke(case=case, by=user)
    if request.htmx:  # type: ignore[attr-defined]
        return _panel(request, case, revoked=True)
    messages.success(
        request,
        _(
            "The status links sent so far for %(reference)s no longer work; the next update "
            "mail carries the new one."
        )
        % {"reference": case.reference},
    )
    return redirect("cases:detail", reference=case.reference)
