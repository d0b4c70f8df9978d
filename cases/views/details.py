"""The case page's "Edit details" and "Merge into…" actions: folded forms of the panel, posted
like the other actions (cases.views.actions: who may, the form, the service, the answer)."""

from __future__ import annotations

from django import forms
from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _

from cases import services
from cases.forms_details import DetailsForm
from cases.models import Case
from cases.selectors import case_get_for_viewer
from cases.views.actions import action_view
from escalation.access import signed_in
from escalation.errors import DomainError


def _details(request: HttpRequest, case: Case, form: forms.Form) -> str:
    assert isinstance(form, DetailsForm)
    changed = list(form.changed_data)
    if not changed:
        return _("Nothing to save: the details are as they were.")
    services.case_update_details(case=case, by=signed_in(request), **form.changes())
    saved = ", ".join(str(form[name].label).lower() for name in changed)
    return _("Saved: %(fields)s.") % {"fields": saved}


def _merge(request: HttpRequest, case: Case, form: forms.Form) -> str:
    reference = form.cleaned_data["into"]
    try:
        into = case_get_for_viewer(viewer=request.user, reference=reference)
    except Http404:
        raise DomainError(
            _("There is no case %(reference)s.") % {"reference": reference}, field="into"
        ) from None
    services.case_merge(
        duplicate=case, into=into, by=signed_in(request), reason=form.cleaned_data["reason"]
    )
    return _("%(case)s merged into %(into)s and closed.") % {
        "case": case.reference,
        "into": into.reference,
    }


details = action_view("details", _details)
merge = action_view("merge", _merge)
