"""SLA configuration: business calendars (working hours, holidays) and policies."""

from __future__ import annotations

import uuid

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from cases.models import Severity, Tier
from escalation.text import active_label


class BusinessCalendar(models.Model):
    """A time zone, weekly working hours and holidays. A calendar with ``always_open`` is 24x7."""

    name = models.CharField(max_length=100, unique=True)
    time_zone = models.CharField(max_length=64, default="Europe/Amsterdam")
    always_open = models.BooleanField(default=False)
    # A fresh token whenever the hours or holidays change (sla.calendars.calendar_changed), so
    # every process rebuilds its cached copy: the cache key is (id, revision), read with the
    # policy. Random rather than a counter, so a reused id never meets a stale cache entry.
    revision = models.UUIDField(default=uuid.uuid4, editable=False)

    def __str__(self) -> str:
        return self.name


class Weekday(models.IntegerChoices):
    MONDAY = 0, _("Monday")
    TUESDAY = 1, _("Tuesday")
    WEDNESDAY = 2, _("Wednesday")
    THURSDAY = 3, _("Thursday")
    FRIDAY = 4, _("Friday")
    SATURDAY = 5, _("Saturday")
    SUNDAY = 6, _("Sunday")


class WorkingHours(models.Model):
    calendar = models.ForeignKey(BusinessCalendar, on_delete=models.CASCADE, related_name="hours")
    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices)
    start = models.TimeField()
    # None means midnight at the end of the day.
    end = models.TimeField(null=True, blank=True)

    class Meta:
        ordering = ["weekday", "start"]
        verbose_name_plural = "working hours"


class Holiday(models.Model):
    calendar = models.ForeignKey(
        BusinessCalendar, on_delete=models.CASCADE, related_name="holidays"
    )
    date = models.DateField()
    name = models.CharField(max_length=100, blank=True)

    class Meta:
        ordering = ["date"]
        constraints = [
            models.UniqueConstraint(fields=["calendar", "date"], name="holiday_unique_per_day")
        ]


class SlaPolicy(models.Model):
    """Targets for one customer tier and severity, in business minutes on ``calendar``."""

    tier = models.CharField(max_length=10, choices=Tier.choices)
    severity = models.CharField(max_length=2, choices=Severity.choices)
    calendar = models.ForeignKey(BusinessCalendar, on_delete=models.PROTECT, related_name="+")
    response_minutes = models.PositiveIntegerField()
    resolution_minutes = models.PositiveIntegerField()
    update_minutes = models.PositiveIntegerField(
        null=True, blank=True, help_text=_("Longest time without a customer-facing update.")
    )
    warn_percent = models.PositiveSmallIntegerField(default=75)
    reescalate_minutes = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text=_(
            "If still breached this much business time after an escalation, escalate again."
        ),
    )
    acknowledge_minutes = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text=_(
            "After an escalation, business time the new owner has to act on the case "
            "before it climbs (next level, team lead, manager on duty). Empty: no ladder."
        ),
    )

    class Meta:
        verbose_name = "SLA policy"
        verbose_name_plural = "SLA policies"
        ordering = ["tier", "severity"]
        constraints = [
            models.UniqueConstraint(fields=["tier", "severity"], name="slapolicy_unique"),
            models.CheckConstraint(
                condition=Q(warn_percent__gte=1, warn_percent__lte=99),
                name="slapolicy_warn_percent_range",
            ),
        ]

    def __str__(self) -> str:
        tier = active_label(Tier(self.tier)) if self.tier in Tier.values else self.tier
        return f"{tier} {self.severity}"
