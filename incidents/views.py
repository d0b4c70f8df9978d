"""The incident pages: the panel of a case page (fetched when the page loads, a page of its own
without JS), its forms (one POST endpoint per action, each calling one service), the list of
incidents, and the queue's "add to major incident"."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from cases.forms import IdListField, parse_id
from cases.models import Case
from cases.permissions import can_triage
from cases.views.common import safe_next, sla_badges_template
from escalation.access import role_required, signed_in
from escalation.errors import DomainError
from escalation.forms import BootstrapForm
from escalation.roles import Role
from incidents import checklist, services
from incidents.forms import (
    DeclareForm,
    IncidentResolveForm,
    LinkForm,
    PlaybookForm,
    RolesForm,
    TaskForm,
    TaskStateForm,
    UnlinkForm,
    UpdateForm,
    people_in_one_query,
)
from incidents.models import IncidentState, IncidentTask, MajorIncident, Playbook
from incidents.selectors import (
    Panel,
    incident_children_page,
    incident_panel,
    incident_panel_case,
    incidents_list,
    open_parents,
)

VIEWERS = (Role.OPERATOR, Role.MANAGER, Role.EXECUTIVE)


def _panel_forms(panel: Panel, user: User) -> dict[str, forms.Form]:
    """The forms the viewer may use on the panel, unbound."""
    if not can_triage(user):
        return {}
    case, incident = panel.case, panel.incident
    if incident is None:
        offer = case.parent_id is None and case.is_open
        return {"declare": DeclareForm(prefix="declare")} if offer else {}
    if incident.state != IncidentState.ACTIVE:
        return {}
    return {
        "link": LinkForm(prefix="link"),
        "roles": RolesForm(
            prefix="roles",
            initial={
                "lead": incident.lead_id,
                "comms_lead": incident.comms_lead_id,
                "cadence_minutes": incident.cadence_minutes,
            },
        ),
        "task": TaskForm(prefix="task"),
        "playbook": PlaybookForm(prefix="playbook"),
        "update": UpdateForm(prefix="update"),
        # Its children's boxes are in the list of children (ticked: the open ones).
        "resolve": IncidentResolveForm(prefix="resolve", parent=case),
    }


def _panel_context(request: HttpRequest, case: Case) -> dict[str, Any]:
    user = signed_in(request)
    panel = incident_panel(viewer=user, case=case, now=timezone.now())
    return {
        "case": case,
        "panel": panel,
        "forms": _panel_forms(panel, user),
        "sla_badges": sla_badges_template(),
        "may_triage": can_triage(user),
        "user_id": user.pk,
    }


@require_GET
@role_required(*VIEWERS)
def panel(request: HttpRequest, reference: str) -> HttpResponse:
    """The case page's incident panel: 404 for a case the viewer may not see."""
    case = incident_panel_case(viewer=request.user, reference=reference)
    page = parse_id(request.GET.get("page", "")) or 1
    if page > 1:
        return _children_page(request, case, page)
    context = _panel_context(request, case)
    _fill_pickers(context)
    if request.htmx:  # type: ignore[attr-defined]
        return render(request, "incidents/_panel.html", context)
    return render(request, "incidents/panel.html", context)


def _children_page(request: HttpRequest, case: Case, page: int) -> HttpResponse:
    """Page ``page`` of a parent's affected cases: the rows (the panel's "more", HTMX), or
    without JS a page of its own; 404 for a case that is not a major incident."""
    user = signed_in(request)
    state = MajorIncident.objects.filter(case=case).values_list("state", flat=True).first()
    if state is None:
        raise Http404(_("Not a major incident."))
    rows = incident_children_page(viewer=user, parent=case, page=page, now=timezone.now())
    active = state == IncidentState.ACTIVE and can_triage(user)
    context = {
        "case": case,
        "children": rows.children,
        "next_page": rows.next_page,
        # The rows' boxes and buttons belong to the panel's forms, shown to those who use them.
        "forms": {"resolve": active, "link": active},
        "sla_badges": sla_badges_template(),
    }
    if request.htmx:  # type: ignore[attr-defined]
        return render(request, "incidents/_children_rows.html", context)
    # Without the panel there is no resolve form for the boxes to belong to.
    context["forms"] = {"link": active}
    return render(request, "incidents/children.html", context)


def _incident(case: Case) -> MajorIncident:
    incident = MajorIncident.objects.filter(case=case).select_related("case").first()
    if incident is None:
        raise DomainError(
            _("%(reference)s is not a major incident.") % {"reference": case.reference}
        )
    return incident


