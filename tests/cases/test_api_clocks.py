"""GET /api/cases/<ref>/clocks/: each clock of a case explained, with its segments in order
and their causes, its breaches under the policy they happened under; refused like every other
case endpoint; a fixed number of queries however long the ledger."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cases.models import Case, RootCause, Severity, Status, Tier
from cases.services import (
    case_acknowledge,
    case_change_severity,
    case_raise,
    case_resolve,
    case_set_status,
)
from sla.models import ClockLedgerEntry
from tests.cases.factories import root_cause
from tests.cases.test_api import api_for
from tests.factories import CustomerFactory
from tests.sla.factories import SlaPolicyFactory

pytestmark = pytest.mark.django_db

NOON = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)  # Monday, 13:00 in Amsterdam
H = timedelta(hours=1)
M = timedelta(minutes=1)


def at(delta: timedelta) -> time_machine.travel:
    return time_machine.travel(NOON + delta, tick=False)


def clocks_url(case: Case) -> str:
    return f"/api/cases/{case.reference}/clocks/"


@pytest.fixture
def premium(db: None):  # type: ignore[no-untyped-def]
    """Premium S2 (respond in 30 min, resolve in 4 h) and S4 (4 h, 24 h), on 24x7."""
    for severity, response, resolution in ((Severity.S2, 30, 240), (Severity.S4, 240, 1440)):
        SlaPolicyFactory(
            tier=Tier.PREMIUM,
            severity=severity,
            response_minutes=response,
            resolution_minutes=resolution,
            update_minutes=None,
        )
    return CustomerFactory(name="Acme Retail", tier=Tier.PREMIUM)


def story(alice, bob, customer, *, pauses: int = 1) -> Case:  # type: ignore[no-untyped-def]
    """Raised, acknowledged after 10 min, waiting on the customer from 1 h to 2 h (and
    ``pauses - 1`` more times for a few seconds from 3 h), past its resolution deadline
    (5 h) when lowered to S4 at 5 h 10 min, resolved at 6 h."""
    with at(0 * H):
        case = case_raise(
            raised_by=alice,
            customer=customer,
            title="Checkout fails",
            description="502s",
            severity=Severity.S2,
        )
    with at(10 * M):
        case = case_acknowledge(case=case, by=bob)
    waits = [(1 * H, 2 * H)] + [
        (3 * H + n * 10 * timedelta(seconds=1), 3 * H + (n * 10 + 5) * timedelta(seconds=1))
        for n in range(pauses - 1)
    ]
    for start, end in waits:
        with at(start):
            case = case_set_status(case=case, by=bob, status=Status.WAITING, reason="Need logs")
        with at(end):
            case = case_set_status(case=case, by=bob, status=Status.IN_PROGRESS)
    with at(5 * H + 10 * M):
        case = case_change_severity(case=case, by=bob, severity=Severity.S4, reason="Workaround")
    cause = RootCause.objects.filter(name="Expired certificate").first() or root_cause()
    with at(6 * H):
        case = case_resolve(case=case, by=bob, summary="Fixed", root_cause=cause)
    return case


def iso(delta: timedelta) -> str:
    """A moment as the API writes it: ISO 8601 in the site's time zone."""
    return timezone.localtime(NOON + delta).isoformat()


