"""Learning from escalations: post-resolution reviews, corrective actions, satisfaction surveys."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Review(models.Model):
    """The post-resolution review of one case.

    Required for S1 and S2 cases (scheduled when the case is resolved), possible for any other.
    ``completed_at`` set means the review is done; until then it is due on ``due_on`` and overdue
    after it. ``last_reminded_on`` records the day a reminder went out, so the daily task
    notifies at most once per day even when two workers run it.
    """

    case = models.OneToOneField("cases.Case", on_delete=models.CASCADE, related_name="review")
    required = models.BooleanField(default=False)
    due_on = models.DateField()
    meeting_on = models.DateField("meeting date", null=True, blank=True)
    participants = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="reviews_attended"
    )
    summary = models.TextField(blank=True)
    went_well = models.TextField("what went well", blank=True)
    went_badly = models.TextField("what went badly", blank=True)
    lessons = models.TextField("lessons learned", blank=True)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    completed_at = models.DateTimeField(null=True, blank=True)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    last_reminded_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["due_on", "id"]
        indexes = [
            models.Index(
                fields=["due_on"],
                name="review_pending_due_idx",
                condition=Q(completed_at__isnull=True),
            ),
            models.Index(fields=["-completed_at"], name="review_completed_idx"),
        ]

    def __str__(self) -> str:
        return f"Review of case {self.case_id}"

    @property
    def is_done(self) -> bool:
        return self.completed_at is not None


class ActionStatus(models.TextChoices):
    OPEN = "open", _("Open")
    IN_PROGRESS = "in_progress", _("In progress")
    DONE = "done", _("Done")
    CANCELLED = "cancelled", _("Cancelled")


PENDING_ACTION_STATUSES = (ActionStatus.OPEN, ActionStatus.IN_PROGRESS)


class CorrectiveAction(models.Model):
    """Something a person agreed to do so the problem does not come back."""

    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="actions")
    description = models.TextField()
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="corrective_actions"
    )
    due_on = models.DateField()
    status = models.CharField(
        max_length=12, choices=ActionStatus.choices, default=ActionStatus.OPEN
    )
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    completed_at = models.DateTimeField(null=True, blank=True)
    last_reminded_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["due_on", "id"]
        indexes = [
            models.Index(
                fields=["due_on"],
                name="action_pending_due_idx",
                condition=Q(status__in=PENDING_ACTION_STATUSES),
            ),
            models.Index(fields=["owner", "status"], name="action_owner_status_idx"),
        ]

    def __str__(self) -> str:
        return self.description[:80]

    @property
    def is_pending(self) -> bool:
        return self.status in PENDING_ACTION_STATUSES


class SatisfactionSurvey(models.Model):
    """One request to a customer contact to rate how a resolved case was handled.

    The emailed link carries ``token`` signed with a timestamp; the row makes the link single-use:
    answering claims it with a conditional UPDATE on ``answered_at``.
    """

    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="surveys")
    contact_email = models.EmailField()
    token = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    score = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    comment = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(score__isnull=True) | Q(score__gte=1, score__lte=5),
                name="survey_score_1_to_5",
            ),
        ]
        indexes = [
            models.Index(
                fields=["answered_at"],
                name="survey_answered_idx",
                condition=Q(answered_at__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"Satisfaction survey for case {self.case_id}"
