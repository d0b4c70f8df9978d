"""Customer communication in the Django admin: the teams' inbox addresses that raise cases from
mail (off until switched on)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import ForeignKey
from django.http import HttpRequest

from comms.models import Broadcast, BroadcastTarget, Delivery, ReplyTemplate, TeamInbox
from escalation.roles import Role, users_with_role


class TeamInboxForm(forms.ModelForm):
    class Meta:
        model = TeamInbox
        fields = ["address", "team", "enabled", "raise_as", "severity", "product", "category"]

    def clean_address(self) -> str:
        # Matched against a mail's recipients in lower case (comms.mail_raise.team_inbox_for).
        return str(self.cleaned_data["address"]).strip().lower()


@admin.register(TeamInbox)
class TeamInboxAdmin(admin.ModelAdmin):
    form = TeamInboxForm
    list_display = ["address", "team", "enabled", "raise_as", "severity"]
    list_filter = ["enabled", "team"]
    list_select_related = ["team", "raise_as"]
    search_fields = ["address", "team__name"]

    def formfield_for_foreignkey(
        self, db_field: ForeignKey, request: HttpRequest, **kwargs: Any
    ) -> Any:
        # Only someone who may raise a case can be recorded as raising these.
        if db_field.name == "raise_as":
            kwargs["queryset"] = users_with_role(Role.OPERATOR, Role.MANAGER)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows the pages and services write: read here only."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(ReplyTemplate)
class ReplyTemplateAdmin(ReadOnlyAdmin):
    # Kept on the managers' page (comms:reply_templates), whose form checks the placeholders:
    # read here only.
    list_display = ["name", "team", "updated_by", "updated_at"]
    list_select_related = ["team", "updated_by"]
    search_fields = ["name", "body"]


@admin.register(Delivery)
class DeliveryAdmin(ReadOnlyAdmin):
    """Each recipient of each customer update and its outbox row (resend from *Outgoing mail*)."""

    list_display = ["case", "recipient", "cc", "mail", "created_at"]
    list_select_related = ["case", "mail"]
    search_fields = ["recipient", "message_id"]
    raw_id_fields = ["case", "event", "mail"]


@admin.register(Broadcast)
class BroadcastAdmin(ReadOnlyAdmin):
    """Each update sent to many cases at once (a major incident's to its children): how far it
    got."""

    list_display = ["parent", "author", "created_at", "done", "total", "finished_at"]
    list_select_related = ["parent", "author"]
    search_fields = ["body"]
    raw_id_fields = ["parent", "author", "parent_event"]


@admin.register(BroadcastTarget)
class BroadcastTargetAdmin(ReadOnlyAdmin):
    """One case of a broadcast: pending, sent, or on the timeline but not mailed (and why)."""

    list_display = ["broadcast", "case", "state", "reason", "dispatched_at", "done_at"]
    list_filter = ["state"]
    list_select_related = ["broadcast__parent", "case"]
    raw_id_fields = ["broadcast", "case", "event"]
