"""Forms of the period and people pages: a custom range, the period of the people page, and
the drill-down of a period's figure (the weekly one's, plus the person it is about)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from escalation.users import display_name
from reports.forms import DrillDownForm, ReportFilterForm
from reports.periods import MONTH, PeriodError, ReportPeriod
from reports.selectors import DrillDown

DATE_WIDGET = forms.DateInput(attrs={"type": "date", "class": "form-control form-control-sm"})


def _started(period: ReportPeriod) -> ReportPeriod:
    if period.start() > timezone.now():
        raise PeriodError(_("%(period)s has not started yet.") % {"period": period.label})
    return period


class PeriodRangeForm(ReportFilterForm):
    """Any run of days, both included: the start, the end, and the report's filters."""

    start = forms.DateField(label=gettext_lazy("From"), widget=DATE_WIDGET)
    end = forms.DateField(label=gettext_lazy("To (included)"), widget=DATE_WIDGET)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        first, last = data.get("start"), data.get("end")
        if isinstance(first, date) and isinstance(last, date):
            try:
                data["period"] = _started(ReportPeriod.between(first, last))
            except PeriodError as error:
                self.add_error("end" if last < first else None, str(error))
        return data

    def chosen_period(self) -> ReportPeriod:
        period: ReportPeriod = self.cleaned_data["period"]
        return period


class PeoplePeriodField(forms.CharField):
    """A period as a URL names it (``2026-11``, ``2026-Q4``, ``2026-01-05..2026-02-10``)."""

    def to_python(self, value: Any) -> ReportPeriod | None:  # type: ignore[override]
        text = super().to_python(value)
        if not text:
            return None
        try:
            return _started(ReportPeriod.parse(text))
        except PeriodError as error:
            raise forms.ValidationError(str(error)) from None


class PeopleForm(ReportFilterForm):
    period = PeoplePeriodField(
        label=gettext_lazy("Period"),
        required=False,
        widget=forms.TextInput(
            attrs={"class": "form-control form-control-sm", "placeholder": "2026-Q4"}
        ),
        help_text=gettext_lazy("A month (2026-11), a quarter (2026-Q4) or 2026-01-05..2026-02-10"),
    )

    def chosen_period(self) -> ReportPeriod:
        """The period asked for; this month when none was."""
        chosen: ReportPeriod | None = self.cleaned_data.get("period")
        return chosen or ReportPeriod.containing(timezone.now(), MONTH)


class PeriodDrillDownForm(DrillDownForm):
    """The weekly drill-down's parameters, and ``owner``: the person of a people-page figure."""

    owner = forms.ModelChoiceField(queryset=get_user_model().objects.all(), required=False)

    def drilldown(self) -> DrillDown:
        owner = self.cleaned_data.get("owner")
        return replace(super().drilldown(), owner_id=owner.pk if owner else None)

    def narrowing_text(self) -> list[str]:
        parts = super().narrowing_text()
        owner = self.cleaned_data.get("owner")
        if owner is not None:
            parts.append(_("Owner: %(name)s") % {"name": display_name(owner)})
        return parts
