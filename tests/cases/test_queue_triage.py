"""Triage by SLA state: the "Most urgent" order, the per-clock filters and the count of matching
cases, on the queue page and in the API alike."""

from __future__ import annotations

import base64
import json
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from cases import selectors_queue
from cases.models import Case, Severity, Status
from cases.selectors_queue import case_queue, urgency_explained
from sla.models import CaseClock, ClockKind
from sla.services import cases_sla_marks_refresh
from tests.conftest import client_for
from tests.factories import CaseFactory
from tests.sla.factories import clock_stored as clock

pytestmark = pytest.mark.django_db

HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
QUEUE = reverse("cases:queue")


def api_for(user) -> APIClient:  # type: ignore[no-untyped-def]
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


def due_case(due_in: timedelta | None, **kw: object) -> Case:
    """An open case whose resolution clock runs, due in ``due_in`` (None: no clock)."""
    case = CaseFactory(status=kw.pop("status", Status.IN_PROGRESS), **kw)
    if due_in is not None:
        clock(case, kind=ClockKind.RESOLUTION, due_in=due_in, warn_in=due_in - HOUR / 4)
    return case


def references(viewer, **filters: object) -> list[str]:  # type: ignore[no-untyped-def]
    page = case_queue(viewer=viewer, filters={"status": "open", **filters}, page_size=100)
    assert not page.errors
    return [case.reference for case in page.rows]


# --- "Most urgent" ---------------------------------------------------------------------------


@pytest.fixture
def triage() -> dict[str, Case]:
    """The issue's example: breaches years old, an S1 due in minutes, cases with no clock."""
    return {
        "s1_due_in_minutes": due_case(10 * timedelta(minutes=1), severity=Severity.S1),
        "due_in_a_day": due_case(DAY, severity=Severity.S3),
        "breached_an_hour_ago": due_case(-HOUR, severity=Severity.S2),
        "breached_697_days_ago": due_case(-697 * DAY, severity=Severity.S3),
        "no_clock_older": due_case(None),
        "no_clock_newer": due_case(None),
    }


def test_most_urgent_puts_running_deadlines_first_then_the_longest_breached_then_no_clock(
    bob, triage
) -> None:
    assert references(bob) == [
        triage[name].reference
        for name in (
            "s1_due_in_minutes",
            "due_in_a_day",
            "breached_697_days_ago",
            "breached_an_hour_ago",
            "no_clock_older",
            "no_clock_newer",
        )
    ]


def test_most_urgent_weighs_severity_by_its_allowance(bob) -> None:
    # S4 counts four hours later, S2 one: the S1 due in 3 h comes before the S4 due in 1 h,
    # the S2 due in 30 min before the S1.
    s4_in_1h = due_case(HOUR, severity=Severity.S4)
    s1_in_3h = due_case(3 * HOUR, severity=Severity.S1)
    s2_in_30min = due_case(HOUR / 2, severity=Severity.S2)
    # Breached: an S1 an hour ago before an S4 three hours ago (3 h - 4 h = 1 h "ahead").
    s4_breached_3h = due_case(-3 * HOUR, severity=Severity.S4)
    s1_breached_1h = due_case(-HOUR, severity=Severity.S1)
    assert references(bob) == [
        c.reference for c in (s2_in_30min, s1_in_3h, s4_in_1h, s1_breached_1h, s4_breached_3h)
    ]


def test_a_breach_on_record_keeps_its_case_among_the_breached_after_the_deadline_moves(
    bob,
) -> None:
    ahead = due_case(2 * HOUR, severity=Severity.S1)
    retargeted = CaseFactory(status=Status.IN_PROGRESS, severity=Severity.S1)
    # Breached an hour ago, then given a new target five hours ahead; and one breached, paused.
    clock(retargeted, kind=ClockKind.RESOLUTION, due_in=5 * HOUR, warn_in=4 * HOUR)
    CaseClock.objects.filter(case=retargeted).update(breached_at=timezone.now() - HOUR)
    cases_sla_marks_refresh(case_ids=[retargeted.pk])
    paused = CaseFactory(status=Status.WAITING, severity=Severity.S1)
    clock(paused, kind=ClockKind.RESOLUTION, due_in=-2 * HOUR, warn_in=-3 * HOUR, paused=True,
          breached=True)  # fmt: skip
    assert references(bob) == [ahead.reference, paused.reference, retargeted.reference]
    assert set(references(bob, sla="breached")) == {paused.reference, retargeted.reference}


