from __future__ import annotations

import csv
import io
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from cases.models import Severity
from contracts.models import Contract, MonthlyStatement
from contracts.months import Month
from contracts.services import ContractTerms, contract_save, month_statements, monthly_freeze_run
from escalation.errors import DomainError
from tests.conftest import client_for
from tests.contracts.factories import ContractFactory, resolution
from tests.factories import CustomerFactory

ZONE = ZoneInfo("Europe/Amsterdam")
NOVEMBER = Month(2026, 11)
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=ZONE)


def at(day: int, hour: int = 10) -> datetime:
    return datetime(2026, 11, day, hour, tzinfo=ZONE)


@pytest.fixture
def acme(db: None):  # type: ignore[no-untyped-def]
    """40 covered resolutions in November, 3 of them out of target (92.5%), and noise that
    must not count: an S3, another month, another customer."""
    customer = CustomerFactory(name="Acme")
    ContractFactory(customer=customer)
    for n in range(40):
        resolution(customer, at=at(1 + n % 10), breached=n in (5, 16, 27))
    resolution(customer, at=at(3), breached=True, severity=Severity.S3)
    resolution(customer, at=datetime(2026, 10, 31, 23, tzinfo=ZONE), breached=True)
    resolution(CustomerFactory(name="Other"), at=at(3), breached=True)
    return customer


@time_machine.travel(NOW, tick=False)
def test_a_hand_computed_month(acme) -> None:  # type: ignore[no-untyped-def]
    payload = month_statements(month=NOVEMBER, now=NOW)[acme.pk].payload
    assert (payload["in_scope"], payload["met"], payload["breached"]) == (40, 37, 3)
    assert payload["compliance"] == "92.5"
    assert payload["points_below"] == "2.5"
    assert payload["credit_percent"] == "15"
    assert payload["credit_amount"] == "1800.00"
    assert payload["missed"] and payload["live"]
    assert len(payload["breaches"]) == 3
    assert {b["severity"] for b in payload["breaches"]} == {"S1"}
    # Every day of the month so far, the budget as it stood at its end.
    assert [d["day"] for d in payload["days"]][-1] == "2026-11-20"
    first = payload["days"][0]
    assert (first["in_scope"], first["breached"]) == (4, 0)
    sixth = payload["days"][5]  # 1..6 Nov: 24 resolutions, the breach of the 6th among them
    assert (sixth["in_scope"], sixth["breached"], sixth["breaches_left"]) == (24, 1, 0)


@time_machine.travel(NOW, tick=False)
def test_two_breaches_of_forty_owe_nothing(db: None) -> None:
    customer = CustomerFactory(name="Beta")
    ContractFactory(customer=customer)
    for n in range(40):
        resolution(customer, at=at(2), breached=n < 2)
    payload = month_statements(month=NOVEMBER, now=NOW)[customer.pk].payload
    assert (payload["compliance"], payload["credit_percent"], payload["breaches_left"]) == (
        "95",
        "0",
        0,
    )
    assert payload["at_risk"] and not payload["missed"]
    # One more: 38 of 41 = 92.68%, 2.32 points below, three points' credit.
    assert payload["next_costs"][0] == {
        "more": 1,
        "credit_percent": "15",
        "credit_amount": "1800.00",
    }


def test_a_finished_month_is_frozen_once_by_the_job_of_the_first(acme) -> None:  # type: ignore[no-untyped-def]
    first = datetime(2026, 12, 1, 6, 15, tzinfo=ZONE)
    assert monthly_freeze_run(now=first) == 1
    assert monthly_freeze_run(now=first) == 0
    # A late resolution of November's case changes nothing in the frozen statement.
    resolution(acme, at=at(29), breached=True)
    statement = month_statements(month=NOVEMBER, now=first)[acme.pk]
    assert statement.frozen
    assert statement.payload["breached"] == 3 and not statement.payload["live"]
    assert MonthlyStatement.objects.count() == 1


def test_a_month_in_progress_is_not_frozen(acme) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(DomainError):
        from contracts.services import statements_freeze

        statements_freeze(month=NOVEMBER, now=NOW)


