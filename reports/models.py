"""Frozen weekly reports."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class WeeklySnapshot(models.Model):
    """The figures of one finished ISO week for one filter combination, computed once.

    ``payload`` holds everything the week's page, CSV files and PDF show, so a past week reads
    one row and never changes, whatever happens to its cases later. ``filters_key`` is
    ``ReportFilters.key`` ("" for the whole organisation). ``digest_sent_at`` is claimed with a
    conditional update so the executives' digest goes out once even if the task runs twice.
    """

    week_start = models.DateField(help_text="The Monday the ISO week starts on.")
    filters_key = models.CharField(max_length=100, blank=True, default="")
    payload = models.JSONField()
    computed_at = models.DateTimeField()
    digest_sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-week_start", "filters_key"]
        constraints = [
            models.UniqueConstraint(
                fields=["filters_key", "week_start"], name="weeklysnapshot_one_per_week"
            )
        ]

    def __str__(self) -> str:
        return f"Report of the week of {self.week_start} {self.filters_key}".rstrip()


class SubscriptionKind(models.TextChoices):
    WEEKLY_REPORT = "weekly_report", _("Weekly report (PDF)")
    MONTHLY_STATEMENTS = "monthly_statements", _("Monthly contract statements (PDF)")


class ReportSubscription(models.Model):
    """A manager or executive who gets a report's PDF by email when its period is frozen.

    Unsubscribing keeps the row (``active`` False) so its delivery log stays attached to it.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="report_subscriptions"
    )
    kind = models.CharField(max_length=30, choices=SubscriptionKind.choices)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["user_id", "kind"]
        constraints = [
            models.UniqueConstraint(fields=["user", "kind"], name="reportsubscription_one_per_kind")
        ]

    def __str__(self) -> str:
        return f"{self.kind} for user {self.user_id}"


class DeliveryOutcome(models.TextChoices):
    PENDING = "pending", _("Pending")
    # Handed to the outbox: its message says whether it was sent.
    SENDING = "sending", _("Sending")
    # Only deliveries logged before the outbox carried them (reports/0003) say these.
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


class ReportDelivery(models.Model):
    """One period's PDF for one subscription: the log of its delivery.

    Unique per subscription and period, so a re-run finds the row and never queues twice: a
    run claims the pending rows with a conditional update (to ``sending``) and puts one
    message in the outbox for each, linked here (``mail``); the outbox sends it once, with its
    retries, and its state is the delivery's (sent, failed and why). ``period`` is the ISO
    week ("2026-W47") or the month ("2026-11").
    """

    subscription = models.ForeignKey(
        ReportSubscription, on_delete=models.CASCADE, related_name="deliveries"
    )
    period = models.CharField(max_length=10)
    outcome = models.CharField(
        max_length=10, choices=DeliveryOutcome.choices, default=DeliveryOutcome.PENDING
    )
    created_at = models.DateTimeField()
    # The message in the outbox (``sla.OutgoingMail``) once queued.
    mail = models.ForeignKey(
        "sla.OutgoingMail", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["subscription", "period"], name="reportdelivery_one_per_period"
            )
        ]

    def __str__(self) -> str:
        return f"Delivery of {self.period} to subscription {self.subscription_id}"
