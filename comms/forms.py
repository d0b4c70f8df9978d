"""The forms of comms' outgoing side: a CC contact for a case, a reply template."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.functional import lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from cases.models import Case, Contact, Team
from comms.macros import PLACEHOLDERS, placeholder_problems
from comms.selectors import case_cc_candidates
from escalation.forms import BootstrapForm
from escalation.text import TEXT_MAX


class CcAddForm(BootstrapForm):
    """One of the customer's contacts, or a new one (name and address)."""

    contact = forms.ModelChoiceField(
        label=_("Contact"),
        queryset=Contact.objects.none(),
        required=False,
        empty_label=_("A new contact…"),
    )
    name = forms.CharField(label=_("Name"), max_length=200, required=False)
    email = forms.EmailField(label=_("Email"), required=False)

    def __init__(self, *args: Any, case: Case, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["contact"].queryset = case_cc_candidates(case=case)  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("contact") and not data.get("email"):
            self.add_error("email", _("Choose a contact or give an email address."))
        return data


def _placeholders_help() -> str:
    names = ", ".join(f"{{{name}}} ({what})" for name, what in PLACEHOLDERS.items())
    return gettext("Placeholders: %(names)s. Write {{ or }} for a brace itself.") % {"names": names}


class ReplyTemplateForm(BootstrapForm):
    name = forms.CharField(label=_("Name"), max_length=100)
    team = forms.ModelChoiceField(
        label=_("Team"),
        queryset=Team.objects.order_by("name"),
        required=False,
        empty_label=_("Every team"),
        help_text=_(
            "Offered in the update box of this team's cases (and to its members), or to all."
        ),
    )
    body = forms.CharField(
        label=_("Text"),
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=lazy(_placeholders_help, str)(),
    )

    def clean_body(self) -> str:
        body: str = self.cleaned_data["body"]
        problems = placeholder_problems(body)
        if problems:
            raise forms.ValidationError(problems)
        return body
