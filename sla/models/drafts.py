"""Drafts of SLA policies and calendars, and their what-if replays (``sla.whatif``)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from sla.models.config import BusinessCalendar, SlaPolicy


class DraftKind(models.TextChoices):
    POLICY = "policy", _("SLA policy")
    CALENDAR = "calendar", _("business calendar")


class DraftState(models.TextChoices):
    OPEN = "open", _("Draft")
    PUBLISHED = "published", _("Published")
    DISCARDED = "discarded", _("Discarded")


class SlaDraft(models.Model):
    """An edited copy of one SLA policy or one business calendar (``sla.drafts``), replayed over
    past weeks (``sla.whatif``) before it is published to the live row or discarded.

    A policy draft keeps targets, warn % and calendar; a calendar draft keeps time zone, 24x7,
    hours (``[[weekday, "HH:MM", "HH:MM" or null], ...]``) and holidays (``[["YYYY-MM-DD",
    name], ...]``). ``base`` is the live row as it was when the draft was made: publishing
    refuses a draft whose live row has changed since. ``changes`` is the audit of a publication
    (each field before and after)."""

    kind = models.CharField(max_length=10, choices=DraftKind.choices)
    policy = models.ForeignKey(
        SlaPolicy, null=True, blank=True, on_delete=models.CASCADE, related_name="drafts"
    )
    calendar = models.ForeignKey(
        BusinessCalendar, null=True, blank=True, on_delete=models.CASCADE, related_name="drafts"
    )
    # A policy draft's terms.
    policy_calendar = models.ForeignKey(
        BusinessCalendar, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    response_minutes = models.PositiveIntegerField(null=True, blank=True)
    resolution_minutes = models.PositiveIntegerField(null=True, blank=True)
    update_minutes = models.PositiveIntegerField(null=True, blank=True)
    warn_percent = models.PositiveSmallIntegerField(null=True, blank=True)
    # A calendar draft's terms.
    time_zone = models.CharField(max_length=64, blank=True)
    always_open = models.BooleanField(default=False)
    hours = models.JSONField(default=list, blank=True)
    holidays = models.JSONField(default=list, blank=True)

    base = models.JSONField(default=dict)
    state = models.CharField(max_length=10, choices=DraftState.choices, default=DraftState.OPEN)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    changes = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(kind="policy", policy__isnull=False, calendar__isnull=True)
                    | Q(kind="calendar", calendar__isnull=False, policy__isnull=True)
                ),
                name="sladraft_one_source",
            )
        ]
        indexes = [models.Index(fields=["state", "-created_at"], name="sladraft_state_idx")]

    def __str__(self) -> str:
        source = self.policy if self.kind == DraftKind.POLICY else self.calendar
        return f"Draft of {source}"


class ReplayState(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class WhatIfReplay(models.Model):
    """One replay of a draft over the last ``weeks`` weeks (``sla.whatif``): its progress while
    it runs, its figures (``result``) when done. Live data is only read."""

    draft = models.ForeignKey(SlaDraft, on_delete=models.CASCADE, related_name="replays")
    weeks = models.PositiveSmallIntegerField()
    state = models.CharField(max_length=10, choices=ReplayState.choices, default=ReplayState.QUEUED)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    requested_at = models.DateTimeField()
    # The moment the replay looks back from (its "now").
    as_of = models.DateTimeField()
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    clocks_total = models.PositiveIntegerField(default=0)
    clocks_done = models.PositiveIntegerField(default=0)
    result = models.JSONField(default=dict, blank=True)
    error = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-requested_at", "-id"]

    def __str__(self) -> str:
        return f"Replay of draft {self.draft_id} over {self.weeks} weeks"
