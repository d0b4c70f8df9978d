"""The contract form (managers) and the statement's month picker."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from cases.models import Customer, Severity
from contracts.models import Contract, Currency
from contracts.months import Month
from contracts.services import ContractTerms
from escalation.forms import BootstrapForm


def percent_field(**kwargs: object) -> forms.DecimalField:
    """A share of the fee from 0 to 100%, to the hundredth."""
    return forms.DecimalField(
        min_value=Decimal("0"),
        max_value=Decimal("100"),
        decimal_places=2,
        **kwargs,  # type: ignore[arg-type]
    )


class ContractForm(BootstrapForm):
    customer = forms.ModelChoiceField(queryset=Customer.objects.order_by("name"))
    monthly_fee = forms.DecimalField(min_value=Decimal("0"), max_digits=12, decimal_places=2)
    currency = forms.ChoiceField(choices=Currency.choices, initial=Currency.EUR)
    covered_severities = forms.MultipleChoiceField(
        choices=Severity.choices,
        initial=[Severity.S1, Severity.S2],
        widget=forms.CheckboxSelectMultiple,
        help_text=_("The resolutions of cases of these severities are counted."),
    )
    committed_percent = forms.DecimalField(
        label=_("Committed compliance (%)"),
        initial=Decimal("95"),
        min_value=Decimal("0.01"),
        max_value=Decimal("100"),
        decimal_places=2,
        help_text=_("Share of the month's covered resolutions in target."),
    )
    credit_percent_per_point = percent_field(
        # xgettext:no-python-format (a lone % sign, not a placeholder)
        label=_("Credit per point below (% of the fee)"),
        initial=Decimal("5"),
        help_text=_("Each point below the commitment, or part of a point, earns this much."),
    )
    # xgettext:no-python-format (a lone % sign, not a placeholder)
    credit_cap_percent = percent_field(label=_("Credit cap (% of the fee)"), initial=Decimal("30"))
    valid_from = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    valid_to = forms.DateField(
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("Leave empty for a contract that runs on."),
    )

    @classmethod
    def initial_for(cls, contract: Contract) -> dict[str, object]:
        return {
            "customer": contract.customer_id,
            "monthly_fee": contract.monthly_fee,
            "currency": contract.currency,
            "covered_severities": contract.severities,
            "committed_percent": contract.committed_percent,
            "credit_percent_per_point": contract.credit_percent_per_point,
            "credit_cap_percent": contract.credit_cap_percent,
            "valid_from": contract.valid_from,
            "valid_to": contract.valid_to,
        }

    def terms(self) -> ContractTerms:
        data = self.cleaned_data
        return ContractTerms(
            customer=data["customer"],
            monthly_fee=data["monthly_fee"],
            currency=data["currency"],
            covered_severities=list(data["covered_severities"]),
            committed_percent=data["committed_percent"],
            credit_percent_per_point=data["credit_percent_per_point"],
            credit_cap_percent=data["credit_cap_percent"],
            valid_from=data["valid_from"],
            valid_to=data.get("valid_to"),
        )


class MonthField(forms.CharField):
    """A month as ``2026-11`` (the value of an ``<input type="month">``)."""

    widget = forms.TextInput(attrs={"type": "month"})

    def to_python(self, value: object) -> Month | None:  # type: ignore[override]
        text = super().to_python(value)
        if not text:
            return None
        try:
            return Month.parse(text)
        except ValueError:
            raise forms.ValidationError(_("Give a month such as 2026-07.")) from None


class MonthForm(forms.Form):
    month = MonthField(required=False)
