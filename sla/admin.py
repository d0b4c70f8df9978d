from django.contrib import admin

from sla.models import BusinessCalendar, Holiday, SlaPolicy, WorkingHours


class WorkingHoursInline(admin.TabularInline):
    model = WorkingHours
    extra = 0


class HolidayInline(admin.TabularInline):
    model = Holiday
    extra = 0


@admin.register(BusinessCalendar)
class BusinessCalendarAdmin(admin.ModelAdmin):
    list_display = ["name", "time_zone", "always_open"]
    inlines = [WorkingHoursInline, HolidayInline]


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
    ]
    list_filter = ["tier", "severity", "calendar"]
