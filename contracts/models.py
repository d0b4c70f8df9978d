"""Contracts with customers, and the frozen monthly statements of what they earned."""

from __future__ import annotations

from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Currency(models.TextChoices):
    EUR = "EUR", "EUR"
    USD = "USD", "USD"
    GBP = "GBP", "GBP"
    CHF = "CHF", "CHF"


class Contract(models.Model):
    """What a customer is promised per calendar month, and what a miss costs.

    ``covered_severities`` is a comma-separated list of ``cases.Severity`` values ("S1,S2"):
    the resolution clocks of the customer's cases of those severities that stopped in a month
    are that month's scope (see ``contracts.accounting``). Below ``committed_percent`` the
    customer is owed ``credit_percent_per_point`` of ``monthly_fee`` for every point, or part
    of a point, below, at most ``credit_cap_percent``. A customer's contracts do not overlap
    (``contracts.services.contract_save``); ``valid_to`` None runs on.
    """

    customer = models.ForeignKey(
        "cases.Customer", on_delete=models.PROTECT, related_name="contracts"
    )
    monthly_fee = models.DecimalField(
        max_digits=12, decimal_places=2, validators=[MinValueValidator(Decimal("0"))]
    )
    currency = models.CharField(max_length=3, choices=Currency.choices, default=Currency.EUR)
    covered_severities = models.CharField(max_length=20, default="S1,S2")
    committed_percent = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.01")), MaxValueValidator(Decimal("100"))],
        help_text=_("Share of the month's covered resolutions that must be in target."),
    )
    credit_percent_per_point = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
        help_text=_("Credit, as a share of the monthly fee, per point (or part) below."),
    )
    credit_cap_percent = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
    )
    valid_from = models.DateField()
    valid_to = models.DateField(null=True, blank=True)
    updated_at = models.DateTimeField()
    updated_by = models.ForeignKey(
        "auth.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["customer__name", "-valid_from"]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gte=models.F("valid_from")),
                name="contract_valid_to_after_from",
            ),
            models.CheckConstraint(
                condition=Q(committed_percent__gt=0, committed_percent__lte=100),
                name="contract_commitment_range",
            ),
        ]
        indexes = [models.Index(fields=["valid_from", "valid_to"], name="contract_validity_idx")]

    def __str__(self) -> str:
        return f"Contract of {self.customer} from {self.valid_from}"

    @property
    def severities(self) -> list[str]:
        return [s for s in self.covered_severities.split(",") if s]


class MonthlyStatement(models.Model):
    """The statement of one finished month for one customer, computed once.

    ``payload`` holds everything the statement's page, CSV and PDF show (``contracts.statements``),
    so a past month reads one row and never changes, whatever happens to its cases or its
    contract later: the weekly reports' freezing (``reports.WeeklySnapshot``), by month.
    """

    customer = models.ForeignKey("cases.Customer", on_delete=models.CASCADE, related_name="+")
    month_start = models.DateField(help_text=_("The first day of the calendar month."))
    payload = models.JSONField()
    computed_at = models.DateTimeField()

    class Meta:
        ordering = ["-month_start", "customer_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["month_start", "customer"], name="monthlystatement_one_per_month"
            )
        ]

    def __str__(self) -> str:
        return f"Statement of {self.month_start:%Y-%m} for customer {self.customer_id}"
