from django.contrib import admin

from contracts.models import Contract, MonthlyStatement


@admin.register(Contract)
class ContractAdmin(admin.ModelAdmin):
    list_display = ["customer", "valid_from", "valid_to", "monthly_fee", "currency"]
    list_select_related = ["customer"]
    # Contracts change through contracts.services.contract_save (the managers' form): it
    # refuses overlapping periods, which the admin's save would not.
    readonly_fields = [f.name for f in Contract._meta.fields]

    def has_add_permission(self, request: object) -> bool:
        return False


@admin.register(MonthlyStatement)
class MonthlyStatementAdmin(admin.ModelAdmin):
    list_display = ["customer", "month_start", "computed_at"]
    list_select_related = ["customer"]
    readonly_fields = ["customer", "month_start", "payload", "computed_at"]

    def has_add_permission(self, request: object) -> bool:
        return False
