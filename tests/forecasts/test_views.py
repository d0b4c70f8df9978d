"""Where the forecasts show: the clocks API, the case page, the queue's column and its "likely
to breach" filter; and what an operator of another team is refused."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from cases.models import Case, Severity, Status
from forecasts.models import ClockRisk
from sla.models import CaseClock
from tests.conftest import client_for
from tests.factories import CaseFactory
from tests.sla.factories import clock_stored

pytestmark = pytest.mark.django_db

MINUTE = timedelta(minutes=1)
REASONS = ["S1 with 80% of the target used", "team load 14 open cases, above its usual 6"]


def risky_case(team, *, probability: float, severity: str = Severity.S1) -> Case:  # type: ignore[no-untyped-def]
    case = CaseFactory(severity=severity, status=Status.IN_PROGRESS, team=team)
    clock = clock_stored(case, due_in=12 * MINUTE, warn_in=-3 * MINUTE)
    stored_risk(clock, probability=probability)
    return case


def stored_risk(clock: CaseClock, *, probability: float) -> ClockRisk:
    return ClockRisk.objects.create(
        clock=clock,
        case_id=clock.case_id,
        kind=clock.kind,
        probability=probability,
        reasons=REASONS,
        model_version=1,
        scored_at=timezone.now(),
    )


def api_for(user) -> APIClient:  # type: ignore[no-untyped-def]
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_the_clocks_api_gives_each_running_clock_its_probability_and_reasons(
    alice, service_desk
) -> None:  # type: ignore[no-untyped-def]
    case = risky_case(service_desk, probability=0.83)
    clock_stored(case, kind="response", due_in=-MINUTE, warn_in=-MINUTE, stopped=True, met=True)

    response = api_for(alice).get(f"/api/cases/{case.reference}/clocks/")

    assert response.status_code == 200
    clocks = {clock["kind"]: clock for clock in response.json()}
    assert clocks["resolution"]["breach_probability"] == pytest.approx(0.83)
    assert clocks["resolution"]["reasons"] == REASONS
    assert clocks["response"]["breach_probability"] is None
    assert clocks["response"]["reasons"] == []


def test_a_clock_without_a_forecast_has_a_null_probability(alice, service_desk) -> None:  # type: ignore[no-untyped-def]
    case = CaseFactory(status=Status.IN_PROGRESS, team=service_desk)
    clock_stored(case, due_in=30 * MINUTE, warn_in=10 * MINUTE)

    [clock] = api_for(alice).get(f"/api/cases/{case.reference}/clocks/").json()

    assert clock["breach_probability"] is None and clock["reasons"] == []


def test_an_operator_of_another_team_cannot_read_a_cases_forecast(charlie, service_desk) -> None:  # type: ignore[no-untyped-def]
    case = risky_case(service_desk, probability=0.83)

    api = api_for(charlie).get(f"/api/cases/{case.reference}/clocks/")
    page = client_for(charlie).get(f"/cases/{case.reference}/")
    queue = client_for(charlie).get("/cases/", {"likely": "1"})  # the managers' queue

    assert api.status_code == 404 and "0.83" not in api.content.decode()
    assert page.status_code == 404
    assert queue.status_code == 403 and case.reference not in queue.content.decode()


def test_the_case_page_shows_the_probability_and_its_reasons(alice, service_desk) -> None:  # type: ignore[no-untyped-def]
    case = risky_case(service_desk, probability=0.83)

    response = client_for(alice).get(f"/cases/{case.reference}/")

    html = response.content.decode()
    assert response.status_code == 200
    assert "Resolution: 83% likely to breach" in html
    assert "S1 with 80% of the target used; team load 14 open cases" in html


def test_the_queue_shows_a_forecast_column_and_filters_the_likely_ones(bob, service_desk) -> None:  # type: ignore[no-untyped-def]
    likely = risky_case(service_desk, probability=0.83)
    unlikely = risky_case(service_desk, probability=0.2, severity=Severity.S3)
    unscored = CaseFactory(status=Status.IN_PROGRESS, team=service_desk)

    everything = client_for(bob).get("/cases/").content.decode()
    filtered = client_for(bob).get("/cases/", {"likely": "1"}).content.decode()

    assert "Forecast" in everything and "83%" in everything and "20%" in everything
    assert all(c.reference in everything for c in (likely, unlikely, unscored))
    assert likely.reference in filtered
    assert unlikely.reference not in filtered and unscored.reference not in filtered
    assert 'name="likely" value="1" id="id_likely" checked' in filtered


def test_the_threshold_of_likely_is_a_setting(bob, service_desk, settings) -> None:  # type: ignore[no-untyped-def]
    settings.FORECAST_RISK_PERCENT = 15
    unlikely = risky_case(service_desk, probability=0.2, severity=Severity.S3)

    filtered = client_for(bob).get("/cases/", {"likely": "1"}).content.decode()

    assert unlikely.reference in filtered
