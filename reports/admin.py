from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from reports.models import ReportDelivery, ReportSubscription
from reports.subscriptions import delivery_log


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

    list_display = [
        "period",
        "subscription",
        "outcome",
        "mail_status",
        "mail_sent_at",
        "created_at",
    ]
    list_filter = ["outcome", "subscription__kind", "mail__status"]
    readonly_fields = [f.name for f in ReportDelivery._meta.fields]

    def get_queryset(self, request: HttpRequest) -> QuerySet[ReportDelivery]:
        return delivery_log()

    @admin.display(description=_("mail"), ordering="mail__status")
    def mail_status(self, delivery: ReportDelivery) -> str:
        return getattr(delivery, "mail_status", None) or ""

    @admin.display(description=_("mail sent at"), ordering="mail__sent_at")
    def mail_sent_at(self, delivery: ReportDelivery) -> Any:
        return getattr(delivery, "mail_sent_at", None)

    def has_add_permission(self, request: object) -> bool:
        return False
