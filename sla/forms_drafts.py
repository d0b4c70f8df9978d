"""Forms of the draft pages: start a draft, edit a policy or calendar draft, ask for a replay.

A calendar's hours are written one weekday a line ("Mon 09:00-12:00, 13:00-17:00"; 24:00 is
midnight) and its holidays one a line ("2026-12-25 Christmas Day"): every line that does not
read is named in the field's error.
"""

from __future__ import annotations

from datetime import date, time
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from escalation.forms import BootstrapForm
from sla.drafts import HolidayRow, HoursRow, calendar_from_rows
from sla.models import BusinessCalendar, SlaPolicy
from sla.whatif import WEEK_CHOICES

DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
MIDNIGHT = "24:00"


def hours_text(hours: list[HoursRow]) -> str:
    """Hours rows as the form writes them, a weekday a line."""
    by_day: dict[int, list[str]] = {}
    for weekday, start, end in hours:
        by_day.setdefault(int(weekday), []).append(f"{start}-{end or MIDNIGHT}")
    return "\n".join(f"{DAYS[day]} {', '.join(by_day[day])}" for day in sorted(by_day))


def holidays_text(holidays: list[HolidayRow]) -> str:
    return "\n".join(f"{day} {name}".strip() for day, name in holidays)


def _window_problem(number: int, window: str) -> str:
    return _("line %(number)s: %(window)r is not like 09:00-17:00") % {
        "number": number,
        "window": window.strip(),
    }


def hours_parse(text: str) -> list[HoursRow]:
    rows: list[HoursRow] = []
    problems: list[str] = []
    seen: set[int] = set()
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line:
            continue
        day, _sep, windows = line.partition(" ")
        weekday = DAYS.index(day.title()[:3]) if day.title()[:3] in DAYS else None
        if weekday is None or weekday in seen or not windows.strip():
            problems.append(
                _("line %(number)s (%(line)r): start with a weekday (Mon..Sun), once")
                % {"number": number, "line": line}
            )
            continue
        seen.add(weekday)
        for window in windows.split(","):
            start, dash, end = window.strip().partition("-")
            try:
                opens = time.fromisoformat(start.strip()).strftime("%H:%M")
                closes = (
                    None
                    if end.strip() == MIDNIGHT
                    else time.fromisoformat(end.strip()).strftime("%H:%M")
                )
            except ValueError:
                problems.append(_window_problem(number, window))
                continue
            if not dash:
                problems.append(_window_problem(number, window))
                continue
            rows.append([weekday, opens, closes])
    if problems:
        raise ValidationError(problems)
    return sorted(rows, key=lambda row: (row[0], row[1]))


def holidays_parse(text: str) -> list[HolidayRow]:
    rows: dict[str, str] = {}
    problems: list[str] = []
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line:
            continue
        day, _sep, name = line.partition(" ")
        try:
            iso = date.fromisoformat(day).isoformat()
        except ValueError:
            problems.append(
                _("line %(number)s (%(line)r): start with a date like 2026-12-25")
                % {"number": number, "line": line}
            )
            continue
        if iso in rows:
            problems.append(
                _("line %(number)s: %(day)s is listed twice") % {"number": number, "day": iso}
            )
            continue
        rows[iso] = name.strip()[:100]
    if problems:
        raise ValidationError(problems)
    return [[day, name] for day, name in sorted(rows.items())]


class DraftStartForm(BootstrapForm):
    source = forms.ChoiceField(label=_("Make a draft of"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        policies = SlaPolicy.objects.select_related("calendar")
        calendars = BusinessCalendar.objects.order_by("name")
        source = self.fields["source"]
        assert isinstance(source, forms.ChoiceField)
        source.choices = [
            (_("SLA policies"), [(f"policy:{p.pk}", f"{p} ({p.calendar})") for p in policies]),
            (_("Business calendars"), [(f"calendar:{c.pk}", c.name) for c in calendars]),
        ]

    def source_rows(self) -> tuple[SlaPolicy | None, BusinessCalendar | None]:
        kind, _sep, pk = self.cleaned_data["source"].partition(":")
        if kind == "policy":
            return SlaPolicy.objects.get(pk=int(pk)), None
        return None, BusinessCalendar.objects.get(pk=int(pk))


class PolicyDraftForm(BootstrapForm):
    calendar = forms.ModelChoiceField(
        queryset=BusinessCalendar.objects.order_by("name"), empty_label=None
    )
    response_minutes = forms.IntegerField(label=_("First response (business minutes)"), min_value=1)
    resolution_minutes = forms.IntegerField(label=_("Resolution (business minutes)"), min_value=1)
    update_minutes = forms.IntegerField(
        label=_("Customer update every (business minutes)"),
        min_value=1,
        required=False,
        help_text=_("Empty: no customer-update clock."),
    )
    warn_percent = forms.IntegerField(
        # xgettext:no-python-format (a lone % sign, not a placeholder)
        label=_("Warn at (% of the target)"),
        min_value=1,
        max_value=99,
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        response, resolution = data.get("response_minutes"), data.get("resolution_minutes")
        if response and resolution and resolution < response:
            self.add_error(
                "resolution_minutes", _("Resolution cannot come before the first response.")
            )
        return data


class CalendarDraftForm(BootstrapForm):
    time_zone = forms.CharField(max_length=64)
    always_open = forms.BooleanField(label=_("Open 24x7"), required=False)
    hours = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 7}),
        required=False,
        help_text=_("One weekday a line: Mon 09:00-12:00, 13:00-17:00 (24:00 is midnight)."),
    )
    holidays = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 5}),
        required=False,
        help_text=_("One a line: 2026-12-25 Christmas Day."),
    )

    def clean_time_zone(self) -> str:
        name = self.cleaned_data["time_zone"].strip()
        try:
            ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValidationError(
                _("%(name)r is not a known time zone.") % {"name": name}
            ) from None
        return name

    def clean_hours(self) -> list[HoursRow]:
        return hours_parse(self.cleaned_data["hours"])

    def clean_holidays(self) -> list[HolidayRow]:
        return holidays_parse(self.cleaned_data["holidays"])

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if {"time_zone", "hours", "holidays"} <= data.keys():
            try:
                calendar_from_rows(
                    time_zone=data["time_zone"],
                    always_open=data.get("always_open", False),
                    hours=data["hours"],
                    holidays=data["holidays"],
                )
            except ValueError as problem:
                self.add_error(
                    "hours",
                    _("These working hours do not fit together: %(problem)s")
                    % {"problem": problem},
                )
        return data


class ReplayForm(BootstrapForm):
    weeks = forms.TypedChoiceField(
        choices=[
            (
                n,
                ngettext_lazy("the last %(weeks)s week", "the last %(weeks)s weeks", "weeks")
                % {"weeks": n},
            )
            for n in WEEK_CHOICES
        ],
        coerce=int,
        initial=12,
        label=_("Replay over"),
    )
