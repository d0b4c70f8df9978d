"""Patterns across escalations and customers at risk: aggregated in the database."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import timezone

from cases.models import RootCause, Severity, Status
from reviews.selectors import (
    customers_at_risk,
    recurring_root_causes,
    repeat_customers,
    rising,
    root_cause_groups,
)
from sla.facts import breach_fact, facts_save
from sla.models import CaseClock, ClockKind
from tests.factories import CaseFactory, CategoryFactory, CustomerFactory, ProductFactory
from tests.reviews.factories import SurveyFactory, resolved_case

AMS = ZoneInfo("Europe/Amsterdam")
NOW = datetime(2025, 6, 10, 12, 0, tzinfo=AMS)
pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _now():  # type: ignore[no-untyped-def]
    with time_machine.travel(NOW, tick=False):
        yield


def ago(days: float) -> datetime:
    return NOW - timedelta(days=days)


def cause(name: str, group: str) -> RootCause:
    parent = RootCause.objects.get_or_create(name=group, parent=None)[0]
    return RootCause.objects.create(name=name, parent=parent)


def test_root_causes_found_twice_in_90_days_recur_with_30_and_90_day_counts() -> None:
    cert = cause("Expired certificate", "Configuration")
    disk = cause("Disk full", "Capacity")
    for days in (2, 20, 60):
        resolved_case(root_cause=cert, resolved_at=ago(days))
    resolved_case(root_cause=disk, resolved_at=ago(5))  # once: no pattern
    resolved_case(root_cause=disk, resolved_at=ago(100))  # too old to count
    [row] = recurring_root_causes()
    assert (row.name, row.group, row.last_short, row.last_long) == (
        "Expired certificate",
        "Configuration",
        2,
        3,
    )


def test_root_causes_add_up_by_group() -> None:
    resolved_case(root_cause=cause("Expired certificate", "Configuration"), resolved_at=ago(1))
    resolved_case(root_cause=cause("Wrong DNS record", "Configuration"), resolved_at=ago(40))
    resolved_case(root_cause=cause("Disk full", "Capacity"), resolved_at=ago(3))
    groups = {g.name: (g.last_short, g.last_long) for g in root_cause_groups()}
    assert groups == {"Configuration": (1, 2), "Capacity": (1, 1)}


def test_a_product_rises_when_this_week_beats_its_four_week_average() -> None:
    payroll, crm = ProductFactory(name="Payroll"), ProductFactory(name="CRM")
    for days in (1, 2, 3):
        CaseFactory(product=payroll, raised_at=ago(days))
    for days in (10, 20):  # 2 in the 4 weeks before: 0.5 a week
        CaseFactory(product=payroll, raised_at=ago(days))
    for days in (1, 2):  # CRM: 2 this week, 8 before (2 a week): steady, not rising
        CaseFactory(product=crm, raised_at=ago(days))
    for days in (8, 9, 12, 15, 18, 22, 25, 30):
        CaseFactory(product=crm, raised_at=ago(days))
    [row] = rising(dimension="product")
    assert (row.name, row.this_week, row.previous_four) == ("Payroll", 3, 2)
    assert row.weekly_average == 0.5 and row.change == "+500%"


def test_a_single_new_case_is_not_a_rise() -> None:
    CaseFactory(category=CategoryFactory(name="Access"), raised_at=ago(1))
    assert rising(dimension="category") == []


def test_a_category_with_no_history_rising_says_new() -> None:
    access = CategoryFactory(name="Access")
    CaseFactory(category=access, raised_at=ago(1))
    CaseFactory(category=access, raised_at=ago(2))
    [row] = rising(dimension="category")
    assert row.change == "new"


def test_customers_with_repeated_escalations_in_30_days() -> None:
    acme, globex = CustomerFactory(name="Acme"), CustomerFactory(name="Globex")
    for days in (1, 15, 50):
        CaseFactory(customer=acme, raised_at=ago(days))
    CaseFactory(customer=globex, raised_at=ago(1))
    CaseFactory(customer=globex, raised_at=ago(45))
    [row] = repeat_customers()
    assert (row.name, row.last_short, row.last_long) == ("Acme", 2, 3)


def breach(case, days: float) -> None:  # type: ignore[no-untyped-def]
    moment = ago(days)
    clock = CaseClock.objects.create(
        case=case,
        kind=ClockKind.RESOLUTION,
        target_seconds=3600,
        started_at=moment - timedelta(hours=2),
        due_at=moment,
        warn_at=moment - timedelta(minutes=15),
        breached_at=moment,
    )
    facts_save(breaches=[breach_fact(clock, now=moment)])


def test_customers_at_risk_come_with_their_reasons() -> None:
    busy = CustomerFactory(name="Busy")
    for days in (1, 2, 3):
        CaseFactory(customer=busy, raised_at=ago(days))
    late = CustomerFactory(name="Late")
    for days in (5, 6):
        breach(CaseFactory(customer=late, raised_at=ago(40)), days)
    burning = CustomerFactory(name="Burning")
    CaseFactory(
        customer=burning, severity=Severity.S1, status=Status.IN_PROGRESS, raised_at=ago(40)
    )
    unhappy = CustomerFactory(name="Unhappy")
    for score in (1, 2, 4):
        SurveyFactory(
            case=resolved_case(customer=unhappy, resolved_at=ago(50)),
            answered_at=ago(10),
            score=score,
        )
    calm = CustomerFactory(name="Calm")
    CaseFactory(customer=calm, raised_at=ago(1))
    CaseFactory(customer=calm, severity=Severity.S1, status=Status.RESOLVED, raised_at=ago(2))
    SurveyFactory(
        case=resolved_case(customer=calm, resolved_at=ago(60)), answered_at=ago(1), score=5
    )

    risks = {r.name: r.reasons for r in customers_at_risk()}
    assert risks == {
        "Busy": ["3 escalations in 30 days"],
        "Late": ["2 cases breached their SLA in 30 days"],
        "Burning": ["1 open S1 case"],
        "Unhappy": ["satisfaction 2.3/5 from 3 answers in 90 days"],
    }


def test_customers_at_risk_at_a_past_moment_are_those_of_that_moment() -> None:
    """A week's report asks about the end of its week: what happened after it does not count,
    and an S1 open then counts even once it is resolved."""
    then = ago(20)
    busy = CustomerFactory(name="Busy then")
    for days in (21, 22, 23):
        CaseFactory(customer=busy, raised_at=ago(days))
    later = CustomerFactory(name="Busy later")
    for days in (1, 2, 3):
        CaseFactory(customer=later, raised_at=ago(days))
    late = CustomerFactory(name="Late later")
    for days in (5, 6):
        breach(CaseFactory(customer=late, raised_at=ago(40)), days)
    burned = CustomerFactory(name="Burned then")
    CaseFactory(
        customer=burned,
        severity=Severity.S1,
        status=Status.RESOLVED,
        raised_at=ago(25),
        resolved_at=ago(10),
    )
    CaseFactory(customer=burned, severity=Severity.S1, status=Status.NEW, raised_at=ago(5))

    assert {r.name: r.reasons for r in customers_at_risk(now=then)} == {
        "Busy then": ["3 escalations in 30 days"],
        "Burned then": ["1 open S1 case"],
    }
    assert {r.name for r in customers_at_risk()} == {
        "Busy then",
        "Busy later",
        "Late later",
        "Burned then",
    }


def test_customers_with_most_reasons_come_first_and_the_limit_holds() -> None:
    both = CustomerFactory(name="Both")
    for days in (1, 2, 3):
        CaseFactory(customer=both, raised_at=ago(days), severity=Severity.S1, status=Status.NEW)
    one = CustomerFactory(name="One")
    CaseFactory(customer=one, severity=Severity.S1, status=Status.NEW)
    ranked = customers_at_risk()
    assert [r.name for r in ranked] == ["Both", "One"]
    assert len(ranked[0].reasons) == 2
    assert [r.name for r in customers_at_risk(limit=1)] == ["Both"]


def test_risk_costs_a_fixed_number_of_queries(django_assert_max_num_queries) -> None:
    for n in range(6):
        customer = CustomerFactory(name=f"Customer {n}")
        CaseFactory(customer=customer, severity=Severity.S1, status=Status.NEW)
    with django_assert_max_num_queries(5):
        assert len(customers_at_risk()) == 6


def test_nothing_to_report_on_an_empty_database() -> None:
    assert recurring_root_causes() == []
    assert rising(dimension="product") == []
    assert repeat_customers() == []
    assert customers_at_risk() == []
    assert timezone.now() == NOW