def test_overlapping_contracts_are_refused(db: None, bob) -> None:  # type: ignore[no-untyped-def]
    customer = CustomerFactory(name="Gamma")
    ContractFactory(customer=customer, valid_from=date(2026, 1, 1), valid_to=date(2026, 12, 31))
    terms = ContractTerms(
        customer=customer,
        monthly_fee=Decimal("100"),
        currency="EUR",
        covered_severities=["S1"],
        committed_percent=Decimal("99"),
        credit_percent_per_point=Decimal("2"),
        credit_cap_percent=Decimal("10"),
        valid_from=date(2026, 6, 1),
        valid_to=None,
    )
    with pytest.raises(DomainError) as refused:
        contract_save(contract=None, terms=terms, by=bob, now=NOW)
    assert refused.value.field == "valid_from"
    ok = contract_save(
        contract=None,
        terms=terms.__class__(**{**terms.__dict__, "valid_from": date(2027, 1, 1)}),
        by=bob,
        now=NOW,
    )
    assert ok.covered_severities == "S1"


@time_machine.travel(NOW, tick=False)
def test_executive_reads_the_list_and_the_statement(acme, erin) -> None:  # type: ignore[no-untyped-def]
    client = client_for(erin)
    page = client.get(reverse("contracts:index"))
    assert page.status_code == 200
    assert "Acme" in page.content.decode() and "Missed" in page.content.decode()
    statement = client.get(reverse("contracts:statement", args=[acme.pk]), {"month": "2026-11"})
    text = statement.content.decode()
    assert statement.status_code == 200
    assert "92.5%" in text and "EUR 1,800.00" in text
    assert 'data-chart="burndown"' in text
    assert reverse("cases:detail", kwargs={"reference": "ESC-"}).rstrip("/") in text


@time_machine.travel(NOW, tick=False)
def test_operators_are_refused(acme, alice) -> None:  # type: ignore[no-untyped-def]
    client = client_for(alice)
    assert client.get(reverse("contracts:index")).status_code == 403
    assert client.get(reverse("contracts:statement", args=[acme.pk])).status_code == 403
    url = reverse("contracts:statement_csv", args=[acme.pk, "2026-11", "summary"])
    assert client.get(url).status_code == 403


@time_machine.travel(NOW, tick=False)
def test_a_bad_month_is_a_field_error_and_a_future_one_a_404(acme, erin) -> None:  # type: ignore[no-untyped-def]
    client = client_for(erin)
    url = reverse("contracts:statement", args=[acme.pk])
    assert client.get(url, {"month": "2026-13"}).status_code == 400
    assert client.get(url, {"month": "2027-01"}).status_code == 404


@time_machine.travel(NOW, tick=False)
def test_the_csv_holds_the_statement(acme, erin) -> None:  # type: ignore[no-untyped-def]
    client = client_for(erin)
    summary = client.get(reverse("contracts:statement_csv", args=[acme.pk, "2026-11", "summary"]))
    rows = dict(csv.reader(io.StringIO(summary.content.decode())))
    assert rows["Compliance (%)"] == "92.5"
    assert rows["Credit owed (EUR)"] == "1800.00"
    assert rows["Breached"] == "3"
    breaches = client.get(reverse("contracts:statement_csv", args=[acme.pk, "2026-11", "breaches"]))
    lines = list(csv.reader(io.StringIO(breaches.content.decode())))
    assert lines[0][0] == "Case" and len(lines) == 4
    missing = reverse("contracts:statement_csv", args=[acme.pk, "2026-11", "nothing"])
    assert client.get(missing).status_code == 404


@time_machine.travel(NOW, tick=False)
def test_the_pdf_renders(acme, erin) -> None:  # type: ignore[no-untyped-def]
    response = client_for(erin).get(reverse("contracts:statement_pdf", args=[acme.pk, "2026-11"]))
    assert response.status_code == 200
    assert response.content.startswith(b"%PDF")


