"""The case page: everything the viewer may see of one case, and its attachments."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from cases import forms as case_forms
from cases.forms_details import DetailsForm, MergeForm
from cases.models import Attachment, Case, LinkKind, Status
from cases.permissions import can_contribute, can_triage, can_work
from cases.selectors import (
    case_get_for_viewer,
    case_links,
    case_page_case,
    case_related,
    case_related_panel_case,
    case_timeline,
)
from cases.timeline import timeline_for_viewer
from cases.views.common import (
    attach_clock_ledgers,
    sla_badges_template,
    timeline_order,
)
from escalation.access import role_required, signed_in
from escalation.roles import AnyUser, Role, has_role

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

VIEWERS = (Role.OPERATOR, Role.MANAGER, Role.EXECUTIVE)

# name -> (form class, who may use it, in which statuses it is offered). Who: CONTRIBUTE is
# can_contribute (notes, files), WORK can_work (the owner, her team, managers), TRIAGE
# can_triage (managers).
CONTRIBUTE = "contribute"
WORK = "work"
TRIAGE = "triage"
ANY = tuple(Status)
NOT_CLOSED = tuple(s for s in Status if s != Status.CLOSED)
ACTIONS: dict[str, tuple[type[forms.Form], str, tuple[Status, ...]]] = {
    "note": (case_forms.NoteForm, CONTRIBUTE, ANY),
    "attach": (case_forms.AttachmentForm, CONTRIBUTE, ANY),
    "acknowledge": (case_forms.EmptyForm, WORK, (Status.NEW,)),
    "assign": (case_forms.AssignForm, WORK, Status.OPEN),
    "status": (case_forms.StatusForm, WORK, Status.WORKING),
    "severity": (case_forms.SeverityForm, TRIAGE, Status.OPEN),
    "resolve": (case_forms.ResolveForm, WORK, Status.WORKING),
    "reopen": (case_forms.ReopenForm, TRIAGE, (Status.RESOLVED,)),
    "close": (case_forms.EmptyForm, TRIAGE, (Status.RESOLVED,)),
    "link": (case_forms.LinkForm, TRIAGE, ANY),
    "details": (DetailsForm, WORK, NOT_CLOSED),
    "merge": (MergeForm, TRIAGE, Status.OPEN),
}


# The roles that may ask for each kind of action at all, checked before the case is looked up
# (a 403 for the wrong role whatever the case); the per-case rule comes after (``may_use``).
ROLES: dict[str, tuple[Role, ...]] = {
    CONTRIBUTE: (Role.OPERATOR, Role.MANAGER),
    WORK: (Role.OPERATOR, Role.MANAGER),
    TRIAGE: (Role.MANAGER,),
}


def may_use(*, viewer: AnyUser, case: Case, name: str) -> bool:
    """Whether ``viewer`` may use action ``name`` on ``case`` (whatever its status)."""
    who = ACTIONS[name][1]
    if who == TRIAGE:
        return can_triage(viewer)
    if who == WORK:
        return can_work(viewer, case)
    return can_contribute(viewer, case)


@dataclass(frozen=True)
class Fold:
    """A form of the "Manage this case" panel, shown folded in a ``<details>``."""

    title: StrOrPromise
    submit: StrOrPromise
    button_class: str = "btn-primary"


# The panel's folded forms, in the order it shows them. Their pickers (teams, owners, root
# causes) were most of the page's markup and time, rendered for forms that mostly stay closed:
# each is now rendered when it is opened (``action_form``).
FOLDED: dict[str, Fold] = {
    "assign": Fold(gettext_lazy("Assign or reassign"), gettext_lazy("Assign")),
    "status": Fold(gettext_lazy("Set status"), gettext_lazy("Set status")),
    "severity": Fold(gettext_lazy("Change severity"), gettext_lazy("Change severity")),
    "resolve": Fold(gettext_lazy("Resolve"), gettext_lazy("Resolve case"), "btn-success"),
    "reopen": Fold(gettext_lazy("Reopen"), gettext_lazy("Reopen case"), "btn-warning"),
    "link": Fold(gettext_lazy("Link to another case"), gettext_lazy("Link")),
    "details": Fold(gettext_lazy("Edit details"), gettext_lazy("Save details")),
    "merge": Fold(
        gettext_lazy("Merge into…"), gettext_lazy("Merge and close this case"), "btn-outline-danger"
    ),
}


def not_offered(case: Case) -> str:
    return _("Not offered now that %(case)s is %(status)s.") % {
        "case": case.reference,
        "status": case.get_status_display().lower(),
    }


def offered(*, name: str, case: Case) -> bool:
    """Whether action ``name`` is offered in the case's current status."""
    return case.status in ACTIONS[name][2]


