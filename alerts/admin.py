"""Monitoring sources in the Django admin: a new source shows its token once, on the page the
save leads to; the list shows each token's prefix, last use and whether it is revoked; the
keys are read-only."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.forms import ModelForm
from django.http import HttpRequest

from alerts.models import AlertKey, IntegrationToken
from alerts.tokens import (
    integration_token_create,
    integration_token_revoke,
    integration_token_rotate,
)


@admin.register(IntegrationToken)
class IntegrationTokenAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["source", "prefix", "created_at", "last_used_at", "revoked_at"]
    fields = ["source", "customer", "team", "product", "category", "prefix", "user"]
    readonly_fields = ["prefix", "user", "created_at", "last_used_at", "revoked_at"]
    actions = ["revoke", "rotate"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        # The source names the account and the keys: fixed once created.
        return [*self.readonly_fields, "source"] if obj is not None else self.readonly_fields

    def save_model(self, request: HttpRequest, obj: Any, form: ModelForm, change: bool) -> None:  # type: ignore[type-arg]
        if change:
            super().save_model(request, obj, form, change)
            return
        issued = integration_token_create(
            source=obj.source,
            customer=obj.customer,
            team=obj.team,
            product=obj.product,
            category=obj.category,
        )
        obj.pk = issued.integration.pk
        obj.__dict__.update(issued.integration.__dict__)
        _shown(request, issued.integration.source, issued.token)

    @admin.action(description="Revoke the selected tokens")
    def revoke(self, request: HttpRequest, queryset: QuerySet[IntegrationToken]) -> None:
        done = sum(integration_token_revoke(integration=row) for row in queryset)
        self.message_user(request, f"{done} token(s) revoked.")

    @admin.action(description="Issue a new token (the old one stops working)")
    def rotate(self, request: HttpRequest, queryset: QuerySet[IntegrationToken]) -> None:
        for row in queryset:
            issued = integration_token_rotate(integration=row)
            _shown(request, row.source, issued.token)


def _shown(request: HttpRequest, source: str, token: str) -> None:
    messages.warning(
        request,
        f"The token of {source}, shown this once (only its hash is kept): {token}",
    )


@admin.register(AlertKey)
class AlertKeyAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["dedup_key", "source", "case", "times_seen", "last_seen_at", "last_action"]
    list_filter = ["source", "last_action"]
    search_fields = ["dedup_key"]
    list_select_related = ["source", "case"]
    raw_id_fields = ["case"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
