"""Read-only admin views: reviews and surveys change only through the services (pages), which
write the case timeline; an admin edit would bypass it."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from reviews.models import CorrectiveAction, Review, SatisfactionSurvey


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ActionInline(admin.TabularInline):
    model = CorrectiveAction
    extra = 0
    fields = readonly_fields = ("description", "owner", "due_on", "status", "completed_at")
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Review)
class ReviewAdmin(ReadOnlyAdmin):
    list_display = ["case", "required", "due_on", "meeting_on", "completed_at"]
    list_filter = ["required"]
    list_select_related = ["case"]
    date_hierarchy = "due_on"
    inlines = [ActionInline]


@admin.register(CorrectiveAction)
class CorrectiveActionAdmin(ReadOnlyAdmin):
    list_display = ["description", "owner", "due_on", "status"]
    list_filter = ["status"]
    list_select_related = ["owner"]


@admin.register(SatisfactionSurvey)
class SatisfactionSurveyAdmin(ReadOnlyAdmin):
    list_display = ["case", "contact_email", "sent_at", "answered_at", "score"]
    list_filter = ["score"]
    list_select_related = ["case"]
    # The token makes the link: never shown.
    exclude = ["token"]
