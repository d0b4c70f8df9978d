"""Monitoring sources and the alerts they send, de-duplicated by key."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class IntegrationToken(models.Model):
    """A monitoring source's key to ``POST /api/events/``, and nothing else.

    Only the SHA-256 of the token is kept (the token is 256 random bits, so a fast hash is as
    good as a slow one); ``prefix`` is its start, shown in the admin to tell tokens apart. The
    source raises cases as ``user``, its own account that cannot log in."""

    source = models.CharField(max_length=100, unique=True)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="integration_token"
    )
    digest = models.CharField(max_length=64, unique=True, editable=False)
    prefix = models.CharField(max_length=16, editable=False)
    # What a trigger's case gets when the event does not say (customer) or cannot (the rest).
    customer = models.ForeignKey(
        "cases.Customer", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    team = models.ForeignKey(
        "cases.Team", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    product = models.ForeignKey(
        "cases.Product", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    category = models.ForeignKey(
        "cases.Category", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["source"]

    def __str__(self) -> str:
        return self.source

    @property
    def revoked(self) -> bool:
        return self.revoked_at is not None


class Action(models.TextChoices):
    TRIGGER = "trigger", _("Trigger")
    ACKNOWLEDGE = "acknowledge", _("Acknowledge")
    RESOLVE = "resolve", _("Resolve")


class AlertKey(models.Model):
    """One alert of one source (its ``dedup_key``) and the case it is on.

    ``times_seen`` and ``first_seen_at`` count the triggers since the key was pointed at its
    current case; ``noted_at``/``noted_times`` say when the case's timeline last heard of the
    repeats (``alerts.services``: repeats are folded into one note per interval)."""

    source = models.ForeignKey(IntegrationToken, on_delete=models.CASCADE, related_name="keys")
    dedup_key = models.CharField(max_length=255)
    # Null only between the key's insert and its first case (in the same request), or when
    # raising its case was refused.
    case = models.ForeignKey(
        "cases.Case", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    times_seen = models.PositiveIntegerField(default=0)
    first_seen_at = models.DateTimeField(null=True, blank=True)
    last_seen_at = models.DateTimeField(null=True, blank=True)
    last_action = models.CharField(max_length=12, choices=Action.choices, blank=True)
    noted_at = models.DateTimeField(null=True, blank=True)
    noted_times = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["source", "dedup_key"], name="alertkey_one_per_key"),
        ]

    def __str__(self) -> str:
        return f"{self.source_id}:{self.dedup_key}"
