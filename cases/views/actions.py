"""What a viewer does on the case page: each action is a plain POST that redirects back, and
with HTMX the page swaps the changed regions in place instead (progressive enhancement)."""

from __future__ import annotations

from collections.abc import Callable

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseClientRedirect

from cases import services
from cases.forms import WatchForm
from cases.models import Case
from cases.permissions import can_contribute
from cases.selectors import case_get_for_viewer, case_page_case
from cases.views.case_page import ACTIONS, ROLES, case_page_context, may_use
from escalation.access import role_required, signed_in
from escalation.errors import DomainError
from escalation.forms import BootstrapForm
from escalation.roles import Role
from escalation.users import display_name

Perform = Callable[[HttpRequest, Case, forms.Form], str]
CONTRIBUTORS = (Role.OPERATOR, Role.MANAGER)


def _respond_done(request: HttpRequest, reference: str, message: str) -> HttpResponse:
    if not request.htmx:  # type: ignore[attr-defined]
        messages.success(request, message)
        return redirect("cases:detail", reference=reference)
    try:
        case = case_page_case(viewer=request.user, reference=reference)
    except Http404:
        # The change took the case out of the viewer's sight: nothing left to swap in.
        messages.success(request, message)
        return HttpResponseClientRedirect(reverse("home"))
    context = case_page_context(request, case)
    context["flash"] = {"level": "success", "text": message}
    return render(request, "cases/case/_swap.html", context)


def _respond_invalid(request: HttpRequest, case: Case, name: str, form: forms.Form) -> HttpResponse:
    context = case_page_context(request, case, bound=(name, form))
    if name not in context["forms"]:
        # The form is not offered in the case's current state (another tab changed it): say
        # why above the page instead.
        errors = [str(e) for field_errors in form.errors.values() for e in field_errors]
        context["flash"] = {
            "level": "danger",
            "text": " ".join(errors) or _("Nothing was changed."),
        }
    else:
        context["flash"] = {"level": "danger", "text": _("Nothing was changed: see the form.")}
    template = "cases/case/_swap.html" if request.htmx else "cases/case/detail.html"  # type: ignore[attr-defined]
    return render(request, template, context)


def _run(request: HttpRequest, reference: str, name: str, perform: Perform) -> HttpResponse:
    """Check who may do ``name`` on this case, validate the form, call the service, answer."""
    case = case_page_case(viewer=request.user, reference=reference)
    if not may_use(viewer=request.user, case=case, name=name):
        raise PermissionDenied(_("You may not make this change to this case."))
    form_class = ACTIONS[name][0]
    form = form_class(request.POST, request.FILES, prefix=name)
    if form.is_valid():
        try:
            message = perform(request, case, form)
        except DomainError as error:
            assert isinstance(form, BootstrapForm)
            form.add_domain_error(error)
        else:
            return _respond_done(request, case.reference, message)
    return _respond_invalid(request, case, name, form)


def _note(request: HttpRequest, case: Case, form: forms.Form) -> str:
    customer_facing = form.cleaned_data["visibility"] == "customer"
    services.case_add_note(
        case=case,
        by=signed_in(request),
        body=form.cleaned_data["body"],
        customer_facing=customer_facing,
    )
    return _("Customer update added.") if customer_facing else _("Internal note added.")


def _attach(request: HttpRequest, case: Case, form: forms.Form) -> str:
    # The form has checked every file with the service's rules, so none is refused halfway.
    uploads = form.cleaned_data["attachments"]
    for upload in uploads:
        services.case_add_attachment(case=case, by=signed_in(request), upload=upload)
    count = len(uploads)
    return ngettext("%(count)s file attached.", "%(count)s files attached.", count) % {
        "count": count
    }


def _acknowledge(request: HttpRequest, case: Case, form: forms.Form) -> str:
    services.case_acknowledge(case=case, by=signed_in(request))
    return _("%(case)s acknowledged.") % {"case": case.reference}


def _assign(request: HttpRequest, case: Case, form: forms.Form) -> str:
    data = form.cleaned_data
    updated = services.case_assign(
        case=case,
        by=signed_in(request),
        owner=data["owner"],
        team=data["team"],
        unassign=data["unassign"],
        reason=data["reason"],
    )
    owner = updated.owner
    holder = display_name(owner)
    team = updated.team.name if updated.team else ""
    if owner is None and data["unassign"]:
        return _("%(case)s is back in %(team)s's queue, with no owner.") % {
            "case": case.reference,
            "team": team,
        }
    if holder and team:
        return _("%(case)s assigned to %(owner)s in %(team)s.") % {
            "case": case.reference,
            "owner": holder,
            "team": team,
        }
    return _("%(case)s assigned to %(owner)s.") % {"case": case.reference, "owner": holder or team}


