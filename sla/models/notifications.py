"""Who hears about what: notifications, escalation steps, on-duty people, outgoing mail and
its attachments, and each person's notification hours."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from sla.models.clocks import ClockKind
from sla.models.config import BusinessCalendar


class NotificationKind(models.TextChoices):
    SLA_WARNING = "sla_warning", _("SLA warning")
    SLA_BREACH = "sla_breach", _("SLA breach")
    ESCALATED = "escalated", _("Escalated to you")
    ASSIGNED = "assigned", _("Assigned to you")
    MENTIONED = "mentioned", _("Mentioned you")
    CUSTOMER_REPLIED = "customer_replied", _("Customer replied")
    REVIEW_DUE = "review_due", _("Review due")
    ACTION_DUE = "action_due", _("Corrective action due")
    REPORT = "report", _("Weekly report")
    OTHER = "other", _("Other")


class Notification(models.Model):
    """An in-app notification; the same message also goes out by email."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    case = models.ForeignKey(
        "cases.Case", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    kind = models.CharField(max_length=20, choices=NotificationKind.choices)
    subject = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    created_at = models.DateTimeField()
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["recipient", "-created_at"],
                name="notification_unread_idx",
                condition=Q(read_at__isnull=True),
            ),
            models.Index(fields=["recipient", "-created_at"], name="notification_recipient_idx"),
        ]


class EscalationRecord(models.Model):
    """One step the SLA engine took on one clock: its warning, its breach, each re-escalation.

    The unique constraint is what makes each step take effect once, however many workers,
    sweeps or redelivered tasks try it.
    """

    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="+")
    clock_kind = models.CharField(max_length=10, choices=ClockKind.choices)
    cycle = models.PositiveIntegerField(default=1)
    # "warning", "breach", then "reescalation-1", "reescalation-2", ...
    step = models.CharField(max_length=30)
    rule = models.CharField(max_length=40)
    created_at = models.DateTimeField()
    from_team = models.ForeignKey(
        "cases.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    to_team = models.ForeignKey(
        "cases.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    from_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    to_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["case", "clock_kind", "cycle", "step"], name="escalationrecord_once"
            )
        ]
        indexes = [models.Index(fields=["created_at"], name="escalationrecord_time_idx")]

    def __str__(self) -> str:
        return f"{self.step} of the {self.clock_kind} clock of case {self.case_id}"


class OnDuty(models.Model):
    """Who is the escalation manager on duty, and when. The latest-starting shift that covers
    an instant wins; with none, the lead of the management team is on duty."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="duty_shifts"
    )
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-starts_at"]
        verbose_name = "manager on duty"
        verbose_name_plural = "managers on duty"
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")), name="onduty_ends_after_start"
            )
        ]
        indexes = [models.Index(fields=["ends_at", "starts_at"], name="onduty_time_idx")]

    def __str__(self) -> str:
        return f"{self.user} {self.starts_at:%Y-%m-%d %H:%M} - {self.ends_at:%Y-%m-%d %H:%M}"


class MailStatus(models.TextChoices):
    PENDING = "pending", _("Waiting")
    SENDING = "sending", _("Being sent")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


class OutgoingMail(models.Model):
    """One email in the outbox (``sla.outbox``): written in the transaction of the change it
    tells about, sent after commit by a worker, marked sent once.

    ``next_attempt_at`` is when the message may next be tried: its creation for a new one, the
    end of the back-off after a failed attempt, the end of the claim while a worker sends it.
    """

    to = models.EmailField()
    subject = models.CharField(max_length=255)
    body = models.TextField()
    # An HTML alternative of ``body`` (none when blank), and further headers (Reply-To,
    # Message-ID, Cc shown to the reader, ...): the envelope goes to ``to`` alone.
    html = models.TextField(blank=True)
    headers = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField()
    status = models.CharField(max_length=10, choices=MailStatus.choices, default=MailStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    # Not to be sent before this: the recipient's working hours (sla.quiet_hours), or the end
    # of their digest window (sla.notifications).
    not_before = models.DateTimeField(null=True, blank=True)
    # A notification's mail, which may be folded into a digest with others to the same reader.
    fold = models.BooleanField(default=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "outgoing mail"
        verbose_name_plural = "outgoing mail"
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                name="outgoingmail_unsent_idx",
                condition=Q(status__in=[MailStatus.PENDING, MailStatus.SENDING]),
            ),
            models.Index(fields=["status", "-created_at"], name="outgoingmail_status_idx"),
            # Notification mail to a reader: the digest window (sla.notifications) and the
            # fold (sla.outbox).
            models.Index(
                fields=["to", "created_at"], name="outgoingmail_fold_idx", condition=Q(fold=True)
            ),
        ]

    def __str__(self) -> str:
        return f"{self.subject} to {self.to}"


class OutgoingAttachment(models.Model):
    """A file sent with one outgoing mail (a report's PDF, a statement's CSV): stored with the
    message in the same transaction, attached when the worker sends it."""

    mail = models.ForeignKey(OutgoingMail, on_delete=models.CASCADE, related_name="attachments")
    filename = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    content = models.BinaryField()

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.filename


class NotifyHours(models.Model):
    """When a person may be mailed news that is not urgent: their own calendar (a row for
    the user), else the calendar of a team they are in (a row for the team), else any time.
    Urgent news (an S1 case, a case under a 24x7 policy) goes at once (sla.quiet_hours)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="notify_hours",
    )
    team = models.OneToOneField(
        "cases.Team", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    calendar = models.ForeignKey(BusinessCalendar, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = "notification hours"
        verbose_name_plural = "notification hours"
        constraints = [
            models.CheckConstraint(
                condition=Q(user__isnull=False, team__isnull=True)
                | Q(user__isnull=True, team__isnull=False),
                name="notifyhours_user_or_team",
            )
        ]

    def __str__(self) -> str:
        return f"Notification hours of {self.user or self.team}: {self.calendar}"
