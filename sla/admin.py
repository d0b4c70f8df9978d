"""SLA configuration in the Django admin: calendars (hours, holidays), policies, managers on duty;
the engine's clocks, escalation records and notifications read-only; the outbox, read-only but
for sending failed mail again.

Saving a calendar or a policy re-aligns the clocks of the open cases it governs (in the
background, after the save commits)."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db.models import ForeignKey, QuerySet
from django.forms.models import BaseInlineFormSet
from django.http import HttpRequest
from django.utils import timezone

from escalation.roles import Role, users_with_role
from sla import clock
from sla.calendars import calendar_changed
from sla.models import (
    BusinessCalendar,
    CaseClock,
    EscalationRecord,
    Holiday,
    Notification,
    NotifyHours,
    OnDuty,
    OutgoingMail,
    SlaPolicy,
    WorkingHours,
)
from sla.outbox import outbox_resend
from sla.services import clocks_resync_later


class WorkingHoursFormSet(BaseInlineFormSet):
    def clean(self) -> None:
        super().clean()
        if any(self.errors):
            return
        hours: dict[int, list[clock.Window]] = {}
        for form in self.forms:
            data = getattr(form, "cleaned_data", None)
            if not data or data.get("DELETE") or data.get("weekday") is None:
                continue
            hours.setdefault(data["weekday"], []).append((data["start"], data.get("end")))
        calendar = self.instance
        if not calendar.always_open and not hours:
            raise ValidationError("A calendar that is not 24x7 needs working hours.")
        try:
            clock.Calendar(
                tz=ZoneInfo(calendar.time_zone),
                hours={day: tuple(sorted(ws, key=lambda w: w[0])) for day, ws in hours.items()},
            )
        except (ValueError, ZoneInfoNotFoundError) as problem:
            raise ValidationError(f"These working hours do not fit together: {problem}") from None


class WorkingHoursInline(admin.TabularInline):
    model = WorkingHours
    formset = WorkingHoursFormSet
    extra = 0


class HolidayInline(admin.TabularInline):
    model = Holiday
    extra = 0


class BusinessCalendarForm(forms.ModelForm):
    class Meta:
        model = BusinessCalendar
        fields = ["name", "time_zone", "always_open"]

    def clean_time_zone(self) -> str:
        name = self.cleaned_data["time_zone"]
        try:
            ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValidationError(f"{name!r} is not a known time zone.") from None
        return name


@admin.register(BusinessCalendar)
class BusinessCalendarAdmin(admin.ModelAdmin):
    form = BusinessCalendarForm
    list_display = ["name", "time_zone", "always_open"]
    inlines = [WorkingHoursInline, HolidayInline]

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        calendar_changed(calendar=form.instance)
        clocks_resync_later(calendar_ids=[form.instance.pk])


@admin.register(SlaPolicy)
class SlaPolicyAdmin(admin.ModelAdmin):
    list_display = [
        "__str__",
        "calendar",
        "response_minutes",
        "resolution_minutes",
        "update_minutes",
        "warn_percent",
        "reescalate_minutes",
        "acknowledge_minutes",
    ]
    list_filter = ["tier", "severity", "calendar"]

    def save_model(self, request: HttpRequest, obj: SlaPolicy, form: Any, change: bool) -> None:
        before = list(SlaPolicy.objects.filter(pk=obj.pk).values_list("tier", "severity"))
        super().save_model(request, obj, form, change)
        clocks_resync_later(policies=[*before, (obj.tier, obj.severity)])

    def delete_model(self, request: HttpRequest, obj: SlaPolicy) -> None:
        key = (obj.tier, obj.severity)
        super().delete_model(request, obj)
        clocks_resync_later(policies=[key])

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[SlaPolicy]) -> None:
        keys = list(queryset.values_list("tier", "severity"))
        super().delete_queryset(request, queryset)
        clocks_resync_later(policies=keys)


@admin.register(NotifyHours)
class NotifyHoursAdmin(admin.ModelAdmin):
    """Whose mail waits for which working hours (a person's own, or a team's)."""

    list_display = ["__str__", "user", "team", "calendar"]
    list_select_related = ["user", "team", "calendar"]
    autocomplete_fields = ["user"]


@admin.register(OnDuty)
class OnDutyAdmin(admin.ModelAdmin):
    list_display = ["user", "starts_at", "ends_at", "note"]
    list_filter = ["user"]
    date_hierarchy = "starts_at"

    def formfield_for_foreignkey(
        self, db_field: ForeignKey, request: HttpRequest, **kwargs: Any
    ) -> Any:
        if db_field.name == "user":
            kwargs["queryset"] = users_with_role(Role.MANAGER)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class ReadOnlyAdmin(admin.ModelAdmin):
    """The engine writes these; the admin only shows them."""

    show_full_result_count = False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(CaseClock)
class CaseClockAdmin(ReadOnlyAdmin):
    list_display = ["case", "kind", "due_at", "warned_at", "breached_at", "stopped_at", "met"]
    list_filter = ["kind", "met"]
    list_select_related = ["case"]
    raw_id_fields = ["case"]


@admin.register(EscalationRecord)
class EscalationRecordAdmin(ReadOnlyAdmin):
    list_display = ["case", "clock_kind", "step", "rule", "created_at", "to_team", "to_owner"]
    list_filter = ["clock_kind", "rule"]
    list_select_related = ["case", "to_team", "to_owner"]
    date_hierarchy = "created_at"


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = ["recipient", "kind", "subject", "created_at", "read_at"]
    list_filter = ["kind"]
    list_select_related = ["recipient"]
    search_fields = ["subject", "recipient__username"]


@admin.register(OutgoingMail)
class OutgoingMailAdmin(ReadOnlyAdmin):
    """The outbox: what was sent, what waits for a retry, what failed for good and why."""

    list_display = [
        "to",
        "subject",
        "status",
        "attempts",
        "created_at",
        "not_before",
        "sent_at",
        "last_error",
    ]
    list_filter = ["status"]
    search_fields = ["to", "subject"]
    date_hierarchy = "created_at"
    actions = ["send_again"]

    @admin.action(description="Send the selected failed mail again")
    def send_again(self, request: HttpRequest, queryset: QuerySet[OutgoingMail]) -> None:
        queued = outbox_resend(
            mail_ids=list(queryset.values_list("pk", flat=True)), now=timezone.now()
        )
        self.message_user(request, f"{queued} messages will be sent again.")