def _severity(request: HttpRequest, case: Case, form: forms.Form) -> str:
    data = form.cleaned_data
    services.case_change_severity(
        case=case, by=signed_in(request), severity=data["severity"], reason=data["reason"]
    )
    return _("Severity set to %(severity)s.") % {"severity": data["severity"]}


def _status(request: HttpRequest, case: Case, form: forms.Form) -> str:
    data = form.cleaned_data
    updated = services.case_set_status(
        case=case, by=signed_in(request), status=data["status"], reason=data["reason"]
    )
    return _("Status set to %(status)s.") % {"status": updated.get_status_display().lower()}


def _resolve(request: HttpRequest, case: Case, form: forms.Form) -> str:
    data = form.cleaned_data
    services.case_resolve(
        case=case, by=signed_in(request), summary=data["summary"], root_cause=data["root_cause"]
    )
    return _("%(case)s resolved.") % {"case": case.reference}


def _reopen(request: HttpRequest, case: Case, form: forms.Form) -> str:
    services.case_reopen(case=case, by=signed_in(request), reason=form.cleaned_data["reason"])
    return _("%(case)s reopened.") % {"case": case.reference}


def _close(request: HttpRequest, case: Case, form: forms.Form) -> str:
    services.case_close(case=case, by=signed_in(request))
    return _("%(case)s closed.") % {"case": case.reference}


def _link(request: HttpRequest, case: Case, form: forms.Form) -> str:
    reference = form.cleaned_data["reference"]
    try:
        target = case_get_for_viewer(viewer=request.user, reference=reference)
    except Http404:
        raise DomainError(
            _("There is no case %(reference)s.") % {"reference": reference}, field="reference"
        ) from None
    if target.pk == case.pk:
        raise DomainError(_("A case cannot be linked to itself."), field="reference")
    link = services.case_link(
        case=case, by=signed_in(request), target=target, kind=form.cleaned_data["kind"]
    )
    return _("Linked: %(kind)s %(target)s.") % {
        "kind": link.get_kind_display().lower(),
        "target": target.reference,
    }


def action_view(name: str, perform: Perform) -> Callable[..., HttpResponseBase]:
    """The POST view of action ``name``: the roles of its kind first (403), then the case
    (404 when the viewer may not see it), then the per-case rule (403), as the case page's
    ``action_form`` checks them."""

    @require_POST
    def view(request: HttpRequest, reference: str) -> HttpResponse:
        return _run(request, reference, name, perform)

    view.__name__ = view.__qualname__ = name
    return role_required(*ROLES[ACTIONS[name][1]])(view)


note = action_view("note", _note)
attach = action_view("attach", _attach)
acknowledge = action_view("acknowledge", _acknowledge)
assign = action_view("assign", _assign)
severity = action_view("severity", _severity)
status = action_view("status", _status)
resolve = action_view("resolve", _resolve)
reopen = action_view("reopen", _reopen)
close = action_view("close", _close)
link = action_view("link", _link)


@role_required(*CONTRIBUTORS)
@require_POST
def watch(request: HttpRequest, reference: str) -> HttpResponse:
    case = case_page_case(viewer=request.user, reference=reference)
    if not can_contribute(request.user, case):
        raise PermissionDenied(_("Your role does not allow this change."))
    form = WatchForm(request.POST)
    if not form.is_valid():
        context = case_page_context(request, case)
        context["flash"] = {"level": "danger", "text": _("Choose to watch or to stop watching.")}
        template = "cases/case/_swap.html" if request.htmx else "cases/case/detail.html"  # type: ignore[attr-defined]
        return render(request, template, context, status=400)
    watching = form.cleaned_data["watching"]
    services.case_set_watching(
        case=case, by=signed_in(request), user=signed_in(request), watching=watching
    )
    message = (
        _("You are watching %(case)s.") if watching else _("You stopped watching %(case)s.")
    ) % {"case": case.reference}
    return _respond_done(request, case.reference, message)
