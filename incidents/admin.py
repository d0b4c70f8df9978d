from django.contrib import admin

from incidents.models import IncidentTask, MajorIncident, Playbook, PlaybookTask


class PlaybookTaskInline(admin.TabularInline):
    model = PlaybookTask
    extra = 3
    fields = ("position", "title", "due_after_minutes")


@admin.register(Playbook)
class PlaybookAdmin(admin.ModelAdmin):
    list_display = ("name", "category", "is_active")
    list_filter = ("is_active",)
    inlines = [PlaybookTaskInline]


class IncidentTaskInline(admin.TabularInline):
    model = IncidentTask
    extra = 0
    fields = ("title", "owner", "due_at", "state")
    readonly_fields = ("title", "owner", "due_at", "state")
    can_delete = False


@admin.register(MajorIncident)
class MajorIncidentAdmin(admin.ModelAdmin):
    # Read only: an incident changes through its services (the case page), never here.
    list_display = ("case", "state", "declared_at", "lead", "comms_lead", "cadence_minutes")
    list_filter = ("state",)
    readonly_fields = [f.name for f in MajorIncident._meta.fields]
    inlines = [IncidentTaskInline]

    def has_add_permission(self, request: object) -> bool:
        return False