def test_a_manager_adds_a_contract_and_bad_input_gets_field_errors(db: None, bob, erin) -> None:  # type: ignore[no-untyped-def]
    customer = CustomerFactory(name="Delta")
    client = client_for(bob)
    bad = client.post(
        reverse("contracts:create"),
        {
            "customer": customer.pk,
            "monthly_fee": "-1",
            "currency": "EUR",
            "committed_percent": "101",
            "credit_percent_per_point": "5",
            "credit_cap_percent": "30",
            "valid_from": "2026-11-01",
        },
    )
    assert bad.status_code == 400
    errors = bad.context["form"].errors
    assert {"monthly_fee", "committed_percent", "covered_severities"} <= set(errors)
    assert not Contract.objects.exists()
    good = client.post(
        reverse("contracts:create"),
        {
            "customer": customer.pk,
            "monthly_fee": "1000",
            "currency": "EUR",
            "covered_severities": ["S1", "S2"],
            "committed_percent": "95",
            "credit_percent_per_point": "5",
            "credit_cap_percent": "30",
            "valid_from": "2026-11-01",
        },
    )
    assert good.status_code == 302
    assert Contract.objects.get().covered_severities == "S1,S2"
    assert client_for(erin).get(reverse("contracts:create")).status_code == 403


@time_machine.travel(NOW, tick=False)
def test_the_dashboard_fragment_flags_the_customers_at_risk(acme, bob) -> None:  # type: ignore[no-untyped-def]
    safe = CustomerFactory(name="Safe")
    ContractFactory(customer=safe)
    resolution(safe, at=at(2), breached=False)
    text = client_for(bob).get(reverse("contracts:dashboard_at_risk")).content.decode()
    assert "Acme" in text and "Missed" in text
    assert "Safe" not in text


def _queries(client, url: str) -> int:  # type: ignore[no-untyped-def]
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


@time_machine.travel(NOW, tick=False)
def test_the_pages_make_as_few_queries_for_many_customers_as_for_one(acme, bob) -> None:  # type: ignore[no-untyped-def]
    client = client_for(bob)
    urls = [
        reverse("contracts:index"),
        reverse("contracts:statement", args=[acme.pk]),
        reverse("contracts:dashboard_at_risk"),
    ]
    one = [_queries(client, url) for url in urls]
    for n in range(5):
        customer = CustomerFactory(name=f"More {n}")
        ContractFactory(customer=customer)
        resolution(customer, at=at(2), breached=True)
    many = [_queries(client, url) for url in urls]
    assert one == many
    assert max(many) <= 15


@time_machine.travel(NOW, tick=False)
def test_the_budget_says_how_many_more_breaches_the_month_takes_and_what_the_next_cost(
    db: None,
) -> None:
    from contracts.presentation import budget_sentences

    customer = CustomerFactory(name="Epsilon")
    ContractFactory(customer=customer, committed_percent=Decimal("90"))
    for n in range(20):
        resolution(customer, at=at(4), breached=n == 0, severity=Severity.S2)
    payload = month_statements(month=NOVEMBER, now=NOW)[customer.pk].payload
    # 19 of 20: one more breach is 19 of 21 (90.48%), two more 19 of 22 (86.36%, 3.64
    # points below: four points' credit).
    assert budget_sentences(payload)[:2] == [
        "1 more S1/S2 breach this month keeps the commitment of 90%.",
        "2 more S1/S2 breaches this month cost 20% credit (EUR 2,400.00).",
    ]
    assert payload["at_risk"] and not payload["missed"]


def test_the_beat_task_freezes_last_month_and_a_second_run_changes_nothing(acme) -> None:  # type: ignore[no-untyped-def]
    from contracts.tasks import monthly_statements_freeze

    with time_machine.travel(datetime(2026, 12, 1, 6, 15, tzinfo=ZONE), tick=False):
        assert monthly_statements_freeze() == 1
        acme.contracts.update(monthly_fee=Decimal("1"))
        assert monthly_statements_freeze() == 0
    frozen = MonthlyStatement.objects.get(customer=acme, month_start=date(2026, 11, 1))
    assert frozen.payload["credit_amount"] == "1800.00"


def test_a_frozen_month_reads_its_snapshots_without_computing_again(acme, erin) -> None:  # type: ignore[no-untyped-def]
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    december = datetime(2026, 12, 3, 9, tzinfo=ZONE)
    month_statements(month=NOVEMBER, now=december)  # the first view freezes it
    with CaptureQueriesContext(connection) as queries:
        statements = month_statements(month=NOVEMBER, now=december)
    assert statements[acme.pk].frozen
    assert not any("sla_caseclock" in q["sql"] for q in queries.captured_queries)