def test_nearest_breach_keeps_its_old_meaning(bob, triage) -> None:
    listed = references(bob, sort="due")
    assert listed[:2] == [
        triage["breached_697_days_ago"].reference,
        triage["breached_an_hour_ago"].reference,
    ]


@pytest.mark.parametrize("page_size", [1, 2, 4])
def test_paging_through_most_urgent_lists_every_case_once_both_ways(bob, triage, page_size) -> None:
    expected = references(bob)
    seen: list[str] = []
    pages = []
    cursor = ""
    while True:
        page = case_queue(
            viewer=bob, filters={"status": "open", "cursor": cursor}, page_size=page_size
        )
        assert not page.errors
        pages.append([c.reference for c in page.rows])
        seen += pages[-1]
        if not page.has_next:
            break
        cursor = page.next_cursor or ""
    assert seen == expected
    # And back from the last page, page by page.
    back: list[list[str]] = [pages[-1]]
    while page.has_previous:
        page = case_queue(
            viewer=bob,
            filters={"status": "open", "cursor": page.previous_cursor},
            page_size=page_size,
        )
        back.insert(0, [c.reference for c in page.rows])
    assert back == pages


def test_a_cursor_of_another_segment_than_ours_is_refused(bob, triage) -> None:
    page = case_queue(viewer=bob, filters={"status": "open"}, page_size=1)
    assert page.next_cursor
    raw = json.loads(base64.urlsafe_b64decode(page.next_cursor + "=" * 4))
    raw["g"] = 7
    forged = base64.urlsafe_b64encode(json.dumps(raw).encode()).decode().rstrip("=")
    assert "cursor" in case_queue(viewer=bob, filters={"cursor": forged}).errors


def test_the_queue_page_says_how_it_orders_by_default(bob, triage) -> None:
    text = client_for(bob).get(QUEUE).content.decode()
    explained = urgency_explained()
    assert explained.startswith("Most urgent first:") and explained in text
    assert explained not in client_for(bob).get(QUEUE, {"sort": "newest"}).content.decode()


def test_the_api_default_order_is_still_nearest_breach_and_most_urgent_can_be_asked(
    bob, triage
) -> None:
    api = api_for(bob)
    default = [r["reference"] for r in api.get("/api/cases/", {"status": "open"}).json()["results"]]
    assert default == references(bob, sort="due")
    urgent = api.get("/api/cases/", {"status": "open", "sort": "urgency", "page_size": 2}).json()
    assert [r["reference"] for r in urgent["results"]] == references(bob)[:2]
    after = api.get(urgent["next"]).json()
    assert [r["reference"] for r in after["results"]] == references(bob)[2:4]


# --- Per-clock filters -----------------------------------------------------------------------


@pytest.fixture
def clocks() -> dict[str, Case]:
    def case() -> Case:
        return CaseFactory(status=Status.IN_PROGRESS)

    missed_response, met_response, late_resolution, at_risk_update, paused = (
        case(),
        case(),
        case(),
        case(),
        case(),
    )
    R, S, U = ClockKind.RESPONSE, ClockKind.RESOLUTION, ClockKind.UPDATE
    clock(missed_response, kind=R, due_in=-HOUR, warn_in=-2 * HOUR, stopped=True, met=False,
          breached=True)  # fmt: skip
    clock(missed_response, kind=S, due_in=5 * HOUR, warn_in=4 * HOUR)
    clock(met_response, kind=R, due_in=HOUR, warn_in=HOUR / 2, stopped=True, met=True)
    clock(met_response, kind=S, due_in=5 * HOUR, warn_in=-HOUR)
    clock(late_resolution, kind=S, due_in=-HOUR, warn_in=-2 * HOUR)
    clock(at_risk_update, kind=U, due_in=HOUR, warn_in=-HOUR)
    clock(paused, kind=S, due_in=HOUR, warn_in=HOUR / 2, paused=True)
    return {
        "missed_response": missed_response,
        "met_response": met_response,
        "late_resolution": late_resolution,
        "at_risk_update": at_risk_update,
        "paused": paused,
    }


