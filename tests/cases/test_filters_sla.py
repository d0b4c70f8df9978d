"""The queue's SLA-state filter (page and API): the dashboard's states, by its expression."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from cases.models import Case, Status
from cases.selectors_queue import case_queue
from reviews.selectors import dashboard_for
from sla.models import ClockKind
from tests.conftest import client_for
from tests.factories import CaseFactory
from tests.sla.factories import clock_stored as clock

pytestmark = pytest.mark.django_db

HOUR = timedelta(hours=1)


@pytest.fixture
def states() -> dict[str, list[Case]]:
    """Open cases in every state, two ways of being breached among them."""

    def case() -> Case:
        return CaseFactory(status=Status.IN_PROGRESS)

    overdue, paused_late, missed_before = case(), case(), case()
    clock(overdue, due_in=-HOUR, warn_in=-2 * HOUR)
    clock(paused_late, due_in=-HOUR, warn_in=-2 * HOUR, paused=True, breached=True)
    # A first response missed (stopped, on record) while the resolution clock is on track.
    clock(missed_before, kind=ClockKind.RESPONSE, due_in=-HOUR, warn_in=-2 * HOUR, stopped=True,
          breached=True)  # fmt: skip
    clock(missed_before, due_in=5 * HOUR, warn_in=4 * HOUR)
    at_risk, on_track, paused, none = case(), case(), case(), case()
    clock(at_risk, due_in=HOUR / 2, warn_in=-HOUR / 4)
    clock(on_track, due_in=5 * HOUR, warn_in=4 * HOUR)
    clock(paused, due_in=-HOUR, warn_in=-HOUR, paused=True)
    return {
        "breached": [overdue, paused_late, missed_before],
        "at_risk": [at_risk],
        "on_track": [on_track],
        "paused": [paused],
        "none": [none],
    }


def listed(viewer, **filters: object) -> set[int]:  # type: ignore[no-untyped-def]
    page = case_queue(viewer=viewer, filters={"status": "open", **filters}, page_size=100)
    assert not page.errors
    return {case.pk for case in page.rows}


def test_each_sla_state_lists_the_cases_the_dashboard_counts_in_it(bob, states) -> None:  # type: ignore[no-untyped-def]
    board = dashboard_for(manager=bob)
    [load] = board.teams
    for state, cases in states.items():
        assert listed(bob, sla=[state]) == {c.pk for c in cases}, state
        assert load.counts.get(state, 0) == len(cases), state


def test_several_states_at_once(bob, states) -> None:  # type: ignore[no-untyped-def]
    wanted = {c.pk for c in states["breached"] + states["at_risk"]}
    assert listed(bob, sla=["breached", "at_risk"]) == wanted


def test_the_queue_page_filters_by_sla_state_from_the_url(bob, states) -> None:  # type: ignore[no-untyped-def]
    response = client_for(bob).get(reverse("cases:queue"), {"sla": "paused"})
    assert [c.pk for c in response.context["page"].rows] == [states["paused"][0].pk]


def test_the_api_filters_by_sla_state_too(bob, states) -> None:  # type: ignore[no-untyped-def]
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=bob).key}")
    answer = api.get("/api/cases/", {"sla": ["at_risk", "on_track"]})
    assert answer.status_code == 200
    wanted = {c.reference for c in states["at_risk"] + states["on_track"]}
    assert {row["reference"] for row in answer.json()["results"]} == wanted


def test_an_unknown_sla_state_is_reported_not_applied(bob, states) -> None:  # type: ignore[no-untyped-def]
    page = case_queue(viewer=bob, filters={"sla": "late"})
    assert "sla" in page.errors


def test_the_queue_form_shows_and_keeps_the_sla_filter(bob, states) -> None:  # type: ignore[no-untyped-def]
    response = client_for(bob).get(reverse("cases:queue"), {"sla": ["paused", "breached"]})
    html = response.content.decode()
    assert 'name="sla"' in html  # "Apply filters" sends it again
    assert html.count("selected") >= 2 and "SLA state" in html
