"""The pause analytics' date range and thresholds, read from GET parameters."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth.models import User
from django.utils.translation import gettext_lazy as _

from cases.models import Team
from escalation.forms import BootstrapForm
from escalation.users import display_name
from reports.pauses import NO_GROUP, Narrowing, PauseFigure, PauseTerms
from reports.weeks import IsoWeek, Span, report_zone

DEFAULT_WEEKS = 4
LONGEST_RANGE = timedelta(days=366)
DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def default_range(*, now: datetime) -> tuple[date, date]:
    """The last ``DEFAULT_WEEKS`` finished ISO weeks: Monday of the first to Sunday of the
    last."""
    this_week = IsoWeek.containing(now)
    return this_week.shifted(-DEFAULT_WEEKS).monday, this_week.previous().sunday


class PauseRangeForm(BootstrapForm):
    """From and to (both days included, in the organisation's time zone) and the two
    thresholds. Unbound fields take their defaults, so the page always has a range."""

    start = forms.DateField(label=_("From"), widget=DATE_INPUT)
    end = forms.DateField(label=_("To (included)"), widget=DATE_INPUT)
    shortly = forms.IntegerField(
        # xgettext:no-python-format (a plain "%" sign, not a placeholder)
        label=_("Shortly before a breach: under this % of the target left"),
        min_value=1,
        max_value=99,
    )
    repeated = forms.IntegerField(
        label=_("Repeated: paused at least (times)"), min_value=2, max_value=50
    )

    def __init__(self, data: Any, *, now: datetime, **kwargs: Any) -> None:
        self.now = now
        start, end = default_range(now=now)
        defaults = {
            "start": start.isoformat(),
            "end": end.isoformat(),
            "shortly": str(settings.PAUSES_SHORTLY_PERCENT),
            "repeated": str(settings.PAUSES_REPEATED_MIN),
        }
        given = {name: data.get(name) or "" for name in self.base_fields}
        super().__init__({k: v or defaults.get(k, "") for k, v in given.items()}, **kwargs)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("start"), data.get("end")
        if start is None or end is None:
            return data
        today = self.now.astimezone(report_zone()).date()
        if end < start:
            self.add_error("end", _("The range must end on or after its first day."))
        elif end - start >= LONGEST_RANGE:
            self.add_error("end", _("The range may cover at most 366 days."))
        if start > today:
            self.add_error("start", _("The range must not start in the future."))
        return data

    def terms(self) -> PauseTerms:
        data = self.cleaned_data
        zone = report_zone()
        start = datetime.combine(data["start"], time(0), tzinfo=zone)
        end = datetime.combine(data["end"] + timedelta(days=1), time(0), tzinfo=zone)
        live = self.now < end
        span = Span(start=start, end=min(end, self.now), live=live)
        return PauseTerms(span=span, shortly_percent=data["shortly"], repeated_min=data["repeated"])

    def params(self) -> dict[str, str]:
        """The range and thresholds as GET parameters, for the links to the lists."""
        data = self.cleaned_data
        return {
            "start": data["start"].isoformat(),
            "end": data["end"].isoformat(),
            "shortly": str(data["shortly"]),
            "repeated": str(data["repeated"]),
        }


class GroupField(forms.CharField):
    """A team or owner id, or ``none`` for the cases without one."""

    def __init__(self, model: type[Team] | type[User], **kwargs: Any) -> None:
        self.model = model
        super().__init__(required=False, **kwargs)

    def clean(self, value: Any) -> tuple[bool, Team | User | None]:
        """(whether a group was named, its row: None for the cases without one)."""
        text = str(super().clean(value) or "")
        if not text:
            return False, None
        if text == NO_GROUP:
            return True, None
        found = None
        if text.isdigit() and len(text) <= 18:
            found = self.model.objects.filter(pk=int(text)).first()
        if found is None:
            raise forms.ValidationError(
                _("There is no such %(name)s."), params={"name": self.label}
            )
        return True, found


class PauseCasesForm(PauseRangeForm):
    """Which figure's cases to list, and the waiting figure's team or owner."""

    figure = forms.ChoiceField(label=_("Figure"), choices=PauseFigure.choices)
    team = GroupField(Team, label=_("team"))
    owner = GroupField(User, label=_("owner"))
    page = forms.IntegerField(min_value=1, required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        grouped = data.get("team", (False, None))[0] or data.get("owner", (False, None))[0]
        if grouped and data.get("figure") not in (None, PauseFigure.WAITING):
            self.add_error("figure", _("Only the waiting time is counted per team and owner."))
        return data

    def narrowing(self) -> Narrowing:
        data = self.cleaned_data
        (by_team, team), (by_owner, owner) = data["team"], data["owner"]
        return Narrowing(
            team=team.pk if team else None,
            by_team=by_team,
            owner=owner.pk if owner else None,
            by_owner=by_owner,
        )

    def group_name(self) -> str:
        """The team or owner the list is narrowed to, in words ("" when it is not)."""
        (by_team, team), (by_owner, owner) = self.cleaned_data["team"], self.cleaned_data["owner"]
        if by_team:
            return str(team.name) if isinstance(team, Team) else str(_("No team"))
        if by_owner:
            return display_name(
                owner if isinstance(owner, User) else None, nobody=str(_("Unassigned"))
            )
        return ""