# The panel's actions: name -> (form class, what to do with the valid form). Each returns the
# message shown on the case page.
Perform = Callable[[HttpRequest, Case, Any], str]


def _declare(request: HttpRequest, case: Case, form: DeclareForm) -> str:
    data = form.cleaned_data
    incident = services.incident_declare(
        case=case,
        by=signed_in(request),
        lead=data["lead"],
        comms_lead=data["comms_lead"],
        cadence_minutes=data["cadence_minutes"],
    )
    return _("%(reference)s is a major incident: customer updates every %(minutes)s minutes.") % {
        "reference": case.reference,
        "minutes": incident.cadence_minutes,
    }


def _link(request: HttpRequest, case: Case, form: LinkForm) -> str:
    result = services.incident_link_many(
        incident=_incident(case), references=form.cleaned_data["references"], by=signed_in(request)
    )
    return _link_message(result)


def _link_message(result: services.LinkResult) -> str:
    parts = []
    if result.linked:
        parts.append(
            _("Linked %(count)s: %(references)s.")
            % {"count": len(result.linked), "references": ", ".join(result.linked)}
        )
    if result.refused:
        parts.append(_("Refused: %(reasons)s") % {"reasons": " ".join(result.refused.values())})
    return " ".join(parts) or _("Nothing was linked.")


def _unlink(request: HttpRequest, case: Case, form: UnlinkForm) -> str:
    pk = Case.pk_from_reference(form.cleaned_data["child"])
    child = Case.objects.filter(pk=pk).first() if pk else None
    if child is None:
        raise DomainError(_("No such case."), field="child")
    services.incident_unlink(incident=_incident(case), child=child, by=signed_in(request))
    return _("%(reference)s is no longer part of this major incident.") % {
        "reference": child.reference
    }


def _roles(request: HttpRequest, case: Case, form: RolesForm) -> str:
    data = form.cleaned_data
    services.incident_set_roles(
        incident=_incident(case),
        by=signed_in(request),
        lead=data["lead"],
        comms_lead=data["comms_lead"],
        cadence_minutes=data["cadence_minutes"],
    )
    return _("Roles and cadence saved.")


def _task(request: HttpRequest, case: Case, form: TaskForm) -> str:
    data = form.cleaned_data
    task = checklist.task_add(
        incident=_incident(case),
        by=signed_in(request),
        title=data["title"],
        owner=data["owner"],
        due_at=data["due_at"],
    )
    return _("Task added: %(title)s.") % {"title": task.title}


def _task_state(request: HttpRequest, case: Case, form: TaskStateForm) -> str:
    task = (
        IncidentTask.objects.select_related("incident__case")
        .filter(pk=form.cleaned_data["task"], incident__case=case)
        .first()
    )
    if task is None:
        raise DomainError(_("No such task."), field="task")
    task = checklist.task_set_state(
        task=task, by=signed_in(request), state=form.cleaned_data["state"]
    )
    return _("Task %(state)s: %(title)s.") % {
        "state": task.get_state_display().lower(),
        "title": task.title,
    }


def _playbook(request: HttpRequest, case: Case, form: PlaybookForm) -> str:
    playbook: Playbook = form.cleaned_data["playbook"]
    tasks = checklist.playbook_apply(
        incident=_incident(case), playbook=playbook, by=signed_in(request)
    )
    return _("Playbook %(name)s applied: %(count)s tasks.") % {
        "name": playbook.name,
        "count": len(tasks),
    }


def _update(request: HttpRequest, case: Case, form: UpdateForm) -> str:
    broadcast = services.incident_post_update(
        incident=_incident(case), by=signed_in(request), body=form.cleaned_data["body"]
    )
    if not broadcast.total:
        return _("Update posted on this case; no open affected cases to send it to.")
    return _("Update posted; going out to %(count)s affected cases.") % {"count": broadcast.total}


def _resolve(request: HttpRequest, case: Case, form: IncidentResolveForm) -> str:
    data = form.cleaned_data
    result = services.incident_resolve(
        incident=_incident(case),
        by=signed_in(request),
        summary=data["summary"],
        root_cause=data["root_cause"],
        children=form.children_chosen(),
    )
    message = _("%(reference)s resolved with %(count)s affected cases.") % {
        "reference": case.reference,
        "count": len(result.resolved),
    }
    if result.refused:
        refused = "; ".join(f"{r}: {w}" for r, w in result.refused.items())
        message += " " + _("Not resolved: %(refused)s") % {"refused": refused}
    return message


