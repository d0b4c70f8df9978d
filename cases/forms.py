"""Forms of the case pages. They validate input and hand clean values to the services in
the cases/services/ package; the rules of what may change live in the services, not here."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import UploadedFile
from django.db.models import CharField, QuerySet, Value
from django.template.defaultfilters import filesizeformat
from django.utils.functional import lazy
from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cases.models import (
    Case,
    Category,
    Contact,
    Customer,
    Impact,
    LinkKind,
    Product,
    RootCause,
    Severity,
    Status,
    Team,
)
from cases.models.case import TITLE_MAX
from cases.services.attachments import FILES_MAX, attachment_check
from escalation.errors import DomainError
from escalation.forms import BootstrapForm
from escalation.roles import Role, users_with_role
from escalation.text import REASON_MAX, TEXT_MAX
from escalation.users import display_name

User = get_user_model()

MAX_FILES = FILES_MAX


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Zero or more uploads, each checked for size; the service checks the content type."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[UploadedFile]:
        files = data if isinstance(data, list | tuple) else ([data] if data else [])
        if len(files) > MAX_FILES:
            raise forms.ValidationError(
                _("Attach at most %(max)s files at a time.") % {"max": MAX_FILES}
            )
        cleaned = [super(MultipleFileField, self).clean(item, initial) for item in files]
        limit = settings.ATTACHMENT_MAX_BYTES
        for upload in cleaned:
            if upload.size is not None and upload.size > limit:
                raise forms.ValidationError(
                    _("%(upload)s is %(size)s; files may be at most %(limit)s.")
                    % {
                        "upload": upload.name,
                        "size": filesizeformat(upload.size),
                        "limit": filesizeformat(limit),
                    }
                )
        return cleaned


def active_staff() -> QuerySet[Any]:
    """People a case may be assigned to: active operators and escalation managers."""
    return users_with_role(Role.OPERATOR, Role.MANAGER)


class UserChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return display_name(obj)


class CustomerChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.name} ({obj.get_tier_display()})"


class CaseRaiseForm(BootstrapForm):
    customer = CustomerChoiceField(
        queryset=Customer.objects.filter(is_active=True),
        empty_label=gettext_lazy("Choose a customer…"),
        error_messages={"invalid_choice": gettext_lazy("Choose a customer from the list.")},
    )
    contact = forms.ModelChoiceField(
        queryset=Contact.objects.none(),
        required=False,
        empty_label="—",
        help_text=gettext_lazy("The person at the customer who reported it."),
    )
    product = forms.ModelChoiceField(
        queryset=Product.objects.filter(is_active=True), required=False, empty_label="—"
    )
    category = forms.ModelChoiceField(
        queryset=Category.objects.filter(is_active=True), required=False, empty_label="—"
    )
    severity = forms.ChoiceField(choices=[("", "Choose…"), *Severity.choices])
    impact = forms.ChoiceField(choices=Impact.choices, initial=Impact.SINGLE_USER)
    title = forms.CharField(
        max_length=TITLE_MAX,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
        help_text=gettext_lazy(
            "One line the triage queue shows, e.g. “Checkout fails with error 502”."
        ),
    )
    description = forms.CharField(
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=gettext_lazy("What happens."),
    )
    tried = forms.CharField(
        label=gettext_lazy("What was tried"),
        max_length=TEXT_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("Steps already taken, so nobody repeats them."),
    )
    attachments = MultipleFileField(
        label=gettext_lazy("Files"),
        help_text=format_lazy(
            gettext_lazy("Screenshots or logs, up to {size} each."),
            size=lazy(filesizeformat, str)(settings.ATTACHMENT_MAX_BYTES),
        ),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        customer_id = self._customer_id()
        if customer_id is not None:
            self.fields["contact"].queryset = Contact.objects.filter(  # type: ignore[attr-defined]
                customer_id=customer_id
            )

    def _customer_id(self) -> int | None:
        raw = self.data.get("customer") if self.is_bound else self.initial.get("customer")
        if isinstance(raw, Customer):
            return raw.pk
        return parse_id(raw)

    def clean_attachments(self) -> list[UploadedFile]:
        return check_uploads(self.cleaned_data["attachments"])


def check_uploads(uploads: list[UploadedFile]) -> list[UploadedFile]:
    """Refuse the whole batch before anything is stored if one file would be refused, using
    the service's own rule (type, name and size)."""
    for upload in uploads:
        try:
            attachment_check(upload)
        except DomainError as error:
            raise forms.ValidationError(error.message) from None
    return uploads


def parse_id(raw: object) -> int | None:
    """A positive database id from user input, or None."""
    text = str(raw or "").strip()
    # isascii: str.isdigit() also accepts other scripts' digits, which int() would convert.
    if not (text.isascii() and text.isdigit() and len(text) <= 18):
        return None
    return int(text) or None


