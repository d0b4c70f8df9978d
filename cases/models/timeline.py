"""The append-only timeline of a case."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class EventKind(models.TextChoices):
    RAISED = "raised", _("Raised")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    ASSIGNED = "assigned", _("Assigned")
    STATUS = "status", _("Status changed")
    SEVERITY = "severity", _("Severity changed")
    NOTE = "note", _("Internal note")
    UPDATE = "update", _("Customer update")
    LINKED = "linked", _("Linked")
    ATTACHMENT = "attachment", _("Attachment added")
    WATCHER = "watcher", _("Watchers changed")
    RESOLVED = "resolved", _("Resolved")
    REOPENED = "reopened", _("Reopened")
    CLOSED = "closed", _("Closed")
    ROOT_CAUSE = "root_cause", _("Root cause changed")
    EDITED = "edited", _("Details edited")
    SLA_WARNING = "sla_warning", _("SLA warning")
    SLA_BREACH = "sla_breach", _("SLA breached")
    ESCALATED = "escalated", _("Escalated")
    REVIEW = "review", _("Review")
    SATISFACTION = "satisfaction", _("Customer satisfaction")
    CUSTOMER_MESSAGE = "customer_message", _("Customer message")
    INCIDENT = "incident", _("Major incident")


class CustomerChannel(models.TextChoices):
    """How a customer message reached the case (``via`` of a customer message's data)."""

    EMAIL = "email", _("Email")
    STATUS_PAGE = "status_page", _("Status page")


class CaseEvent(models.Model):
    """One entry of a case's timeline. Rows are only ever inserted: no page, endpoint or
    service updates or deletes one."""

    # Indexed by caseevent_case_time_idx (case, created_at, id): no index of its own.
    case = models.ForeignKey(
        "cases.Case", on_delete=models.CASCADE, related_name="events", db_index=False
    )
    created_at = models.DateTimeField()
    # None for changes made by the system (SLA engine, scheduled tasks).
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    kind = models.CharField(max_length=20, choices=EventKind.choices)
    from_value = models.CharField(max_length=200, blank=True)
    to_value = models.CharField(max_length=200, blank=True)
    reason = models.TextField(blank=True)
    body = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["case", "created_at", "id"], name="caseevent_case_time_idx"),
            models.Index(fields=["kind", "created_at"], name="caseevent_kind_time_idx"),
            # The pauses (status changes to "Waiting on customer") by time, read without the
            # table: pause analytics (reports.pauses) over a quarter of a million cases.
            models.Index(
                fields=["created_at"],
                include=["case", "id"],
                condition=models.Q(kind="status", to_value="waiting"),
                name="caseevent_pause_start_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} at {self.created_at:%Y-%m-%d %H:%M}"
