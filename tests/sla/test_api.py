"""GET /api/sla/policies/ and /api/sla/calendars/: readable by staff roles, refused otherwise."""

from __future__ import annotations

from datetime import date

import pytest
from rest_framework.test import APIClient

from sla.models import Holiday
from tests.sla.factories import SlaPolicyFactory, office_calendar

pytestmark = pytest.mark.django_db

POLICIES = "/api/sla/policies/"
CALENDARS = "/api/sla/calendars/"


def api_for(user) -> APIClient:  # type: ignore[no-untyped-def]
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_staff_read_the_policies(alice, bob, erin) -> None:
    SlaPolicyFactory(warn_percent=80, reescalate_minutes=30)
    for user in (alice, bob, erin):
        response = api_for(user).get(POLICIES)
        assert response.status_code == 200
    [policy] = response.json()
    assert policy["tier"] == "standard" and policy["severity"] == "S3"
    assert (policy["response_minutes"], policy["resolution_minutes"]) == (60, 480)
    assert (policy["warn_percent"], policy["reescalate_minutes"]) == (80, 30)
    assert policy["calendar"] == "24x7"


def test_staff_read_the_calendars_with_hours_and_holidays(alice, django_assert_max_num_queries):  # type: ignore[no-untyped-def]
    calendar = office_calendar()
    Holiday.objects.create(calendar=calendar, date=date(2026, 4, 27), name="King's Day")
    SlaPolicyFactory()  # and the 24x7 one
    with django_assert_max_num_queries(8):
        response = api_for(alice).get(CALENDARS)
    assert response.status_code == 200
    by_name = {c["name"]: c for c in response.json()}
    assert by_name["24x7"]["always_open"] is True and by_name["24x7"]["hours"] == []
    office = by_name["Office hours"]
    assert office["time_zone"] == "Europe/Amsterdam"
    assert office["hours"][0] == {"weekday": 0, "start": "09:00", "end": "17:00"}
    assert office["holidays"] == [{"date": "2026-04-27", "name": "King's Day"}]


def test_someone_without_a_role_is_refused(nora) -> None:
    assert api_for(nora).get(POLICIES).status_code == 403
    assert api_for(nora).get(CALENDARS).status_code == 403


def test_anonymous_callers_are_refused(db: None) -> None:
    assert APIClient().get(POLICIES).status_code in (401, 403)


def test_the_api_is_read_only(bob) -> None:
    assert api_for(bob).post(POLICIES, {"tier": "standard"}).status_code == 405


def test_calendar_hours_are_described_as_the_wall_clock_times_they_are(bob) -> None:
    """Not OpenAPI's ``format: time`` (which needs an offset): "HH:MM" in the calendar's zone."""
    schema = api_for(bob).get("/api/schema/", HTTP_ACCEPT="application/json").json()
    hours = schema["components"]["schemas"]["WorkingHours"]["properties"]
    for name in ("start", "end"):
        assert "format" not in hours[name]
        assert hours[name]["pattern"] == "^([01][0-9]|2[0-3]):[0-5][0-9]$"
