"""Breach forecasts: the trained models, each running clock's stored risk, and the risk
warnings already sent (once per clock cycle)."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class ModelKind(models.TextChoices):
    # Gradient boosting, calibrated on a held-out split (forecasts.training).
    BOOSTED = "boosted", _("Gradient boosting, calibrated")
    # Too little history: the breach rate of clocks in the same severity and elapsed-share
    # bucket, or the elapsed share itself (forecasts.training.FallbackRule).
    FALLBACK = "fallback", _("Fallback rule (too little history)")


class ForecastModel(models.Model):
    """One training run. ``artefact`` is the joblib dump of ``forecasts.training.Forecaster``;
    exactly one model is active (the newest successful run)."""

    version = models.PositiveIntegerField(unique=True)
    kind = models.CharField(max_length=10, choices=ModelKind.choices)
    trained_at = models.DateTimeField()
    n_examples = models.PositiveIntegerField()
    # Brier score, calibration deciles, base rate, training seconds, peak memory, ...
    metrics = models.JSONField(default=dict, blank=True)
    artefact = models.BinaryField()
    active = models.BooleanField(default=False)

    class Meta:
        ordering = ["-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["active"], condition=Q(active=True), name="forecastmodel_one_active"
            )
        ]

    def __str__(self) -> str:
        return f"Forecast model v{self.version} ({self.get_kind_display()})"


class ClockRisk(models.Model):
    """The latest forecast for one running clock: the probability that it breaches, and the
    top reasons in words. Rewritten by every scoring run; removed when the clock stops."""

    clock = models.OneToOneField(
        "sla.CaseClock", on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    # Copied from the clock so the queue's "likely to breach" filter is one index range.
    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=10)
    cycle = models.PositiveIntegerField(default=1)
    probability = models.FloatField()
    reasons = models.JSONField(default=list, blank=True)
    model_version = models.PositiveIntegerField()
    scored_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["probability", "case"], name="clockrisk_prob_idx")]

    def __str__(self) -> str:
        return f"{self.kind} clock of case {self.case_id}: {self.probability:.0%}"


class RiskWarning(models.Model):
    """The owner was told this clock cycle is likely to breach: the unique row makes the
    warning happen once per cycle, however many scoring runs see the risk."""

    clock = models.ForeignKey("sla.CaseClock", on_delete=models.CASCADE, related_name="+")
    cycle = models.PositiveIntegerField()
    probability = models.FloatField()
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["clock", "cycle"], name="riskwarning_once_per_cycle")
        ]
