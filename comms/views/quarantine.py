"""The managers' quarantine page: mail that reached no case by itself, to attach or discard."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from comms.quarantine import SNIPPET_CHARS, quarantine_discard, quarantine_list, quarantine_release
from escalation.access import role_required, signed_in
from escalation.errors import DomainError
from escalation.roles import Role

PAGE_SIZE = 50


def _page(
    request: HttpRequest, *, error: tuple[int, str] | None = None, status: int = 200
) -> HttpResponse:
    page = Paginator(quarantine_list(), PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"page": page, "error": error, "snippet_chars": SNIPPET_CHARS}
    return render(request, "comms/quarantine.html", context, status=status)


@role_required(Role.MANAGER)
@require_GET
def quarantine(request: HttpRequest) -> HttpResponse:
    return _page(request)


@role_required(Role.MANAGER)
@require_POST
def quarantine_attach(request: HttpRequest, pk: int) -> HttpResponse:
    message = get_object_or_404(quarantine_list(), pk=pk)
    reference = request.POST.get("reference", "")
    try:
        message = quarantine_release(message=message, reference=reference, by=signed_in(request))
    except DomainError as error:
        return _page(request, error=(pk, error.message), status=400)
    assert message.case is not None
    messages.success(
        request,
        _("The message from %(sender)s is on %(reference)s.")
        % {"sender": message.sender, "reference": message.case.reference},
    )
    return redirect("comms:quarantine")


@role_required(Role.MANAGER)
@require_POST
def quarantine_set_aside(request: HttpRequest, pk: int) -> HttpResponse:
    message = get_object_or_404(quarantine_list(), pk=pk)
    try:
        quarantine_discard(message=message, by=signed_in(request))
    except DomainError as error:
        return _page(request, error=(pk, error.message), status=400)
    messages.success(
        request,
        _("The message from %(sender)s is discarded.")
        % {"sender": message.sender or _("an unknown sender")},
    )
    return redirect("comms:quarantine")
