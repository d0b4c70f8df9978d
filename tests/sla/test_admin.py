"""Configuring the SLA in the Django admin: calendars validated, and clocks re-aligned after a
change to a policy or a calendar."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.test import Client, TestCase

from cases.models import Tier
from cases.services import case_raise
from escalation.celery import app
from sla.models import BusinessCalendar, CaseClock, SlaPolicy
from tests.factories import UserFactory
from tests.sla.factories import SlaPolicyFactory

pytestmark = pytest.mark.django_db

NOON = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


@pytest.fixture
def admin_client(db: None) -> Client:
    client = Client()
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    return client


@pytest.fixture
def eager_tasks():  # type: ignore[no-untyped-def]
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = False


def calendar_form(**extra: str) -> dict[str, str]:
    data = {
        "name": "Office",
        "time_zone": "Europe/Amsterdam",
        "hours-TOTAL_FORMS": "0",
        "hours-INITIAL_FORMS": "0",
        "holidays-TOTAL_FORMS": "0",
        "holidays-INITIAL_FORMS": "0",
    }
    data.update(extra)
    return data


def test_a_calendar_with_working_hours_is_saved(admin_client) -> None:
    response = admin_client.post(
        "/admin/sla/businesscalendar/add/",
        calendar_form(
            **{
                "hours-TOTAL_FORMS": "1",
                "hours-0-weekday": "0",
                "hours-0-start": "09:00",
                "hours-0-end": "17:00",
            }
        ),
    )
    assert response.status_code == 302
    assert BusinessCalendar.objects.get(name="Office").hours.count() == 1


def test_a_calendar_that_is_not_24x7_needs_working_hours(admin_client) -> None:
    response = admin_client.post("/admin/sla/businesscalendar/add/", calendar_form())
    assert response.status_code == 200
    assert "needs working hours" in response.content.decode()
    assert not BusinessCalendar.objects.exists()


def test_overlapping_working_hours_are_refused_with_the_reason(admin_client) -> None:
    response = admin_client.post(
        "/admin/sla/businesscalendar/add/",
        calendar_form(
            **{
                "hours-TOTAL_FORMS": "2",
                "hours-0-weekday": "0",
                "hours-0-start": "09:00",
                "hours-0-end": "13:00",
                "hours-1-weekday": "0",
                "hours-1-start": "12:00",
                "hours-1-end": "17:00",
            }
        ),
    )
    assert response.status_code == 200
    assert "must not overlap" in response.content.decode()


def test_an_unknown_time_zone_is_refused(admin_client) -> None:
    response = admin_client.post(
        "/admin/sla/businesscalendar/add/",
        calendar_form(time_zone="Mars/Olympus", always_open="on"),
    )
    assert response.status_code == 200
    assert "is not a known time zone" in response.content.decode()


def test_changing_a_policy_realigns_the_clocks_of_its_open_cases(
    admin_client, alice, customer, eager_tasks
) -> None:
    policy = SlaPolicyFactory()
    with time_machine.travel(NOON, tick=False):
        case = case_raise(
            raised_by=alice, customer=customer, title="T", description="D", severity="S3"
        )
    data = {
        "tier": policy.tier,
        "severity": policy.severity,
        "calendar": str(policy.calendar_id),
        "response_minutes": "30",
        "resolution_minutes": "480",
        "update_minutes": "120",
        "warn_percent": "75",
        "reescalate_minutes": "60",
    }
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = admin_client.post(f"/admin/sla/slapolicy/{policy.pk}/change/", data)
    assert response.status_code == 302
    assert SlaPolicy.objects.get().response_minutes == 30
    clock = CaseClock.objects.get(case=case, kind="response")
    assert clock.due_at == NOON + timedelta(minutes=30)


def test_changing_a_customers_tier_realigns_the_clocks_of_its_open_cases(
    admin_client, alice, customer, eager_tasks
) -> None:
    SlaPolicyFactory()  # standard S3: respond within 60 min
    SlaPolicyFactory(tier=Tier.PREMIUM, response_minutes=15)
    with time_machine.travel(NOON, tick=False):
        case = case_raise(
            raised_by=alice, customer=customer, title="T", description="D", severity="S3"
        )
    assert CaseClock.objects.get(case=case, kind="response").due_at == NOON + timedelta(hours=1)
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = admin_client.post(
            f"/admin/cases/customer/{customer.pk}/change/",
            {
                "name": customer.name,
                "tier": Tier.PREMIUM,
                "is_active": "on",
                "contacts-TOTAL_FORMS": "0",
                "contacts-INITIAL_FORMS": "0",
            },
        )
    assert response.status_code == 302
    clock = CaseClock.objects.get(case=case, kind="response")
    assert clock.due_at == NOON + timedelta(minutes=15)


def test_changing_a_calendar_gives_it_a_new_revision_and_realigns_clocks(
    admin_client, alice, customer, eager_tasks
) -> None:
    policy = SlaPolicyFactory()
    calendar = policy.calendar
    before = calendar.revision
    with time_machine.travel(NOON, tick=False):
        case = case_raise(
            raised_by=alice, customer=customer, title="T", description="D", severity="S3"
        )
    data = calendar_form(
        name=calendar.name,
        time_zone="UTC",
        **{
            "hours-TOTAL_FORMS": "1",
            "hours-0-weekday": "0",  # Mondays 12:00-13:00 only
            "hours-0-start": "12:00",
            "hours-0-end": "13:00",
        },
    )
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = admin_client.post(f"/admin/sla/businesscalendar/{calendar.pk}/change/", data)
    assert response.status_code == 302
    calendar.refresh_from_db()
    assert calendar.revision != before and not calendar.always_open
    # One business hour on Mondays: the 1 h response target ends at 13:00 that Monday.
    assert CaseClock.objects.get(case=case, kind="response").due_at == NOON + timedelta(hours=1)
    resolution = CaseClock.objects.get(case=case, kind="resolution")
    assert resolution.due_at == datetime(2026, 4, 20, 13, 0, tzinfo=UTC)  # 8 Mondays later


def test_the_engine_records_are_read_only_in_the_admin(admin_client) -> None:
    assert admin_client.get("/admin/sla/escalationrecord/").status_code == 200
    assert admin_client.get("/admin/sla/escalationrecord/add/").status_code == 403
    assert admin_client.get("/admin/sla/caseclock/").status_code == 200
    assert admin_client.get("/admin/sla/notification/").status_code == 200
    assert admin_client.get("/admin/sla/onduty/add/").status_code == 200
