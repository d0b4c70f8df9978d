"""Contracts: the monthly statement of every customer (one aggregation), live and frozen pages.

The bench database may have no contracts: every customer gets one (S1/S2, 95%, 5% a point,
capped at 30%) inside a transaction that is rolled back at the end, so the database is left as
it was. "Statement for all customers" is ``contracts.selectors.statements_compute`` for a whole
finished month (last month) and for the month so far; the pages go through the test Client as
the demo executive with the whole middleware stack.
"""

from __future__ import annotations

import argparse
from typing import Any

from bench.common import Row, count_queries, logged_in_client, time_it

ALL_CUSTOMERS_TARGET_MS = 10_000.0
PAGE_TARGET_MS = 1_000.0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--statement-runs",
        type=int,
        default=5,
        help="contracts_statement: measured runs of each computation (default 5)",
    )


class Rollback(Exception):
    """Raised to roll back the contracts the benchmark made."""


def run(args: argparse.Namespace) -> list[Row]:
    from django.db import transaction

    rows: list[Row] = []
    try:
        with transaction.atomic():
            rows = _measure(args)
            raise Rollback
    except Rollback:
        pass
    return rows


def _measure(args: argparse.Namespace) -> list[Row]:
    from datetime import date
    from decimal import Decimal

    from django.db import connection
    from django.urls import reverse
    from django.utils import timezone

    from cases.models import Customer
    from contracts.models import Contract, MonthlyStatement
    from contracts.months import Month
    from contracts.selectors import statements_compute

    now = timezone.now()
    Contract.objects.all().delete()
    MonthlyStatement.objects.all().delete()
    customers = list(Customer.objects.values_list("pk", flat=True))
    Contract.objects.bulk_create(
        Contract(
            customer_id=pk,
            monthly_fee=Decimal("12000"),
            covered_severities="S1,S2",
            committed_percent=Decimal("95"),
            credit_percent_per_point=Decimal("5"),
            credit_cap_percent=Decimal("30"),
            valid_from=date(2000, 1, 1),
            updated_at=now,
        )
        for pk in customers
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE contracts_contract")
    this_month = Month.containing(now)
    last_month = this_month.previous()
    rows: list[Row] = []
    found: dict[int, Any] = {}
    for label, month in (
        (f"{last_month} (finished)", last_month),
        (f"{this_month} (so far)", this_month),
    ):

        def compute(month: Month = month) -> None:
            found.update(statements_compute(month=month, now=timezone.now()))

        timing = time_it(compute, runs=args.statement_runs, warmup=1)
        in_scope = sum(p["in_scope"] for p in found.values())
        print(f"  {month}: {len(found)} customers, {in_scope:,} resolutions in scope")
        rows += [
            Row(
                f"all {len(customers)} customers, {label}: median",
                round(timing.median),
                "ms",
                ALL_CUSTOMERS_TARGET_MS,
            ),
            Row(f"all customers, {label}: slowest", round(timing.slowest), "ms"),
            Row(f"all customers, {label}: cpu median", round(timing.cpu_median), "ms"),
            Row(f"all customers, {label}: queries", count_queries(compute), "queries"),
        ]
        found.clear()

    # The worst case: the month with the most resolutions, every severity covered.
    busiest = _busiest_month()
    Contract.objects.update(covered_severities="S1,S2,S3,S4")

    def compute_busiest() -> None:
        found.update(statements_compute(month=busiest, now=timezone.now()))

    timing = time_it(compute_busiest, runs=args.statement_runs, warmup=1)
    in_scope = sum(p["in_scope"] for p in found.values())
    print(f"  {busiest}, every severity: {len(found)} customers, {in_scope:,} resolutions in scope")
    label = f"{busiest} (busiest month), all severities"
    rows += [
        Row(f"all customers, {label}: median", round(timing.median), "ms", ALL_CUSTOMERS_TARGET_MS),
        Row(f"all customers, {label}: cpu median", round(timing.cpu_median), "ms"),
    ]
    found.clear()
    Contract.objects.update(covered_severities="S1,S2")

    client = logged_in_client("executive")
    customer = customers[0]
    pages = [
        ("list, this month", reverse("contracts:index")),
        ("list, last month (frozen)", reverse("contracts:index") + f"?month={last_month}"),
        (
            "statement, this month",
            reverse("contracts:statement", args=[customer]) + f"?month={this_month}",
        ),
    ]
    client.get(pages[1][1])  # freezes last month, as the job of the 1st would have
    for label, url in pages:
        timing = time_it(lambda url=url: client.get(url), runs=args.statement_runs, warmup=1)
        rows += [
            Row(f"page: {label}: median", round(timing.median), "ms", PAGE_TARGET_MS),
            Row(
                f"page: {label}: queries", count_queries(lambda url=url: client.get(url)), "queries"
            ),
        ]
    return rows


def _busiest_month() -> Any:
    from django.db.models import Count
    from django.db.models.functions import TruncMonth

    from contracts.months import Month
    from reports.weeks import report_zone
    from sla.models import CaseClock, ClockKind

    row = (
        CaseClock.objects.filter(kind=ClockKind.RESOLUTION, stopped_at__isnull=False)
        .annotate(month=TruncMonth("stopped_at", tzinfo=report_zone()))
        .values("month")
        .annotate(n=Count("id"))
        .order_by("-n")
        .first()
    )
    return Month.of_date(row["month"].date()) if row else Month.containing(timezone_now())


def timezone_now() -> Any:
    from django.utils import timezone

    return timezone.now()
