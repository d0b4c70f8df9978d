"""Reads of the contracts app: the contracts in force, and each month's statements computed
from the SLA facts in one aggregation for all customers."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from datetime import date, datetime
from typing import Any

from django.db.models import Count, F, Q, QuerySet
from django.db.models.functions import TruncDate

from cases.models import Customer
from cases.models.case import REFERENCE_PREFIX
from contracts.accounting import Terms, next_costs, percent_text, standing
from contracts.models import Contract, MonthlyStatement
from contracts.months import Month
from reports.weeks import report_zone
from sla.models import CaseClock, ClockKind

# Breaches listed per statement (the counts always cover them all).
BREACH_LIST_LIMIT = 200


def contract_list() -> QuerySet[Contract]:
    return Contract.objects.select_related("customer", "updated_by").order_by(
        "customer__name", "-valid_from"
    )


def contracts_in_force(
    *, month: Month, customer_ids: Collection[int] | None = None
) -> dict[int, Contract]:
    """Per customer, the contract that applies to ``month``: of those in force on any day of
    it, the latest to start (a contract replaced mid-month gives way to its successor for the
    whole month). One query."""
    contracts = (
        Contract.objects.filter(valid_from__lte=month.last_day)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=month.first_day))
        .select_related("customer")
        .order_by("customer_id", "-valid_from")
    )
    if customer_ids is not None:
        contracts = contracts.filter(customer_id__in=customer_ids)
    chosen: dict[int, Contract] = {}
    for contract in contracts:
        chosen.setdefault(contract.customer_id, contract)
    return chosen


def terms_of(contract: Contract) -> Terms:
    return Terms(
        committed_percent=contract.committed_percent,
        credit_percent_per_point=contract.credit_percent_per_point,
        credit_cap_percent=contract.credit_cap_percent,
        monthly_fee=contract.monthly_fee,
    )


def _scope(*, month: Month, until: datetime, customer_ids: Collection[int]) -> QuerySet[CaseClock]:
    """The resolution clocks of these customers' cases that stopped in the month (up to
    ``until``) with the case resolved: a duplicate closed by a merge is not a resolution."""
    return CaseClock.objects.filter(
        kind=ClockKind.RESOLUTION,
        stopped_at__gte=month.start(),
        stopped_at__lt=until,
        case__customer_id__in=customer_ids,
        case__resolved_at__isnull=False,
    )


def statements_compute(
    *, month: Month, now: datetime, customer_ids: Collection[int] | None = None
) -> dict[int, dict[str, Any]]:
    """The statement payload of ``month`` for every customer with a contract in force (or
    those of ``customer_ids``), as of ``now`` for a month in progress. Three queries whatever
    the number of customers: the contracts, the clocks counted per customer, severity and day
    (``GROUP BY`` in the database), and the breached clocks listed."""
    contracts = contracts_in_force(month=month, customer_ids=customer_ids)
    if not contracts:
        return {}
    live = now < month.end()
    until = min(now, month.end())
    counts: dict[int, dict[tuple[str, date], tuple[int, int]]] = defaultdict(dict)
    rows = (
        _scope(month=month, until=until, customer_ids=list(contracts))
        .values(
            customer=F("case__customer_id"),
            severity=F("case__severity"),
            day=TruncDate("stopped_at", tzinfo=report_zone()),
        )
        .annotate(n=Count("id"), breached=Count("id", filter=Q(met=False)))
        .order_by()
    )
    for row in rows:
        counts[row["customer"]][(row["severity"], row["day"])] = (row["n"], row["breached"])
    breaches = _breaches(month=month, until=until, contracts=contracts)
    return {
        customer_id: _payload(
            contract,
            month=month,
            now=now,
            until=until,
            live=live,
            counts=counts.get(customer_id, {}),
            breaches=breaches.get(customer_id, []),
        )
        for customer_id, contract in contracts.items()
    }


def _breaches(
    *, month: Month, until: datetime, contracts: dict[int, Contract]
) -> dict[int, list[dict[str, Any]]]:
    """The breached clocks in scope per customer, worst first (the longest late), at most
    ``BREACH_LIST_LIMIT`` each. One query: the severities differ per contract, so they are
    picked out here from the few breached clocks, not per contract in SQL."""
    clocks = (
        _scope(month=month, until=until, customer_ids=list(contracts))
        .filter(met=False)
        .values(
            "case_id",
            "breached_at",
            "stopped_at",
            "late_seconds",
            customer=F("case__customer_id"),
            severity=F("case__severity"),
            title=F("case__title"),
        )
        .order_by("-late_seconds", "stopped_at", "case_id")
    )
    found: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for clock in clocks:
        customer_id = clock["customer"]
        if clock["severity"] not in contracts[customer_id].severities:
            continue
        listed = found[customer_id]
        if len(listed) < BREACH_LIST_LIMIT:
            listed.append(
                {
                    "reference": f"{REFERENCE_PREFIX}{clock['case_id']:06d}",
                    "title": clock["title"],
                    "severity": clock["severity"],
                    "breached_at": clock["breached_at"].isoformat()
                    if clock["breached_at"]
                    else None,
                    "resolved_at": clock["stopped_at"].isoformat() if clock["stopped_at"] else None,
                    "late_seconds": clock["late_seconds"] or 0,
                }
            )
    return found


def _payload(
    contract: Contract,
    *,
    month: Month,
    now: datetime,
    until: datetime,
    live: bool,
    counts: dict[tuple[str, date], tuple[int, int]],
    breaches: list[dict[str, Any]],
) -> dict[str, Any]:
    terms = terms_of(contract)
    covered = set(contract.severities)
    per_day: dict[date, list[int]] = defaultdict(lambda: [0, 0])
    by_severity: dict[str, list[int]] = {s: [0, 0] for s in contract.severities}
    for (severity, day), (n, breached) in counts.items():
        if severity in covered:
            per_day[day][0] += n
            per_day[day][1] += breached
            by_severity[severity][0] += n
            by_severity[severity][1] += breached
    last_day = min(month.last_day, until.astimezone(report_zone()).date())
    days = []
    in_scope = breached_total = 0
    for day in month.days:
        if day > last_day:
            break
        in_scope += per_day[day][0]
        breached_total += per_day[day][1]
        then = standing(terms, in_scope=in_scope, breached=breached_total)
        days.append(
            {
                "day": day.isoformat(),
                "in_scope": in_scope,
                "breached": breached_total,
                "breaches_left": then.breaches_left,
                "credit_percent": percent_text(then.credit_percent),
            }
        )
    now_standing = standing(terms, in_scope=in_scope, breached=breached_total)
    customer: Customer = contract.customer
    return {
        "month": str(month),
        "live": live,
        "computed_at": now.isoformat(),
        "as_of": until.isoformat(),
        "customer": {"id": customer.pk, "name": customer.name, "tier": customer.tier},
        "contract": {
            "id": contract.pk,
            "monthly_fee": str(contract.monthly_fee),
            "currency": contract.currency,
            "severities": contract.severities,
            "committed_percent": percent_text(contract.committed_percent),
            "credit_percent_per_point": percent_text(contract.credit_percent_per_point),
            "credit_cap_percent": percent_text(contract.credit_cap_percent),
            "valid_from": contract.valid_from.isoformat(),
            "valid_to": contract.valid_to.isoformat() if contract.valid_to else None,
        },
        "in_scope": now_standing.in_scope,
        "met": now_standing.met,
        "breached": now_standing.breached,
        "compliance": percent_text(now_standing.compliance) or None,
        "points_below": percent_text(now_standing.points_below),
        "credit_percent": percent_text(now_standing.credit_percent),
        "credit_amount": str(now_standing.credit_amount),
        "breaches_left": now_standing.breaches_left,
        "missed": now_standing.missed,
        "at_risk": now_standing.at_risk,
        "by_severity": [
            {"severity": s, "in_scope": n, "breached": b} for s, (n, b) in by_severity.items()
        ],
        "next_costs": [
            {
                "more": step.more,
                "credit_percent": percent_text(step.credit_percent),
                "credit_amount": str(step.credit_amount),
            }
            for step in next_costs(terms, in_scope=in_scope, breached=breached_total)
        ],
        "days": days,
        "breaches": breaches,
        "breaches_listed_all": len(breaches) == now_standing.breached,
    }


def snapshots_of(
    *, month: Month, customer_ids: Collection[int] | None = None
) -> dict[int, MonthlyStatement]:
    snapshots = MonthlyStatement.objects.filter(month_start=month.first_day)
    if customer_ids is not None:
        snapshots = snapshots.filter(customer_id__in=customer_ids)
    return {s.customer_id: s for s in snapshots}


def statement_months(*, customer_id: int, now: datetime) -> list[Month]:
    """The months a customer's statement picker offers: from the first month any of its
    contracts ran to this month (or the contract's end), newest first. One query."""
    spans = list(
        Contract.objects.filter(customer_id=customer_id).values_list("valid_from", "valid_to")
    )
    current = Month.containing(now)
    months: set[Month] = set()
    for valid_from, valid_to in spans:
        month = Month.of_date(valid_from)
        last = min(Month.of_date(valid_to), current) if valid_to else current
        while month <= last:
            months.add(month)
            month = month.next()
    return sorted(months, reverse=True)