class NoteForm(BootstrapForm):
    VISIBILITY = (
        ("internal", gettext_lazy("Internal note")),
        ("customer", gettext_lazy("Customer-facing update")),
    )

    body = forms.CharField(
        label=gettext_lazy("Message"),
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("In an internal note, type @username to notify a colleague."),
    )
    visibility = forms.ChoiceField(
        label=gettext_lazy("Kind"),
        choices=VISIBILITY,
        initial="internal",
        widget=forms.RadioSelect,
        help_text=gettext_lazy("Internal notes are for the support organisation only."),
    )

    @property
    def customer_facing(self) -> bool:
        return self.cleaned_data["visibility"] == "customer"


class AttachmentForm(BootstrapForm):
    attachments = MultipleFileField(label=gettext_lazy("Files"), required=True)

    def clean_attachments(self) -> list[UploadedFile]:
        return check_uploads(self.cleaned_data["attachments"])


class ReasonField(forms.CharField):
    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", REASON_MAX)
        kwargs.setdefault("widget", forms.Textarea(attrs={"rows": 2}))
        super().__init__(**kwargs)


class AssignForm(BootstrapForm):
    team = forms.ModelChoiceField(
        queryset=Team.objects.filter(is_active=True), required=False, empty_label="—"
    )
    owner = UserChoiceField(queryset=active_staff(), required=False, empty_label="—")
    unassign = forms.BooleanField(
        label=gettext_lazy("No owner: back to the team's queue"),
        required=False,
        help_text=gettext_lazy(
            "Nobody holds the case; its team (or the team chosen above) picks it up."
        ),
    )
    reason = ReasonField()

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.errors:
            return data
        if data.get("unassign") and data.get("owner"):
            self.add_error("owner", _("Choose an owner or no owner, not both."))
        elif not data.get("team") and not data.get("owner") and not data.get("unassign"):
            raise forms.ValidationError(_("Choose a team, an owner or both."))
        return data


class SeverityForm(BootstrapForm):
    severity = forms.ChoiceField(choices=Severity.choices)
    reason = ReasonField()


class StatusForm(BootstrapForm):
    # A new case is acknowledged with its own button; this form moves a case being worked on.
    status = forms.ChoiceField(
        choices=[(s.value, s.label) for s in (Status.IN_PROGRESS, Status.WAITING)]
    )
    reason = ReasonField(required=False)


class RootCauseChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(obj)