def as_set(cases: list[Case]) -> set[str]:
    return {c.reference for c in cases}


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"sla_response": "breached"}, {"missed_response"}),
        ({"sla_response": "met"}, {"met_response"}),
        ({"sla_response": "none"}, {"late_resolution", "at_risk_update", "paused"}),
        ({"sla_resolution": "breached"}, {"late_resolution"}),
        ({"sla_resolution": "at_risk"}, {"met_response"}),
        ({"sla_resolution": ["on_track", "paused"]}, {"missed_response", "paused"}),
        ({"sla_update": "at_risk"}, {"at_risk_update"}),
        ({"sla_resolution": "on_track", "sla_response": "breached"}, {"missed_response"}),
    ],
)
def test_each_clock_filters_by_its_own_state(bob, clocks, filters, expected) -> None:
    wanted = as_set([clocks[name] for name in expected])
    assert set(references(bob, **filters)) == wanted
    # The API takes the same parameters.
    answer = api_for(bob).get("/api/cases/", {"status": "open", **filters})
    assert answer.status_code == 200
    assert {r["reference"] for r in answer.json()["results"]} == wanted
    assert answer.json()["count"] == len(wanted)


def test_a_clock_state_that_does_not_exist_is_reported_on_the_page_and_refused_by_the_api(
    bob, clocks
) -> None:
    page = case_queue(viewer=bob, filters={"sla_update": "late"})
    assert "sla_update" in page.errors
    answer = api_for(bob).get("/api/cases/", {"sla_update": "late"})
    assert answer.status_code == 400


def test_the_queue_page_offers_the_clock_filters(bob, clocks) -> None:
    text = client_for(bob).get(QUEUE, {"sla_response": "breached"}).content.decode()
    for label in ("First response clock", "Resolution clock", "Customer update clock"):
        assert label in text
    assert clocks["missed_response"].reference in text
    assert clocks["late_resolution"].reference not in text


# --- The count -------------------------------------------------------------------------------


def test_the_queue_says_how_many_cases_match(bob, triage) -> None:
    assert "<strong>6 cases</strong>" in client_for(bob).get(QUEUE).content.decode()
    one = client_for(bob).get(QUEUE, {"q": triage["due_in_a_day"].reference})
    assert "<strong>1 case</strong>" in one.content.decode()


def test_past_the_bound_the_count_says_so_instead_of_counting_on(bob, triage, monkeypatch) -> None:
    monkeypatch.setattr(selectors_queue, "COUNT_BOUND", 4)
    monkeypatch.setattr(selectors_queue.case_count_bounded, "__kwdefaults__", {"bound": 4})
    assert "<strong>4+ cases</strong>" in client_for(bob).get(QUEUE).content.decode()
    body = api_for(bob).get("/api/cases/", {"status": "open"}).json()
    assert (body["count"], body["count_exact"]) == (4, False)


def test_the_api_list_counts_what_its_filters_match(bob, triage) -> None:
    body = api_for(bob).get("/api/cases/", {"status": "open", "page_size": 2}).json()
    assert (body["count"], body["count_exact"]) == (6, True)
    assert len(body["results"]) == 2
    assert {"next", "previous", "results"} <= body.keys()


def test_an_operator_of_another_team_counts_only_the_cases_they_may_see(
    charlie, other_team, triage
) -> None:
    theirs = due_case(HOUR, team=other_team)
    body = api_for(charlie).get("/api/cases/", {"status": "open"}).json()
    assert [r["reference"] for r in body["results"]] == [theirs.reference]
    assert (body["count"], body["count_exact"]) == (1, True)


@pytest.mark.parametrize("filters", [{"sla": "breached"}, {"sla_response": "breached"}])
def test_a_queue_of_breached_cases_reads_the_breached_segment_only(bob, triage, filters) -> None:
    with CaptureQueriesContext(connection) as queries:
        listed = references(bob, **filters)
    row_reads = [
        q for q in queries if q["sql"].startswith('SELECT "cases_case"."id", "cases_case"."title"')
    ]
    assert len(row_reads) == 1
    if "sla" in filters:
        assert listed == [triage["breached_697_days_ago"].reference,
                          triage["breached_an_hour_ago"].reference]  # fmt: skip
