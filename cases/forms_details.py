"""The case page's forms for a case's details and for merging it into another case. They hand
clean values to ``case_update_details`` and ``case_merge``, which hold the rules."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.db.models import Model, Q, QuerySet
from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cases.forms import ReasonField, parse_id
from cases.models import Case, Category, Impact, Product
from cases.models.case import TITLE_MAX
from cases.services import TAGS_MAX
from escalation.forms import BootstrapForm
from escalation.text import TEXT_MAX

# Tags are typed as one line: names apart by commas or spaces.
TAG_SEPARATORS = re.compile(r"[,\s]+")


def details_initial(case: Case) -> dict[str, Any]:
    """The case's details as the details form shows them."""
    return {
        "title": case.title,
        "description": case.description,
        "product": case.product_id,
        "category": case.category_id,
        "impact": case.impact,
        "tags": ", ".join(sorted(tag.name for tag in case.tags.all())),
    }


class TagsField(forms.CharField):
    """Tag names typed on one line -> a list of names (the service makes them slugs)."""

    def clean(self, value: Any) -> list[str]:
        return tag_names(super().clean(value))

    def has_changed(self, initial: Any, data: Any) -> bool:
        # The same tags in another order or spacing are no change.
        return sorted(tag_names(initial)) != sorted(tag_names(data))


def tag_names(text: Any) -> list[str]:
    return [name for name in TAG_SEPARATORS.split(str(text or "")) if name]


class DetailsForm(BootstrapForm):
    """Title, description, product, category, impact and tags of a case.

    Each field carries the value the person saw (``show_hidden_initial``), so only what they
    changed goes to the service: a field someone else edited meanwhile is not put back."""

    title = forms.CharField(max_length=TITLE_MAX, show_hidden_initial=True)
    description = forms.CharField(
        max_length=TEXT_MAX, widget=forms.Textarea(attrs={"rows": 5}), show_hidden_initial=True
    )
    product = forms.ModelChoiceField(
        queryset=Product.objects.none(), required=False, empty_label="—", show_hidden_initial=True
    )
    category = forms.ModelChoiceField(
        queryset=Category.objects.none(), required=False, empty_label="—", show_hidden_initial=True
    )
    impact = forms.ChoiceField(choices=Impact.choices, show_hidden_initial=True)
    tags = TagsField(
        required=False,
        max_length=TAGS_MAX * 51,
        help_text=format_lazy(
            gettext_lazy("Up to {max}, apart by commas, e.g. “vpn, outage”."), max=TAGS_MAX
        ),
        show_hidden_initial=True,
    )

    def __init__(self, *args: Any, case: Case | None = None, **kwargs: Any) -> None:
        if case is not None:
            kwargs.setdefault("initial", details_initial(case))
        super().__init__(*args, **kwargs)
        self.fields["product"].queryset = self._offered(Product, "product")  # type: ignore[attr-defined]
        self.fields["category"].queryset = self._offered(Category, "category")  # type: ignore[attr-defined]

    def _offered(self, model: type[Model], name: str) -> QuerySet[Any]:
        """The active rows, and the case's own even if no longer active (kept unless changed;
        the service refuses a change to an inactive one)."""
        if self.is_bound:
            current = parse_id(self.data.get(self.add_initial_prefix(name)))
        else:
            current = parse_id(self.initial.get(name))
        return model._default_manager.filter(Q(is_active=True) | Q(pk=current)).order_by("name")

    def changes(self) -> dict[str, Any]:
        """The keyword arguments of case_update_details for what was changed, and no more."""
        changed = set(self.changed_data)
        data = self.cleaned_data
        result: dict[str, Any] = {
            name: data[name]
            for name in ("title", "description", "impact", "tags")
            if name in changed
        }
        clear = []
        for name in ("product", "category"):
            if name in changed:
                if data[name] is None:
                    clear.append(name)
                else:
                    result[name] = data[name]
        result["clear"] = clear
        return result


class MergeForm(BootstrapForm):
    into = forms.CharField(
        label=gettext_lazy("Merge into"),
        max_length=20,
        help_text=gettext_lazy(
            "The case this one duplicates, e.g. ESC-000123. This case is closed; its "
            "watchers move there."
        ),
        widget=forms.TextInput(attrs={"placeholder": "ESC-000123", "autocomplete": "off"}),
    )
    reason = ReasonField()

    def clean_into(self) -> str:
        reference: str = self.cleaned_data["into"]
        if Case.pk_from_reference(reference) is None:
            raise forms.ValidationError(
                _("This is not a case reference; it looks like ESC-000123.")
            )
        return reference.strip().upper()
