"""The append-only timeline of a case."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class EventKind(models.TextChoices):
    RAISED = "raised", "Raised"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"
    ASSIGNED = "assigned", "Assigned"
    STATUS = "status", "Status changed"
    SEVERITY = "severity", "Severity changed"
    NOTE = "note", "Internal note"
    UPDATE = "update", "Customer update"
    LINKED = "linked", "Linked"
    ATTACHMENT = "attachment", "Attachment added"
    WATCHER = "watcher", "Watchers changed"
    RESOLVED = "resolved", "Resolved"
    REOPENED = "reopened", "Reopened"
    CLOSED = "closed", "Closed"
    ROOT_CAUSE = "root_cause", "Root cause changed"
    EDITED = "edited", "Details edited"
    SLA_WARNING = "sla_warning", "SLA warning"
    SLA_BREACH = "sla_breach", "SLA breached"
    ESCALATED = "escalated", "Escalated"
    REVIEW = "review", "Review"
    SATISFACTION = "satisfaction", "Customer satisfaction"
    CUSTOMER_MESSAGE = "customer_message", "Customer message"
    INCIDENT = "incident", "Major incident"


class CustomerChannel(models.TextChoices):
    """How a customer message reached the case (``via`` of a customer message's data)."""

    EMAIL = "email", "Email"
    STATUS_PAGE = "status_page", "Status page"


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
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} at {self.created_at:%Y-%m-%d %H:%M}"
