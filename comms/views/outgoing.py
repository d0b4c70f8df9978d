"""The case page's customer-communication panel (who the updates go to, what failed), and the
reply templates of its update box. The case page loads both from here (``hx-get``): ``cases``
links to these URLs and imports nothing of comms.

Changes are plain POSTs that redirect back to the case page, which then shows them with the
timeline entry they wrote."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from cases.forms import NoteForm
from cases.models import Case
from cases.permissions import can_contribute, can_work
from comms import services
from comms.forms import CcAddForm
from comms.macros import macro_fill, placeholder_values
from comms.selectors import (
    case_cc_contacts,
    case_failed_deliveries,
    case_for_comms,
    reply_templates_for,
    update_deliveries,
)
from escalation.access import role_required, signed_in
from escalation.errors import DomainError
from escalation.roles import Role

VIEWERS = (Role.OPERATOR, Role.MANAGER, Role.EXECUTIVE)
WRITERS = (Role.OPERATOR, Role.MANAGER)


def _panel(request: HttpRequest, case: Case) -> HttpResponse:
    may_manage = can_work(signed_in(request), case)
    context = {
        "case": case,
        "ccs": case_cc_contacts(case=case),
        "failed": case_failed_deliveries(case=case),
        "may_manage": may_manage,
        "form": CcAddForm(case=case, prefix="cc") if may_manage else None,
    }
    return render(request, "comms/_case_panel.html", context)


@role_required(*VIEWERS)
@require_GET
def case_panel(request: HttpRequest, reference: str) -> HttpResponse:
    """The panel: the case's contact and CC contacts, its failed update mail; the forms to
    change them for those who work the case."""
    return _panel(request, case_for_comms(viewer=request.user, reference=reference))


@role_required(*VIEWERS)
@require_GET
def update_delivery_list(request: HttpRequest, reference: str, event_id: int) -> HttpResponse:
    """One update's deliveries as the timeline shows them (polled while its mail is sent)."""
    case = case_for_comms(viewer=request.user, reference=reference)
    context = {
        "case": case,
        "event_id": event_id,
        "deliveries": update_deliveries(case=case, event_id=event_id),
    }
    return render(request, "comms/_deliveries.html", context)


def _workable(request: HttpRequest, reference: str) -> Case:
    case = case_for_comms(viewer=request.user, reference=reference)
    if not can_work(signed_in(request), case):
        raise PermissionDenied(_("You may not change who this case's updates go to."))
    return case


@role_required(*WRITERS)
@require_POST
def cc_add(request: HttpRequest, reference: str) -> HttpResponse:
    case = _workable(request, reference)
    form = CcAddForm(request.POST, case=case, prefix="cc")
    if form.is_valid():
        data = form.cleaned_data
        try:
            cc = services.case_cc_add(
                case=case,
                by=signed_in(request),
                contact=data["contact"],
                name=data["name"],
                email=data["email"],
            )
        except DomainError as error:
            form.add_domain_error(error)
        else:
            messages.success(
                request,
                _("%(email)s gets a copy of every update from now on.")
                % {"email": cc.contact.email},
            )
            return redirect("cases:detail", reference=case.reference)
    problems = " ".join(str(e) for errors in form.errors.values() for e in errors)
    messages.error(request, _("The contact was not added: %(problems)s") % {"problems": problems})
    return redirect("cases:detail", reference=case.reference)


@role_required(*WRITERS)
@require_POST
def cc_remove(request: HttpRequest, reference: str, pk: int) -> HttpResponse:
    case = _workable(request, reference)
    try:
        services.case_cc_remove(case=case, cc_id=pk, by=signed_in(request))
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("That contact gets no more copies of the updates."))
    return redirect("cases:detail", reference=case.reference)


@role_required(*WRITERS)
@require_POST
def resend(request: HttpRequest, reference: str) -> HttpResponse:
    """Send the case's failed update mail again."""
    case = _workable(request, reference)
    count = services.case_deliveries_resend(case=case, by=signed_in(request))
    messages.success(
        request,
        ngettext(
            "%(count)s message will be sent again.", "%(count)s messages will be sent again.", count
        )
        % {"count": count}
        if count
        else _("Nothing to send again."),
    )
    return redirect("cases:detail", reference=case.reference)


def _writable(request: HttpRequest, reference: str) -> Case:
    case = case_for_comms(viewer=request.user, reference=reference)
    if not can_contribute(signed_in(request), case):
        raise PermissionDenied(_("You may not write to this case's timeline."))
    return case


@role_required(*WRITERS)
@require_GET
def reply_template_picker(request: HttpRequest, reference: str) -> HttpResponse:
    """The update box's choice of reply templates (nothing when there are none)."""
    case = _writable(request, reference)
    templates = list(reply_templates_for(viewer=request.user, case=case))
    return render(
        request, "comms/_reply_template_picker.html", {"case": case, "templates": templates}
    )


@role_required(*WRITERS)
@require_GET
def reply_template_fill(request: HttpRequest, reference: str) -> HttpResponse:
    """The update box's message field, holding the chosen template filled in for the case
    (``?template=<id>``; none chosen: the field empty)."""
    case = _writable(request, reference)
    chosen = request.GET.get("template", "")
    text = ""
    if chosen:
        if not chosen.isdigit():
            raise Http404("No such template.")
        template = (
            reply_templates_for(viewer=request.user, case=case).filter(pk=int(chosen)).first()
        )
        if template is None:
            raise Http404("No such template.")
        text = macro_fill(template.body, placeholder_values(case=case))
    form = NoteForm(prefix="note", initial={"body": text, "visibility": "customer"})
    return render(request, "comms/_note_body.html", {"field": form["body"]})