def action_form_for(*, name: str, case: Case, viewer: AnyUser) -> forms.Form:
    """A blank form of action ``name`` for ``case``, with its own prefix so the page's forms'
    fields never clash."""
    # The details form shows the case's details (and carries them, to send only what changed).
    form = (
        DetailsForm(prefix=name, case=case) if name == "details" else ACTIONS[name][0](prefix=name)
    )
    if name == "status":
        # Offer only the statuses the case is not already in.
        field = form.fields["status"]
        field.choices = [c for c in field.choices if c[0] != case.status]  # type: ignore[attr-defined]
    if name == "assign" and not can_triage(viewer):
        # An engineer hands on to a team-mate or to a team's queue (hand_on_refusal): offer
        # her the case's team as owners; the service refuses anyone else all the same.
        owner = form.fields["owner"]
        staff = owner.queryset  # type: ignore[attr-defined]
        owner.queryset = staff.filter(teams=case.team_id) if case.team_id else staff.none()  # type: ignore[attr-defined]
        owner.help_text = _(
            "Someone of this case's team. To hand it on to another team, choose the team alone."
        )
    return form


def action_forms(
    *,
    viewer: User,
    case: Case,
    bound: tuple[str, forms.Form] | None = None,
    unfold: str | None = None,
) -> dict[str, forms.Form | None]:
    """The actions this viewer may use on this case now, each with its form; a folded one's
    is None (fetched when opened) unless it is ``unfold`` (the page for a browser without
    JS); ``bound`` replaces one of them (a submitted form with errors)."""
    allowed = {
        CONTRIBUTE: can_contribute(viewer, case),
        WORK: can_work(viewer, case),
        TRIAGE: can_triage(viewer),
    }
    result: dict[str, forms.Form | None] = {}
    for name, (_form_class, who, _statuses) in ACTIONS.items():
        if not allowed[who] or not offered(name=name, case=case):
            continue
        if bound and bound[0] == name:
            result[name] = bound[1]
        elif name in FOLDED and name != unfold:
            result[name] = None
        else:
            result[name] = action_form_for(name=name, case=case, viewer=viewer)
    return result


def fold_entry(*, name: str, case: Case, form: forms.Form | None) -> dict[str, Any]:
    """What the panel's template needs of folded form ``name``: its texts, where it posts,
    where it is fetched from, and the form when it is rendered now."""
    return {
        **asdict(FOLDED[name]),
        "name": name,
        "form": form,
        "url": reverse(f"cases:{name}", args=[case.reference]),
        "form_url": reverse("cases:action_form", args=[case.reference, name]),
    }


# How a link reads from the other end: "B caused by A" shows on A as "Causes B".
INCOMING_LABELS = {
    LinkKind.DUPLICATE_OF: gettext_lazy("Has duplicate"),
    LinkKind.CAUSED_BY: gettext_lazy("Causes"),
    LinkKind.RELATED: gettext_lazy("Related to"),
}


def related_with_links(case: Case, *, viewer: User) -> list[Case]:
    """The related cases the viewer may open, each explicitly linked one labelled with how it
    is linked (a link from this case named first, then one to it)."""
    links = case_links(case=case)
    labels: dict[int, str] = {}
    for link in links:
        if link.source_id == case.pk:
            labels.setdefault(link.target_id, str(LinkKind(link.kind).label))
    for link in links:
        if link.target_id == case.pk:
            labels.setdefault(link.source_id, str(INCOMING_LABELS[LinkKind(link.kind)]))
    related = case_related(viewer=viewer, case=case, links=links)
    for other in related:
        other.link_label = labels.get(other.pk, "")  # type: ignore[attr-defined]
    return related


