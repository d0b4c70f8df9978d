"""Writes of the contracts app: saving contracts, and freezing finished months' statements.

Freezing follows the weekly reports (``reports.services``): a finished month's statement is
computed once and stored (``MonthlyStatement``); the beat task on the 1st freezes the month that
just ended for every customer with a contract, and a finished month somebody opens before that
(or older than the app) is frozen by that first view. A month in progress is always computed
live, up to the moment it is read.
"""

from __future__ import annotations

import logging
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from cases.models import Customer, Severity
from contracts.models import Contract, MonthlyStatement
from contracts.months import Month
from contracts.selectors import contracts_in_force, snapshots_of, statements_compute
from escalation.errors import DomainError

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ContractTerms:
    customer: Customer
    monthly_fee: Decimal
    currency: str
    covered_severities: list[str]
    committed_percent: Decimal
    credit_percent_per_point: Decimal
    credit_cap_percent: Decimal
    valid_from: date
    valid_to: date | None


def contract_save(
    *, contract: Contract | None, terms: ContractTerms, by: User, now: datetime
) -> Contract:
    """Create a contract (``contract`` None) or change one. Refused (DomainError on the field):
    no covered severity, an unknown one, an end before the start, and a period overlapping
    another contract of the same customer (the customer's row is locked, so two managers
    adding overlapping contracts at once cannot both succeed). A change applies to the
    months not frozen yet; frozen statements keep the terms they were computed with."""
    severities = [s for s in Severity.values if s in set(terms.covered_severities)]
    if not severities:
        raise DomainError(_("Cover at least one severity."), field="covered_severities")
    if set(terms.covered_severities) - set(Severity.values):
        raise DomainError(_("Unknown severity."), field="covered_severities")
    if terms.valid_to is not None and terms.valid_to < terms.valid_from:
        raise DomainError(_("The contract cannot end before it starts."), field="valid_to")
    with transaction.atomic():
        Customer.objects.select_for_update().filter(pk=terms.customer.pk).first()
        overlapping = Contract.objects.filter(customer=terms.customer)
        if contract is not None and contract.pk is not None:
            overlapping = overlapping.exclude(pk=contract.pk)
        if terms.valid_to is not None:
            overlapping = overlapping.filter(valid_from__lte=terms.valid_to)
        clash = overlapping.filter(
            Q(valid_to__isnull=True) | Q(valid_to__gte=terms.valid_from)
        ).first()
        if clash is not None:
            until = clash.valid_to or _("open end")
            raise DomainError(
                _(
                    "%(customer)s already has a contract from %(start)s to %(end)s: end that one "
                    "first."
                )
                % {"customer": terms.customer, "start": clash.valid_from, "end": until},
                field="valid_from",
            )
        contract = contract or Contract()
        contract.customer = terms.customer
        contract.monthly_fee = terms.monthly_fee
        contract.currency = terms.currency
        contract.covered_severities = ",".join(severities)
        contract.committed_percent = terms.committed_percent
        contract.credit_percent_per_point = terms.credit_percent_per_point
        contract.credit_cap_percent = terms.credit_cap_percent
        contract.valid_from = terms.valid_from
        contract.valid_to = terms.valid_to
        contract.updated_at = now
        contract.updated_by = by
        contract.save()
    return contract


@dataclass(frozen=True)
class Statement:
    payload: dict[str, Any]
    frozen: bool


def month_statements(
    *, month: Month, now: datetime, customer_ids: Collection[int] | None = None
) -> dict[int, Statement]:
    """The statements of ``month`` per customer with a contract in it: live while the month
    runs, frozen once it is over (the missing ones computed and stored now). ValueError for a
    month that has not started."""
    if now < month.start():
        raise ValueError(f"{month} has not started yet")
    if now < month.end():
        live = statements_compute(month=month, now=now, customer_ids=customer_ids)
        return {pk: Statement(payload, frozen=False) for pk, payload in live.items()}
    frozen = {
        pk: Statement(s.payload, frozen=True)
        for pk, s in snapshots_of(month=month, customer_ids=customer_ids).items()
    }
    wanted = contracts_in_force(month=month, customer_ids=customer_ids)
    if missing := set(wanted) - set(frozen):
        stored = statements_freeze(month=month, now=now, customer_ids=missing)
        frozen |= {pk: Statement(s.payload, frozen=True) for pk, s in stored.items()}
    return frozen


def statements_freeze(
    *,
    month: Month,
    now: datetime,
    customer_ids: Collection[int] | None = None,
    skip: Collection[int] = (),
) -> dict[int, MonthlyStatement]:
    """Store the statements of finished ``month`` not stored yet (all customers with a
    contract in it, or those of ``customer_ids``) and return them. Two freezes at once store
    each once: the unique row per customer and month keeps the first."""
    if now < month.end():
        raise DomainError(f"{month} is not over yet; only finished months are frozen.")
    computed = statements_compute(month=month, now=now, customer_ids=customer_ids)
    rows = [
        MonthlyStatement(
            customer_id=pk, month_start=month.first_day, payload=payload, computed_at=now
        )
        for pk, payload in computed.items()
        if pk not in skip
    ]
    MonthlyStatement.objects.bulk_create(rows, ignore_conflicts=True)
    # Read back: a concurrent freeze's row, where it won, is the one that stands.
    return snapshots_of(month=month, customer_ids=[row.customer_id for row in rows])


def monthly_freeze_run(*, now: datetime) -> int:
    """The job of the 1st: freeze the month that just ended; returns how many statements it
    stored (0 when they were all frozen already)."""
    month = Month.containing(now).previous()
    frozen = snapshots_of(month=month)
    stored = statements_freeze(month=month, now=now, skip=frozen)
    logger.info("contract statements: froze %d of %s", len(stored), month)
    return len(stored)
