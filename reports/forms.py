from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from cases.models import Customer, RootCause, Team, Tier
from reports.selectors import (
    AGE_BUCKETS,
    DIMENSIONS,
    METRICS,
    NO_GROUP,
    Dimension,
    DrillDown,
    ReportFilters,
    dimension_labels,
)

DIMENSIONS_BY_KEY = {d.key: d for d in DIMENSIONS}
MAX_GROUPS = 20


def _no_such(dimension: Dimension, text: object) -> str:
    return _("There is no such %(dimension)s: %(group)s.") % {
        "dimension": _(dimension.title).lower(),
        "group": text,
    }


class ReportFilterForm(forms.Form):
    """The report's filters, read from GET parameters."""

    team = forms.ModelChoiceField(
        queryset=Team.objects.order_by("name"),
        label=_("Team"),
        required=False,
        empty_label=_("All teams"),
        widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
    )
    tier = forms.ChoiceField(
        label=_("Customer tier"),
        choices=[("", _("All tiers")), *Tier.choices],
        required=False,
        widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
    )

    def filters(self) -> ReportFilters:
        team = self.cleaned_data.get("team")
        return ReportFilters(
            team_id=team.pk if team else None, tier=self.cleaned_data.get("tier") or None
        )


class WeekListForm(ReportFilterForm):
    page = forms.IntegerField(min_value=1, required=False, widget=forms.HiddenInput)


class TextListField(forms.Field):
    """A repeated GET parameter (``group=S1&group=S2``) as a list of strings."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value: Any) -> list[str]:
        return [str(v) for v in value or []]


class DrillDownForm(ReportFilterForm):
    """Which figure's rows to list: a metric, the report's filters, and how a table of the
    report narrowed it (groups of one breakdown dimension, a customer, a root cause, or an age
    of the open backlog)."""

    metric = forms.ChoiceField(choices=[(m.key, m.title) for m in METRICS.values()])
    dimension = forms.ChoiceField(
        choices=[("", _("None")), *((d.key, d.title) for d in DIMENSIONS)], required=False
    )
    group = TextListField(required=False)
    customer = forms.ModelChoiceField(queryset=Customer.objects.all(), required=False)
    root_cause = forms.ModelChoiceField(
        queryset=RootCause.objects.select_related("parent"), required=False
    )
    age = forms.TypedChoiceField(
        choices=[(str(i), label) for i, (label, _low, _high) in enumerate(AGE_BUCKETS)],
        coerce=int,
        empty_value=None,
        required=False,
    )
    page = forms.IntegerField(min_value=1, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.group_labels: dict[Any, str] = {}

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        dimension = DIMENSIONS_BY_KEY.get(data.get("dimension") or "")
        raw = data.get("group") or []
        if dimension is None:
            if raw:
                self.add_error("group", _("A group needs its dimension (dimension=...)."))
            data["groups"] = ()
        elif not raw:
            self.add_error("group", _("Name the group of the breakdown (group=...)."))
        elif len(raw) > MAX_GROUPS:
            self.add_error("group", _("At most %(limit)s groups.") % {"limit": MAX_GROUPS})
        else:
            self._clean_groups(data, dimension, raw)
        data["dimension"] = dimension
        if data.get("age") is not None and data.get("metric") != "backlog":
            self.add_error("age", _("Only the cases open at the end of the week have an age."))
        return data

    def _clean_groups(self, data: dict[str, Any], dimension: Dimension, raw: list[str]) -> None:
        groups: list[Any] = []
        for text in dict.fromkeys(raw):
            if text == NO_GROUP and dimension.model is not None:
                groups.append(None)
            elif dimension.model is not None and text.isdigit() and len(text) <= 18:
                groups.append(int(text))
            elif dimension.choices is not None and text in dimension.choices.values:
                groups.append(text)
            else:
                self.add_error("group", _no_such(dimension, text))
                return
        labels = dimension_labels(dimension, groups)
        unknown = [g for g in groups if g not in labels]
        if unknown:
            self.add_error("group", _no_such(dimension, unknown[0]))
            return
        self.group_labels = {g: labels[g] for g in groups}
        data["groups"] = tuple(groups)

    def drilldown(self) -> DrillDown:
        data = self.cleaned_data
        customer, cause = data.get("customer"), data.get("root_cause")
        return DrillDown(
            METRICS[data["metric"]],
            self.filters(),
            data["dimension"],
            data["groups"],
            customer_id=customer.pk if customer else None,
            root_cause_id=cause.pk if cause else None,
            age=data.get("age"),
        )

    def narrowing_text(self) -> list[str]:
        """How the figure is narrowed, in words: ["Severity: S1 or S2", "Customer: Acme"]."""
        data = self.cleaned_data
        parts = []
        if data["dimension"] is not None:
            names = str(_(" or ")).join(self.group_labels[g] for g in data["groups"])
            parts.append(f"{_(data['dimension'].title)}: {names}")
        if data.get("customer"):
            parts.append(_("Customer: %(name)s") % {"name": data["customer"].name})
        if data.get("root_cause"):
            parts.append(_("Root cause: %(cause)s") % {"cause": data["root_cause"]})
        if data.get("age") is not None:
            parts.append(_("Open for %(age)s") % {"age": AGE_BUCKETS[data["age"]][0]})
        return parts
