"""Related cases: the raise form's lookup (GET /learning/related/) over 1,000,000 cases.

Server time of the HTMX partial through the test Client, logged in as the demo operator (the
person raising a case): the same customer's recent cases on the same product or category, and
titles like the one typed (pg_trgm), restricted to the cases the operator may see. The typed
titles cycle through four kinds: an existing title, a misspelt one, a half-typed one and one
that matches nothing. Also the case page's lookup (?case=) as the demo manager.
"""

from __future__ import annotations

import argparse
import itertools
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from bench.common import Row, count_queries, logged_in_client, time_it

TARGET_MS = 100.0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--related-customer",
        default="Northwind Traders",
        help="related_cases: the customer the raise form has chosen (default Northwind Traders)",
    )


def typed_titles() -> dict[str, str]:
    """What an operator types, one per kind, built from the titles in the database."""
    from django.db.models import Count

    from cases.models import Case

    common = (
        Case.objects.values("title")
        .annotate(n=Count("id"))
        .order_by("-n", "title")
        .values_list("title", flat=True)
        .first()
    ) or "Payment gateway: webhooks fail with 401"
    words = common.split()
    misspelt = " ".join(w[:-2] + w[-1] + w[-2] if len(w) > 5 else w for w in words)
    return {
        "existing title": common,
        "misspelt title": misspelt,
        "half-typed title": common[: max(8, len(common) // 2)],
        "no match": "Quarterly zebra xylophone reconciliation",
    }


def run(args: argparse.Namespace) -> list[Row]:
    from django.contrib.auth import get_user_model
    from django.db.models import Count
    from django.urls import reverse

    from cases.models import Case, Customer
    from reviews.selectors import cases_similar

    customer = Customer.objects.get(name=args.related_customer)
    # The product and category this customer escalates most: the raise form's likely choice.
    usual = (
        Case.objects.filter(customer=customer, product__isnull=False, category__isnull=False)
        .values("product_id", "category_id")
        .annotate(n=Count("id"))
        .order_by("-n")
        .first()
    )
    if usual is None:
        raise SystemExit(f"{customer} has no cases: seed the benchmark database first")
    url = reverse("reviews:related")
    titles = typed_titles()

    def draft_url(title: str) -> str:
        query = {
            "title": title,
            "customer": customer.pk,
            "product": usual["product_id"],
            "category": usual["category_id"],
        }
        return f"{url}?{urlencode(query)}"

    rows = _raise_form_rows(titles, draft_url=draft_url, runs=args.runs)
    manager = logged_in_client("manager")
    case = Case.objects.filter(customer=customer).order_by("-id").first()
    case_url = f"{url}?{urlencode({'case': case.reference})}"
    check(manager.get(case_url), case_url)
    timing = time_it(lambda: manager.get(case_url), runs=args.runs)
    rows += [
        Row("case page lookup: median", round(timing.median, 1), "ms", TARGET_MS),
        Row("case page lookup: p95", round(timing.p95, 1), "ms"),
    ]

    system = get_user_model().objects.get(username="manager")
    similar = time_it(
        lambda: cases_similar(text=titles["misspelt title"], viewer=system), runs=args.runs
    )
    rows.append(Row("cases_similar alone, all customers: median", round(similar.median, 1), "ms"))
    return rows


def _raise_form_rows(
    titles: dict[str, str], *, draft_url: Callable[[str], str], runs: int
) -> list[Row]:
    """The raise form's related cases as an operator types each kind of title, then all
    kinds in turn."""
    operator = logged_in_client("operator")
    rows: list[Row] = []
    for kind, title in titles.items():
        address = draft_url(title)
        check(operator.get(address), address)
        timing = time_it(lambda address=address: operator.get(address), runs=runs)
        rows.append(Row(f"raise form, {kind}: median", round(timing.median, 1), "ms", TARGET_MS))
        rows.append(Row(f"raise form, {kind}: p95", round(timing.p95, 1), "ms"))
    cycle = itertools.cycle([draft_url(t) for t in titles.values()])
    mixed = time_it(lambda: operator.get(next(cycle)), runs=runs * 2)
    rows += [
        Row("raise form, all kinds: median", round(mixed.median, 1), "ms", TARGET_MS),
        Row("raise form, all kinds: p95", round(mixed.p95, 1), "ms", TARGET_MS),
        Row(
            "raise form: queries",
            count_queries(lambda: operator.get(draft_url(titles["existing title"]))),
            "queries",
        ),
    ]
    return rows


def check(response: Any, url: str) -> None:
    if response.status_code != 200:
        raise SystemExit(f"GET {url} answered {response.status_code}, not 200")
