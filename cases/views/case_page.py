"""The case page: everything the viewer may see of one case, and its attachments."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.models import User
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET

from cases import forms as case_forms
from cases.models import Attachment, Case, LinkKind, Status
from cases.permissions import can_contribute, can_triage
from cases.selectors import case_get_for_viewer, case_related, case_timeline
from cases.views.common import (
    attach_clock_ledgers,
    signed_in,
    sla_badges_template,
    timeline_order,
)
from escalation.access import role_required
from escalation.roles import Role

VIEWERS = (Role.OPERATOR, Role.MANAGER, Role.EXECUTIVE)

# name -> (form class, who may use it, in which statuses it is offered)
CONTRIBUTE = "contribute"
TRIAGE = "triage"
WORKING = frozenset({Status.ACKNOWLEDGED, Status.IN_PROGRESS, Status.WAITING})
OPEN = frozenset({Status.NEW, *WORKING})
ANY = frozenset(Status)
ACTIONS: dict[str, tuple[type[forms.Form], str, frozenset[str]]] = {
    "note": (case_forms.NoteForm, CONTRIBUTE, ANY),
    "attach": (case_forms.AttachmentForm, CONTRIBUTE, ANY),
    "acknowledge": (case_forms.EmptyForm, TRIAGE, frozenset({Status.NEW})),
    "assign": (case_forms.AssignForm, TRIAGE, OPEN),
    "status": (case_forms.StatusForm, TRIAGE, WORKING),
    "severity": (case_forms.SeverityForm, TRIAGE, OPEN),
    "resolve": (case_forms.ResolveForm, TRIAGE, WORKING),
    "reopen": (case_forms.ReopenForm, TRIAGE, frozenset({Status.RESOLVED})),
    "close": (case_forms.EmptyForm, TRIAGE, frozenset({Status.RESOLVED})),
    "link": (case_forms.LinkForm, TRIAGE, ANY),
}


def action_forms(
    *, viewer: User, case: Case, bound: tuple[str, forms.Form] | None = None
) -> dict[str, forms.Form]:
    """The action forms this viewer may use on this case now, each with its own prefix so
    their fields never clash; ``bound`` replaces one of them (a submitted form with errors)."""
    may_contribute = can_contribute(viewer, case)
    may_triage = can_triage(viewer)
    result: dict[str, forms.Form] = {}
    for name, (form_class, who, statuses) in ACTIONS.items():
        allowed = may_triage if who == TRIAGE else may_contribute
        if not allowed or case.status not in statuses:
            continue
        if bound and bound[0] == name:
            result[name] = bound[1]
        else:
            result[name] = form_class(prefix=name)
    status_form = result.get("status")
    if status_form is not None:
        # Offer only the statuses the case is not already in.
        field = status_form.fields["status"]
        field.choices = [c for c in field.choices if c[0] != case.status]  # type: ignore[attr-defined]
    return result


# How a link reads from the other end: "B caused by A" shows on A as "Causes B".
INCOMING_LABELS = {
    LinkKind.DUPLICATE_OF: "Has duplicate",
    LinkKind.CAUSED_BY: "Causes",
    LinkKind.RELATED: "Related to",
}


def related_with_links(case: Case, *, viewer: User) -> list[Case]:
    """The related cases the viewer may open, each explicitly linked one labelled with how it
    is linked (from the links the case page's selector prefetched)."""
    labels: dict[int, str] = {}
    for link in case.links_out.all():
        labels.setdefault(link.target_id, LinkKind(link.kind).label)
    for link in case.links_in.all():
        labels.setdefault(link.source_id, INCOMING_LABELS[LinkKind(link.kind)])
    related = case_related(viewer=viewer, case=case)
    for other in related:
        other.link_label = labels.get(other.pk, "")  # type: ignore[attr-defined]
    return related


def case_page_context(
    request: HttpRequest, case: Case, *, bound: tuple[str, forms.Form] | None = None
) -> dict[str, Any]:
    viewer = request.user
    now = timezone.now()
    order = timeline_order(request)
    events = list(case_timeline(case=case))
    attach_clock_ledgers(case, now=now, events=events)
    if order == "newest":
        events.reverse()
    watchers = list(case.watchers.all())
    may_contribute = can_contribute(viewer, case)
    return {
        "case": case,
        "now": now,
        "events": events,
        "order": order,
        "related": related_with_links(case, viewer=signed_in(request)),
        "attachments": list(case.attachments.all()),
        "watchers": watchers,
        "is_watching": any(w.pk == viewer.pk for w in watchers),
        "may_contribute": may_contribute,
        "may_triage": can_triage(viewer),
        "may_watch": may_contribute,
        "forms": action_forms(viewer=signed_in(request), case=case, bound=bound),
        "open_form": bound[0] if bound else None,
        "sla_badges": sla_badges_template(),
    }


@require_GET
@role_required(*VIEWERS)
def detail(request: HttpRequest, reference: str) -> HttpResponse:
    case = case_get_for_viewer(viewer=request.user, reference=reference)
    return render(request, "cases/case/detail.html", case_page_context(request, case))


@require_GET
@role_required(*VIEWERS)
def timeline(request: HttpRequest, reference: str) -> HttpResponse:
    """The timeline alone, for the order toggle; without HTMX it is the case page."""
    case = case_get_for_viewer(viewer=request.user, reference=reference)
    order = timeline_order(request)
    if not request.htmx:  # type: ignore[attr-defined]
        return redirect(f"{reverse('cases:detail', args=[case.reference])}?order={order}")
    events = case_timeline(case=case)
    if order == "newest":
        events = events.reverse()
    return render(
        request, "cases/case/_timeline.html", {"case": case, "events": events, "order": order}
    )


@require_GET
@role_required(*VIEWERS)
def attachment_download(request: HttpRequest, reference: str, token: str) -> FileResponse:
    """Always a download (never shown inline), under the name it was uploaded with, and only
    to those who may see the case."""
    case = case_get_for_viewer(viewer=request.user, reference=reference)
    attachment = Attachment.objects.filter(case=case, token=token).first()
    if attachment is None:
        raise Http404("No such attachment on this case.")
    try:
        handle = attachment.file.open("rb")
    except FileNotFoundError:
        raise Http404("The file of this attachment is missing.") from None
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=attachment.original_name,
        content_type="application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response
