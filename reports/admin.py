from django.contrib import admin

from reports.models import ReportDelivery, ReportSubscription


@admin.register(ReportSubscription)
class ReportSubscriptionAdmin(admin.ModelAdmin):
    list_display = ["user", "kind", "active", "created_at", "updated_at"]
    list_filter = ["kind", "active"]
    list_select_related = ["user"]
    # People subscribe on the reports page (reports.subscriptions.subscription_set), which
    # checks their role; the admin only reads.
    readonly_fields = [f.name for f in ReportSubscription._meta.fields]

    def has_add_permission(self, request: object) -> bool:
        return False


@admin.register(ReportDelivery)
class ReportDeliveryAdmin(admin.ModelAdmin):
    """The delivery log: who was sent which period's PDF, when, or why not."""

    list_display = ["period", "subscription", "outcome", "attempts", "sent_at", "created_at"]
    list_filter = ["outcome", "subscription__kind"]
    list_select_related = ["subscription__user"]
    readonly_fields = [f.name for f in ReportDelivery._meta.fields]

    def has_add_permission(self, request: object) -> bool:
        return False
