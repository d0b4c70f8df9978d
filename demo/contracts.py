"""Demo contracts: every demo customer of the premium and strategic tiers has one, with terms
by tier, from the start of last year; standard customers have none (not every customer buys an
SLA with credits)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from django.contrib.auth.models import User

from cases.models import Customer, Severity, Tier
from contracts.models import Contract
from contracts.services import ContractTerms, contract_save

# tier: (monthly fee in EUR, committed %, credit % per point, cap %)
TERMS_BY_TIER = {
    Tier.STRATEGIC: (Decimal("24000"), Decimal("95"), Decimal("5"), Decimal("30")),
    Tier.PREMIUM: (Decimal("8000"), Decimal("90"), Decimal("3"), Decimal("20")),
}


def seed_contracts(*, by: User, now: datetime) -> int:
    """Add the demo contracts that are missing; returns how many it added."""
    have = set(Contract.objects.values_list("customer_id", flat=True))
    added = 0
    for customer in Customer.objects.filter(tier__in=list(TERMS_BY_TIER)).order_by("pk"):
        if customer.pk in have:
            continue
        fee, committed, per_point, cap = TERMS_BY_TIER[Tier(customer.tier)]
        terms = ContractTerms(
            customer=customer,
            monthly_fee=fee,
            currency="EUR",
            covered_severities=[Severity.S1, Severity.S2],
            committed_percent=committed,
            credit_percent_per_point=per_point,
            credit_cap_percent=cap,
            valid_from=date(now.year - 1, 1, 1),
            valid_to=None,
        )
        contract_save(contract=None, terms=terms, by=by, now=now)
        added += 1
    return added