class ResolveForm(BootstrapForm):
    summary = forms.CharField(
        label=gettext_lazy("Resolution summary"),
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    # Causes only: a group (a row with causes under it, such as "Process") is not a cause.
    root_cause = RootCauseChoiceField(
        queryset=RootCause.objects.filter(is_active=True, children__isnull=True).select_related(
            "parent"
        ),
        empty_label=gettext_lazy("Choose a root cause…"),
        error_messages={"invalid_choice": gettext_lazy("Choose a root cause from the list.")},
    )


class ReopenForm(BootstrapForm):
    reason = ReasonField()


class EmptyForm(BootstrapForm):
    """Acknowledge and close: the button is the whole input."""


class WatchForm(BootstrapForm):
    watching = forms.TypedChoiceField(
        choices=(("1", gettext_lazy("Watch")), ("0", gettext_lazy("Stop watching"))),
        coerce=lambda value: value == "1",
        widget=forms.HiddenInput,
    )


class LinkForm(BootstrapForm):
    reference = forms.CharField(
        label=gettext_lazy("Other case"),
        max_length=20,
        help_text=gettext_lazy("Its reference, e.g. ESC-000123."),
        widget=forms.TextInput(attrs={"placeholder": "ESC-000123", "autocomplete": "off"}),
    )
    kind = forms.ChoiceField(
        label=gettext_lazy("Relation"), choices=LinkKind.choices, initial=LinkKind.RELATED
    )

    def clean_reference(self) -> str:
        reference: str = self.cleaned_data["reference"]
        if Case.pk_from_reference(reference) is None:
            raise forms.ValidationError(
                _("This is not a case reference; it looks like ESC-000123.")
            )
        return reference.strip().upper()


class IdListField(forms.Field):
    """Ticked row ids: whatever is not an id is dropped (only a tampered form sends such);
    the bulk service reports ids that name no case."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value: Any) -> list[int]:
        values = value if isinstance(value, list | tuple) else [value] if value else []
        return [pk for pk in (parse_id(v) for v in values) if pk is not None]


class BulkAction:
    ASSIGN = "assign"
    STATUS = "status"
    SEVERITY = "severity"
    CHOICES = (
        (ASSIGN, gettext_lazy("Assign")),
        (STATUS, gettext_lazy("Change status")),
        (SEVERITY, gettext_lazy("Change severity")),
    )


class BulkForm(BootstrapForm):
    """One action applied to the chosen cases of the queue, with one reason for all."""

    cases = IdListField(error_messages={"required": gettext_lazy("Select at least one case.")})
    action = forms.ChoiceField(
        choices=[("", gettext_lazy("Choose an action…")), *BulkAction.CHOICES]
    )
    team = forms.ModelChoiceField(
        queryset=Team.objects.filter(is_active=True), required=False, empty_label="—"
    )
    owner = UserChoiceField(queryset=active_staff(), required=False, empty_label="—")
    # Resolve, reopen and close need more than a reason: a bulk update sets working statuses.
    status = forms.ChoiceField(
        choices=[("", "—"), *[(s.value, s.label) for s in Status.WORKING]], required=False
    )
    severity = forms.ChoiceField(choices=[("", "—"), *Severity.choices], required=False)
    reason = forms.CharField(max_length=REASON_MAX)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        action = data.get("action")
        if action == BulkAction.ASSIGN and not (data.get("team") or data.get("owner")):
            self.add_error("team", _("Choose a team, an owner or both to assign to."))
        elif action == BulkAction.STATUS and not data.get("status"):
            self.add_error("status", _("Choose the new status."))
        elif action == BulkAction.SEVERITY and not data.get("severity"):
            self.add_error("severity", _("Choose the new severity."))
        return data

    def changes(self) -> dict[str, Any]:
        """The keyword arguments for cases_bulk_update besides ids, actor and reason."""
        data = self.cleaned_data
        action = data["action"]
        if action == BulkAction.ASSIGN:
            return {"team": data.get("team"), "owner": data.get("owner")}
        if action == BulkAction.STATUS:
            return {"status": data["status"]}
        return {"severity": data["severity"]}


FILTER_CHECKBOXES = {"status", "severity"}
UNASSIGNED_CHOICES = (
    ("", gettext_lazy("Any")),
    ("true", gettext_lazy("Unassigned only")),
    ("false", gettext_lazy("Assigned only")),
)
PARENTS_CHOICES = (("", gettext_lazy("Any case")), ("true", gettext_lazy("Major incidents only")))


def style_filter_form(form: forms.Form) -> None:
    """Bootstrap classes for the queue's FilterSet form: statuses and severities as
    checkboxes, "Any" for an empty choice, words for the unassigned filter."""
    for name, field in form.fields.items():
        if name in FILTER_CHECKBOXES:
            field.widget = forms.CheckboxSelectMultiple(
                attrs={"class": "form-check-input"},
                choices=field.choices,  # type: ignore[attr-defined]
            )
            continue
        if name == "unassigned":
            field.widget = forms.Select(choices=UNASSIGNED_CHOICES)
        elif name == "parents_only":
            field.widget = forms.Select(choices=PARENTS_CHOICES)
        elif isinstance(field, forms.ModelChoiceField):
            field.empty_label = _("Any")
        elif name != "sort" and hasattr(field, "empty_label"):
            # django-filter's choice field: setting the choices again rebuilds its iterator
            # (and the widget's) with the new empty label.
            choices = [c for c in field.choices if c[0] != ""]  # type: ignore[attr-defined]
            field.empty_label = _("Any")
            field.choices = choices  # type: ignore[attr-defined]
        widget = field.widget
        is_select = isinstance(widget, forms.Select)
        widget.attrs["class"] = (
            "form-select form-select-sm" if is_select else "form-control form-control-sm"
        )
    for name in form.errors:
        if name in form.fields:
            form.fields[name].widget.attrs["aria-invalid"] = "true"
    named_pickers_in_one_query(form, NAMED_PICKERS)


# The queue filters' pickers whose rows show their name (customers, teams, products, categories).
NAMED_PICKERS = ("customer", "team", "product", "category")


def named_pickers_in_one_query(form: forms.Form, names: tuple[str, ...]) -> None:
    """Fill the choices of the ModelChoiceFields ``names`` of ``form``, each labelled with its
    rows' ``name``, from one UNION query instead of one query per picker. The fields keep
    their querysets, so validation is unchanged; a name the form lacks is skipped."""
    fields = {name: form.fields[name] for name in names if name in form.fields}
    if not fields:
        return
    parts = [
        field.queryset.order_by()  # type: ignore[attr-defined]
        .annotate(picker=Value(name, output_field=CharField()))
        .values_list("picker", "pk", "name")
        for name, field in fields.items()
    ]
    rows = parts[0].union(*parts[1:], all=True).order_by("name", "pk")
    choices: dict[str, list[tuple[Any, str]]] = {name: [] for name in fields}
    for picker, pk, label in rows:
        choices[picker].append((pk, label))
    for name, field in fields.items():
        # As django-filter's iterator orders them: the empty choice, its null choice ("No
        # team"), then the rows.
        empty = getattr(field, "empty_label", None)
        null = getattr(field, "null_label", None)
        head = [("", empty)] if empty is not None else []
        if null is not None:
            head.append((field.null_value, null))  # type: ignore[attr-defined]
        # The widget renders these; the field still validates against its queryset.
        field.widget.choices = [*head, *choices[name]]  # type: ignore[attr-defined]