def case_page_context(
    request: HttpRequest,
    case: Case,
    *,
    bound: tuple[str, forms.Form] | None = None,
    unfold: str | None = None,
) -> dict[str, Any]:
    """Everything the case page shows; ``bound`` and ``unfold`` as for ``action_forms``, and
    the form they name is shown open."""
    viewer = request.user
    now = timezone.now()
    order = timeline_order(request)
    events = timeline_for_viewer(events=case_timeline(case=case), viewer=viewer)
    attach_clock_ledgers(case, now=now, events=events)
    if order == "newest":
        events.reverse()
    watchers = list(case.watchers.all())
    may_contribute = can_contribute(viewer, case)
    action_forms_ = action_forms(viewer=signed_in(request), case=case, bound=bound, unfold=unfold)
    return {
        "case": case,
        "now": now,
        "events": events,
        "order": order,
        "attachments": list(case.attachments.all()),
        "watchers": watchers,
        "is_watching": any(w.pk == viewer.pk for w in watchers),
        "may_contribute": may_contribute,
        "may_triage": can_triage(viewer),
        # The panel of actions: for whoever works the case, when it offers them something now.
        "may_work": any(ACTIONS[name][1] != CONTRIBUTE for name in action_forms_),
        "may_watch": may_contribute,
        "forms": action_forms_,
        "folded": [
            fold_entry(name=name, case=case, form=action_forms_[name])
            for name in FOLDED
            if name in action_forms_
        ],
        "open_form": bound[0] if bound else unfold,
        "sla_badges": sla_badges_template(),
    }


@require_GET
@role_required(*VIEWERS)
def detail(request: HttpRequest, reference: str) -> HttpResponse:
    case = case_page_case(viewer=request.user, reference=reference)
    return render(request, "cases/case/detail.html", case_page_context(request, case))


@require_GET
@role_required(*VIEWERS)
def action_form(request: HttpRequest, reference: str, name: str) -> HttpResponse:
    """A folded form of the case page, fetched when its ``<details>`` is opened: the form
    alone for HTMX; for a browser without JS, the case page with that form open.

    Refused as its POST is: a role that may not use the form gets 403, a case the viewer may
    not see 404 (role first, as the POST's decorator checks it first), and a case they see but
    may not change this way 403. A form not offered in the case's status now (another tab
    changed it) says so instead of a form."""
    if name not in FOLDED:
        raise Http404(_("No such form."))
    viewer = signed_in(request)
    if not has_role(viewer, *ROLES[ACTIONS[name][1]]):
        raise PermissionDenied(_("Your role does not allow this change."))
    case = case_page_case(viewer=viewer, reference=reference)
    if not may_use(viewer=viewer, case=case, name=name):
        raise PermissionDenied(_("You do not work on this case."))
    if not request.htmx:  # type: ignore[attr-defined]
        context = case_page_context(request, case, unfold=name)
        if name not in context["forms"]:
            context["flash"] = {"level": "warning", "text": not_offered(case)}
        return render(request, "cases/case/detail.html", context)
    form = (
        action_form_for(name=name, case=case, viewer=viewer)
        if offered(name=name, case=case)
        else None
    )
    return render(
        request,
        "cases/case/_action_form_body.html",
        {"action": fold_entry(name=name, case=case, form=form), "not_offered": not_offered(case)},
    )


@require_GET
@role_required(*VIEWERS)
def related(request: HttpRequest, reference: str) -> HttpResponse:
    """The case page's "Related cases" panel, fetched when the page loads (its reads are not
    needed for the first paint); without JS, a page of its own. 404 for a case the viewer
    may not see."""
    viewer = signed_in(request)
    case = case_related_panel_case(viewer=viewer, reference=reference)
    context = {"case": case, "related": related_with_links(case, viewer=viewer)}
    if request.htmx:  # type: ignore[attr-defined]
        return render(request, "cases/case/_related.html", context)
    return render(request, "cases/case/related.html", context)


@require_GET
@role_required(*VIEWERS)
def timeline(request: HttpRequest, reference: str) -> HttpResponse:
    """The timeline alone, for the order toggle; without HTMX it is the case page."""
    case = case_page_case(viewer=request.user, reference=reference)
    order = timeline_order(request)
    if not request.htmx:  # type: ignore[attr-defined]
        return redirect(f"{reverse('cases:detail', args=[case.reference])}?order={order}")
    events = timeline_for_viewer(events=case_timeline(case=case), viewer=request.user)
    if order == "newest":
        events.reverse()
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
        raise Http404(_("No such attachment on this case."))
    try:
        handle = attachment.file.open("rb")
    except FileNotFoundError:
        raise Http404(_("The file of this attachment is missing.")) from None
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
