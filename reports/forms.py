from __future__ import annotations

from django import forms

from cases.models import Team, Tier
from reports.selectors import ReportFilters


class ReportFilterForm(forms.Form):
    """The report's filters, read from GET parameters."""

    team = forms.ModelChoiceField(
        queryset=Team.objects.order_by("name"),
        required=False,
        empty_label="All teams",
        widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
    )
    tier = forms.ChoiceField(
        label="Customer tier",
        choices=[("", "All tiers"), *Tier.choices],
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
