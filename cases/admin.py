from django.contrib import admin

from cases.events import CustomerTierChanged, announce
from cases.models import (
    Case,
    CaseEvent,
    Category,
    Contact,
    Customer,
    Product,
    RootCause,
    Tag,
    Team,
)


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["name", "level", "lead", "escalates_to", "is_active"]
    list_filter = ["level", "is_active"]
    filter_horizontal = ["members"]
    search_fields = ["name"]


class ContactInline(admin.TabularInline):
    model = Contact
    extra = 0


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = ["name", "tier", "account_manager", "is_active"]
    list_filter = ["tier", "is_active"]
    search_fields = ["name"]
    inlines = [ContactInline]

    def save_model(self, request, obj, form, change):  # type: ignore[no-untyped-def]
        super().save_model(request, obj, form, change)
        if change and "tier" in form.changed_data:
            # Another tier means other SLA targets for the customer's open cases.
            announce(CustomerTierChanged(customer=obj))


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ["name", "is_active"]
    search_fields = ["name"]


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["name", "specialist_team", "is_active"]
    search_fields = ["name"]


@admin.register(RootCause)
class RootCauseAdmin(admin.ModelAdmin):
    list_display = ["__str__", "parent", "is_active"]
    list_filter = ["parent", "is_active"]
    search_fields = ["name"]


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    search_fields = ["name"]


class ReadOnlyEventInline(admin.TabularInline):
    """The timeline is append-only: the admin shows it and never edits it."""

    model = CaseEvent
    extra = 0
    can_delete = False
    fields = ("created_at", "actor", "kind", "from_value", "to_value", "reason")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(Case)
class CaseAdmin(admin.ModelAdmin):
    """Read-only: every change of a case goes through the services (the pages and the API)."""

    list_display = ["reference", "title", "customer", "severity", "status", "team", "owner"]
    list_filter = ["status", "severity", "level"]
    list_select_related = ["customer", "team", "owner"]
    search_fields = ["title"]
    show_full_result_count = False
    inlines = [ReadOnlyEventInline]

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False
