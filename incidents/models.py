"""A major incident: a parent case that coordinates the cases one fault caused (its children,
``Case.parent``), with its roles, its task checklist and its update cadence; and the playbooks
whose task templates a declaration applies."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from cases.models import Category, Severity

TASK_TITLE_MAX = 200

# The stakeholder update cadence a declaration proposes, by the parent's severity (minutes).
CADENCE_MINUTES: dict[str, int] = {
    Severity.S1: 30,
    Severity.S2: 60,
    Severity.S3: 120,
    Severity.S4: 240,
}
CADENCE_MIN, CADENCE_MAX = 5, 24 * 60


class IncidentState(models.TextChoices):
    ACTIVE = "active", _("Active")
    RESOLVED = "resolved", _("Resolved")


class TaskState(models.TextChoices):
    OPEN = "open", _("Open")
    DONE = "done", _("Done")
    CANCELLED = "cancelled", _("Cancelled")


class MajorIncident(models.Model):
    """The major incident run from ``case`` (the parent of its affected cases)."""

    case = models.OneToOneField(
        "cases.Case", on_delete=models.CASCADE, related_name="major_incident"
    )
    declared_at = models.DateTimeField()
    declared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    lead = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="incidents_led",
    )
    comms_lead = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="incidents_communicated",
    )
    cadence_minutes = models.PositiveIntegerField()
    state = models.CharField(
        max_length=10, choices=IncidentState.choices, default=IncidentState.ACTIVE
    )
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-declared_at", "-id"]
        indexes = [models.Index(fields=["declared_at"], name="incident_declared_idx")]

    def __str__(self) -> str:
        return f"Major incident {self.case_id}"


class IncidentTask(models.Model):
    """One item of an incident's checklist ("engineering fix deployed")."""

    incident = models.ForeignKey(MajorIncident, on_delete=models.CASCADE, related_name="tasks")
    title = models.CharField(max_length=TASK_TITLE_MAX)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="incident_tasks",
    )
    due_at = models.DateTimeField(null=True, blank=True)
    state = models.CharField(max_length=10, choices=TaskState.choices, default=TaskState.OPEN)
    created_at = models.DateTimeField()
    done_at = models.DateTimeField(null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # Stamped by the one worker that notified the task overdue (a conditional UPDATE).
    overdue_notified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["due_at", "id"]
        indexes = [
            models.Index(
                fields=["due_at"],
                name="incidenttask_overdue_idx",
                condition=Q(state="open", overdue_notified_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return self.title


class Playbook(models.Model):
    """Task templates for one category of case (or every category): an escalation playbook,
    applied on declaration or on demand."""

    name = models.CharField(max_length=100, unique=True)
    category = models.ForeignKey(
        Category, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class PlaybookTask(models.Model):
    playbook = models.ForeignKey(Playbook, on_delete=models.CASCADE, related_name="tasks")
    title = models.CharField(max_length=TASK_TITLE_MAX)
    # Due this long after the declaration (None: no due time).
    due_after_minutes = models.PositiveIntegerField(null=True, blank=True)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.title
