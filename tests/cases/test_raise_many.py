"""Raising many cases at once (``cases_raise_many``): the cases, timeline events, SLA clocks and
marks of as many ``case_raise`` calls, with a number of statements that does not grow with
the number of cases; a bad row refused on its own."""

from __future__ import annotations

from typing import Any

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cases.models import Case, CaseEvent, Impact, Severity, Source, Status, Tier
from cases.services.raising import CaseToRaise, case_raise, cases_raise_many
from escalation.errors import DomainError
from sla.models import CaseClock, ClockLedgerEntry
from sla.services import MARK_FIELDS
from tests.factories import (
    CategoryFactory,
    ContactFactory,
    CustomerFactory,
    ProductFactory,
    TeamFactory,
)
from tests.sla.factories import SlaPolicyFactory

pytestmark = pytest.mark.django_db

# What a raised case is compared by: every column but the id (the reference follows it).
CASE_FIELDS = [f.attname for f in Case._meta.concrete_fields if f.attname != "id"]
EVENT_FIELDS = ("kind", "actor_id", "from_value", "to_value", "reason", "body", "data")
CLOCK_FIELDS = [
    f.attname for f in CaseClock._meta.concrete_fields if f.attname not in ("id", "case_id")
]
ENTRY_FIELDS = [
    f.attname for f in ClockLedgerEntry._meta.concrete_fields if f.attname not in ("id", "case_id")
]


@pytest.fixture
def policies() -> None:
    for tier in (Tier.STANDARD, Tier.PREMIUM):
        for severity in Severity.values:
            SlaPolicyFactory(tier=tier, severity=severity)


def rows() -> list[CaseToRaise]:
    """Cases of every shape: tiers, severities, a contact, product, category, a named team."""
    standard, premium = CustomerFactory(tier=Tier.STANDARD), CustomerFactory(tier=Tier.PREMIUM)
    return [
        CaseToRaise(customer=standard, title="  Disk full  ", description="db1", severity="S1"),
        CaseToRaise(
            customer=premium,
            contact=ContactFactory(customer=premium),
            product=ProductFactory(),
            category=CategoryFactory(),
            title="Checkout fails",
            description="Error 502",
            tried="Restarted",
            severity=Severity.S2,
            impact=Impact.BUSINESS,
            source=Source.API,
        ),
        CaseToRaise(
            customer=standard,
            title="Slow reports",
            description="Since Monday",
            severity=Severity.S4,
            team=TeamFactory(name="Second line"),
        ),
        CaseToRaise(customer=premium, title="No policy tier", description="d", severity="S3"),
    ]


def raised_as(row: CaseToRaise, by: Any) -> Case:
    return case_raise(
        raised_by=by,
        customer=row.customer,
        contact=row.contact,
        product=row.product,
        category=row.category,
        title=row.title,
        description=row.description,
        tried=row.tried,
        severity=row.severity,
        impact=row.impact,
        source=row.source,
        team=row.team,
    )


def written(case: Case) -> dict[str, Any]:
    """All a raise wrote of one case, without ids: the case, its events, clocks, ledger."""
    case.refresh_from_db()
    clocks = CaseClock.objects.filter(case=case).order_by("kind")
    entries = ClockLedgerEntry.objects.filter(case=case).order_by("clock_kind", "pk")
    return {
        "case": {name: getattr(case, name) for name in CASE_FIELDS},
        "events": [
            {name: getattr(event, name) for name in EVENT_FIELDS}
            for event in CaseEvent.objects.filter(case=case).order_by("pk")
        ],
        "clocks": [{name: getattr(c, name) for name in CLOCK_FIELDS} for c in clocks],
        "entries": [{name: getattr(e, name) for name in ENTRY_FIELDS} for e in entries],
    }


@time_machine.travel("2026-12-02 10:00 +00:00", tick=False)
def test_many_raise_the_same_cases_events_clocks_and_marks_as_one_by_one(
    alice, service_desk, policies
) -> None:
    given = rows()
    one_by_one = [written(raised_as(row, alice)) for row in given]
    raised = cases_raise_many(raised_by=alice, rows=given)
    assert all(isinstance(case, Case) for case in raised)
    together = [written(case) for case in raised if isinstance(case, Case)]
    assert together == one_by_one
    assert together[0]["case"]["title"] == "Disk full"
    assert together[0]["case"]["team_id"] == service_desk.pk
    assert [c["kind"] for c in together[0]["clocks"]] == ["resolution", "response"]
    assert {name: together[1]["case"][name] for name in MARK_FIELDS}["sla_breach_at"] is not None


@time_machine.travel("2026-12-02 10:00 +00:00", tick=False)
def test_the_answer_carries_each_case_with_its_reference_and_marks(alice, policies) -> None:
    raised = cases_raise_many(raised_by=alice, rows=rows()[:2])
    for case in raised:
        assert isinstance(case, Case)
        stored = Case.objects.get(pk=case.pk)
        assert case.reference == stored.reference
        assert case.status == Status.NEW
        assert [getattr(case, name) for name in MARK_FIELDS] == [
            getattr(stored, name) for name in MARK_FIELDS
        ]


def test_the_statements_do_not_grow_with_the_number_of_cases(alice, policies) -> None:
    customer = CustomerFactory()

    def statements(count: int) -> int:
        given = [
            CaseToRaise(customer=customer, title=f"t{n}", description="d", severity="S3")
            for n in range(count)
        ]
        with CaptureQueriesContext(connection) as queries:
            cases_raise_many(raised_by=alice, rows=given)
        return len(queries)

    statements(1)  # the default team and the tags' first lookups are not what is measured
    assert statements(3) == statements(30)
    assert statements(30) <= 12


def test_a_bad_row_is_refused_alone(alice, policies) -> None:
    customer, other = CustomerFactory(), CustomerFactory()
    gone = CustomerFactory(is_active=False)

    def row(**fields: Any) -> CaseToRaise:
        return CaseToRaise(
            **{"customer": customer, "title": "t", "description": "d", "severity": "S3", **fields}
        )

    given = [
        row(title="First"),
        row(severity="S9"),
        row(title="   "),
        row(customer=gone),
        row(contact=ContactFactory(customer=other)),
        row(team=TeamFactory(is_active=False)),
        row(product=ProductFactory(is_active=False)),
        row(title="Last"),
    ]
    raised = cases_raise_many(raised_by=alice, rows=given)
    refused = {n: r.field for n, r in enumerate(raised) if isinstance(r, DomainError)}
    assert refused == {
        1: "severity",
        2: "title",
        3: "customer",
        4: "contact",
        5: "team",
        6: "product",
    }
    assert sorted(Case.objects.values_list("title", flat=True)) == ["First", "Last"]
    assert CaseClock.objects.filter(case__title="Last").count() == 2  # response, resolution


def test_nothing_to_raise_writes_nothing(alice) -> None:
    with CaptureQueriesContext(connection) as queries:
        assert cases_raise_many(raised_by=alice, rows=[]) == []
    assert Case.objects.count() == 0
    assert len([q for q in queries if "INSERT" in q["sql"]]) == 0


def test_someone_who_may_not_raise_is_refused(erin) -> None:
    row = CaseToRaise(customer=CustomerFactory(), title="t", description="d", severity="S3")
    with pytest.raises(PermissionDenied):
        cases_raise_many(raised_by=erin, rows=[row])
    assert Case.objects.count() == 0
