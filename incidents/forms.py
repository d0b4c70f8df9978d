"""The incident panel's forms: each one validates input for one service."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from django import forms
from django.utils.translation import gettext_lazy as _

from cases.forms import IdListField, ResolveForm, UserChoiceField, active_staff
from cases.models import Case, Status
from escalation.forms import BootstrapForm
from escalation.text import TEXT_MAX
from escalation.users import display_name
from incidents.models import CADENCE_MAX, CADENCE_MIN, TASK_TITLE_MAX, Playbook, TaskState
from incidents.services import LINK_MAX

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

_SEPARATORS = re.compile(r"[\s,;]+")


def _person(label: StrOrPromise) -> UserChoiceField:
    return UserChoiceField(queryset=active_staff(), required=False, empty_label="—", label=label)


def _cadence(required: bool) -> forms.IntegerField:
    return forms.IntegerField(
        label=_("Customer update every (minutes)"),
        min_value=CADENCE_MIN,
        max_value=CADENCE_MAX,
        required=required,
        help_text="" if required else _("Empty: from the severity (S1 30, S2 60, S3 120, S4 240)."),
    )


class DeclareForm(BootstrapForm):
    lead = _person(_("Incident lead"))
    comms_lead = _person(_("Communications lead"))
    cadence_minutes = _cadence(required=False)


class RolesForm(BootstrapForm):
    lead = _person(_("Incident lead"))
    comms_lead = _person(_("Communications lead"))
    cadence_minutes = _cadence(required=True)


class LinkForm(BootstrapForm):
    references = forms.CharField(
        label=_("Link affected cases"),
        max_length=20 * LINK_MAX,
        help_text=_("References, separated by spaces or commas (ESC-000123 ESC-000124)."),
        widget=forms.TextInput(attrs={"placeholder": "ESC-000123, ESC-000124"}),
    )

    def clean_references(self) -> list[str]:
        refs = [r for r in _SEPARATORS.split(self.cleaned_data["references"]) if r]
        if not refs:
            raise forms.ValidationError(_("Name at least one case."))
        if len(refs) > LINK_MAX:
            raise forms.ValidationError(_("At most %(limit)s cases at once.") % {"limit": LINK_MAX})
        return refs


class UnlinkForm(BootstrapForm):
    child = forms.CharField(max_length=20, widget=forms.HiddenInput)


class TaskForm(BootstrapForm):
    title = forms.CharField(label=_("Task"), max_length=TASK_TITLE_MAX)
    owner = _person(_("Owner"))
    due_at = forms.DateTimeField(
        label=_("Due"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )


class TaskStateForm(BootstrapForm):
    task = forms.IntegerField(widget=forms.HiddenInput)
    state = forms.ChoiceField(choices=TaskState.choices, widget=forms.HiddenInput)


class PlaybookForm(BootstrapForm):
    playbook = forms.ModelChoiceField(
        queryset=Playbook.objects.filter(is_active=True), empty_label=_("Choose a playbook…")
    )


class UpdateForm(BootstrapForm):
    body = forms.CharField(
        label=_("Update to every affected customer"),
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Posted on this case for its customer and on every affected case, once each."),
    )


class ChildChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.reference} {obj.customer.name}"


class IncidentResolveForm(ResolveForm):
    """The case's resolve form, and which children to resolve with the parent."""

    children = ChildChoiceField(
        queryset=Case.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label=_("Resolve these affected cases with it"),
    )

    # The panel lists its children a page at a time: the boxes are only on the rows loaded.
    # ``listed`` names those rows; with ``rest`` ticked the open children not listed are
    # resolved too (an unticked listed row is not).
    listed = IdListField(required=False)
    rest = forms.BooleanField(
        required=False,
        initial=True,
        label=_("and every open affected case not listed yet"),
    )

    def __init__(self, *args: Any, parent: Case, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.parent = parent
        field = self.fields["children"]
        assert isinstance(field, ChildChoiceField)
        field.queryset = (
            Case.objects.filter(parent=parent).select_related("customer").order_by("id")
        )

    def children_chosen(self) -> list[Case]:
        """The children to resolve with the parent (of a valid form)."""
        chosen = list(self.cleaned_data["children"])
        if self.cleaned_data["rest"]:
            seen = {*self.cleaned_data["listed"], *(c.pk for c in chosen)}
            chosen += list(
                Case.objects.filter(parent=self.parent, status__in=Status.OPEN)
                .exclude(pk__in=seen)
                .select_related("customer")
                .order_by("id")
            )
        return chosen


def people_in_one_query(*panel_forms: forms.Form) -> None:
    """Fill every person picker of ``panel_forms`` from one query of the people who can own
    work, instead of one per picker; the fields keep their querysets for validation."""
    pickers = [
        field
        for form in panel_forms
        for field in form.fields.values()
        if isinstance(field, UserChoiceField)
    ]
    if not pickers:
        return
    people = [(user.pk, display_name(user)) for user in active_staff()]
    for field in pickers:
        field.widget.choices = [("", field.empty_label or ""), *people]  # type: ignore[attr-defined]