ACTIONS: dict[str, tuple[type[forms.Form], Perform]] = {
    "declare": (DeclareForm, _declare),
    "link": (LinkForm, _link),
    "unlink": (UnlinkForm, _unlink),
    "roles": (RolesForm, _roles),
    "task": (TaskForm, _task),
    "task_state": (TaskStateForm, _task_state),
    "playbook": (PlaybookForm, _playbook),
    "update": (UpdateForm, _update),
    "resolve": (IncidentResolveForm, _resolve),
}


@role_required(Role.OPERATOR, Role.MANAGER)
def action(request: HttpRequest, reference: str, name: str) -> HttpResponse:
    """One action of the panel (POST). Managers do them all; a task's owner ticks off her
    task. A valid one goes back to the case page with its message; a refused one shows the
    panel's page with the form and the reason (400). Who may is checked before the method,
    so a GET says 405 only to those who may post."""
    if name not in ACTIONS:
        raise Http404(_("No such action."))
    case = incident_panel_case(viewer=request.user, reference=reference)
    user = signed_in(request)
    if name != "task_state" and not can_triage(user):
        raise PermissionDenied(_("Only escalation managers run a major incident."))
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    form_class, perform = ACTIONS[name]
    form = (
        IncidentResolveForm(request.POST, prefix=name, parent=case)
        if form_class is IncidentResolveForm
        else form_class(request.POST, prefix=name)
    )
    if form.is_valid():
        try:
            message = perform(request, case, form)
        except DomainError as error:
            assert isinstance(form, BootstrapForm)
            form.add_domain_error(error)
        else:
            messages.success(request, message)
            return redirect(f"{reverse('cases:detail', args=[case.reference])}#incident-panel")
    context = _panel_context(request, case)
    if name in context["forms"]:
        context["forms"][name] = form
        context["flash"] = {"level": "danger", "text": _("Nothing was changed: see the form.")}
    else:
        # Not offered in the incident's current state (another tab changed it): say why.
        errors = [str(e) for field_errors in form.errors.values() for e in field_errors]
        context["flash"] = {
            "level": "danger",
            "text": " ".join(errors) or _("Nothing was changed."),
        }
    _fill_pickers(context)
    return render(request, "incidents/panel.html", context, status=400)


def _fill_pickers(context: dict[str, Any]) -> None:
    """The panel's person pickers from one query (the case page's budget)."""
    panel_forms = context["forms"]
    people_in_one_query(*panel_forms.values())


@require_GET
@role_required(Role.MANAGER, Role.EXECUTIVE)
def incident_list(request: HttpRequest) -> HttpResponse:
    incidents = list(incidents_list(viewer=request.user)[:200])
    return render(request, "incidents/list.html", {"incidents": incidents})


@require_GET
@role_required(Role.MANAGER)
def bulk_picker(request: HttpRequest) -> HttpResponse:
    """The queue's bulk bar's "add to major incident" picker, fetched when the bar opens."""
    if not request.htmx:  # type: ignore[attr-defined]
        return redirect("cases:queue")
    parents = list(open_parents(viewer=request.user)[:100])
    return render(request, "incidents/_bulk_picker.html", {"parents": parents})


class BulkLinkForm(forms.Form):
    cases = IdListField(error_messages={"required": gettext_lazy("Select at least one case.")})
    incident = forms.IntegerField(
        error_messages={"required": gettext_lazy("Choose a major incident.")}
    )


@role_required(Role.MANAGER)
@require_POST
def bulk_link(request: HttpRequest) -> HttpResponse:
    """Link the ticked cases of the queue to the chosen incident; back to the queue with what
    was linked and what was refused."""
    back = safe_next(request, reverse("cases:queue"))
    form = BulkLinkForm(request.POST, prefix="bulk")
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, _("Nothing was linked: %(error)s") % {"error": error})
        return redirect(back)
    incident = open_parents(viewer=request.user).filter(pk=form.cleaned_data["incident"]).first()
    if incident is None:
        messages.error(request, _("Nothing was linked: that major incident is not open."))
        return redirect(back)
    references = [Case(pk=pk).reference for pk in form.cleaned_data["cases"]]
    try:
        result = services.incident_link_many(
            incident=incident, references=references, by=signed_in(request)
        )
    except DomainError as error:
        messages.error(request, _("Nothing was linked: %(error)s") % {"error": error.message})
        return redirect(back)
    level = messages.SUCCESS if result.linked else messages.WARNING
    messages.add_message(
        request,
        level,
        _("Major incident %(reference)s: %(result)s")
        % {"reference": incident.case.reference, "result": _link_message(result)},
    )
    return redirect(back)
