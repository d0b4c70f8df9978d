from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import factory
from django.utils import timezone

from cases.models import Severity, Status
from contracts.models import Contract
from sla.models import CaseClock, ClockKind
from tests.factories import CaseFactory, CustomerFactory


class ContractFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contract

    customer = factory.SubFactory(CustomerFactory)
    monthly_fee = Decimal("12000.00")
    currency = "EUR"
    covered_severities = "S1,S2"
    committed_percent = Decimal("95")
    credit_percent_per_point = Decimal("5")
    credit_cap_percent = Decimal("30")
    valid_from = date(2020, 1, 1)
    valid_to = None
    updated_at = factory.LazyFunction(timezone.now)


def resolution(customer: Any, *, at: datetime, breached: bool, severity: str = Severity.S1) -> Any:
    """A case of ``customer`` resolved at ``at``, its resolution clock stopped then, in target
    or an hour late."""
    case = CaseFactory(
        customer=customer,
        severity=severity,
        status=Status.RESOLVED,
        raised_at=at - timedelta(hours=5),
        resolved_at=at,
    )
    due = at + timedelta(hours=1) if not breached else at - timedelta(hours=1)
    CaseClock.objects.create(
        case=case,
        kind=ClockKind.RESOLUTION,
        target_seconds=4 * 3600,
        started_at=at - timedelta(hours=5),
        due_at=due,
        warn_at=due - timedelta(hours=1),
        breached_at=due if breached else None,
        stopped_at=at,
        met=not breached,
        elapsed_seconds=4 * 3600,
        late_seconds=3600 if breached else 0,
    )
    return case