def test_the_clocks_come_with_their_segments_in_order_and_their_causes(  # type: ignore[no-untyped-def]
    alice, bob, premium
) -> None:
    case = story(alice, bob, premium)
    with at(7 * H):
        response = api_for(alice).get(clocks_url(case))
    assert response.status_code == 200
    first, resolution = response.json()
    assert [first["kind"], resolution["kind"]] == ["response", "resolution"]

    assert (resolution["policy"], resolution["calendar"], resolution["target_seconds"]) == (
        "Premium S4",
        "24x7",
        86400,
    )
    assert (resolution["state"], resolution["attempt"], resolution["met"]) == ("breached", 2, False)
    assert resolution["started_at"] == iso(0 * H)
    assert resolution["due_at"] == iso(25 * H)
    assert (resolution["used_seconds"], resolution["paused_seconds"]) == (5 * 3600, 3600)
    assert resolution["remaining_seconds"] == 19 * 3600
    assert resolution["summary"].startswith("Breached 18:00 under Premium S2; since 18:10")
    segments = [
        (s["kind"], s["start"], s["end"], s["cause"], s["ledger_kind"], s["business_seconds"])
        for s in resolution["segments"]
    ]
    assert segments == [
        ("running", iso(0 * H), iso(1 * H), "Raised", "started", 3600),
        ("paused", iso(1 * H), iso(2 * H), "Waiting on customer", "paused", 3600),
        ("running", iso(2 * H), iso(5 * H + 10 * M), "In progress", "resumed", 3 * 3600 + 600),
        (
            "running",
            iso(5 * H + 10 * M),
            iso(6 * H),
            "Severity S4, policy Premium S4",
            "retargeted",
            3000,
        ),
        ("stopped", iso(6 * H), None, "Resolved", "stopped", 0),
    ]
    assert [s["event"]["kind"] for s in resolution["segments"]] == [
        "raised",
        "status",
        "status",
        "severity",
        "resolved",
    ]
    assert resolution["segments"][3]["event"]["actor"] == "Bob"
    assert [s["policy"] for s in resolution["segments"]] == ["Premium S2"] * 3 + ["Premium S4"] * 2

    [breach] = resolution["breaches"]
    assert breach == {
        "cycle": 1,
        "attempt": 1,
        "breached_at": iso(5 * H),
        "policy": "Premium S2",
        "calendar": "24x7",
        "target_seconds": 14400,
        "recorded": True,
        "event": None,  # the case change recorded it before any sweep: no timeline event
    }
    assert first["state"] == "met" and first["breaches"] == []


@pytest.mark.parametrize("persona", ["bob", "erin"])
def test_managers_and_executives_read_any_cases_clocks(persona, request, alice, premium) -> None:  # type: ignore[no-untyped-def]
    with at(0 * H):
        case = case_raise(
            raised_by=alice, customer=premium, title="x", description="y", severity=Severity.S2
        )
    response = api_for(request.getfixturevalue(persona)).get(clocks_url(case))
    assert response.status_code == 200
    assert [c["kind"] for c in response.json()] == ["response", "resolution"]


def test_an_operator_of_another_team_is_refused_with_404(alice, charlie, premium) -> None:  # type: ignore[no-untyped-def]
    with at(0 * H):
        case = case_raise(
            raised_by=alice, customer=premium, title="x", description="y", severity=Severity.S2
        )
    assert api_for(alice).get(clocks_url(case)).status_code == 200
    refused = api_for(charlie).get(clocks_url(case))
    assert refused.status_code == 404
    assert refused.json() == api_for(charlie).get(f"/api/cases/{case.reference}/").json()


def test_no_role_is_refused_and_anonymous_must_authenticate(nora, alice, premium, client) -> None:  # type: ignore[no-untyped-def]
    with at(0 * H):
        case = case_raise(
            raised_by=alice, customer=premium, title="x", description="y", severity=Severity.S2
        )
    assert api_for(nora).get(clocks_url(case)).status_code == 403
    assert client.get(clocks_url(case)).status_code in (401, 403)


def test_an_unknown_case_is_404(bob) -> None:  # type: ignore[no-untyped-def]
    assert api_for(bob).get("/api/cases/ESC-999999/clocks/").status_code == 404


def test_a_case_without_clocks_answers_an_empty_list(alice, premium) -> None:  # type: ignore[no-untyped-def]
    case = case_raise(
        raised_by=alice, customer=premium, title="x", description="y", severity=Severity.S1
    )
    assert api_for(alice).get(clocks_url(case)).json() == []


def queries_for(client, case: Case) -> int:  # type: ignore[no-untyped-def]
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(clocks_url(case)).status_code == 200
    return len(ctx.captured_queries)


def test_queries_do_not_grow_with_the_ledger(alice, bob, premium) -> None:  # type: ignore[no-untyped-def]
    few = story(alice, bob, premium, pauses=1)
    many = story(alice, bob, premium, pauses=25)
    assert ClockLedgerEntry.objects.filter(case=many).count() >= 50
    client = api_for(bob)
    with at(7 * H):
        client.get(clocks_url(few))  # the calendar cache, warmed
        assert queries_for(client, few) == queries_for(client, many)


def test_the_endpoint_is_in_the_schema(bob) -> None:  # type: ignore[no-untyped-def]
    schema = api_for(bob).get("/api/schema/", HTTP_ACCEPT="application/json").json()
    operation = schema["paths"]["/api/cases/{reference}/clocks/"]["get"]
    assert operation["operationId"] == "cases_clocks"
    assert set(operation["responses"]) >= {"200", "401", "403", "404"}
