"""The weekly report counts the major incidents declared in the week and the customers they
affected; a week frozen before stays as it was frozen."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from incidents.services import incident_declare, incident_link_many
from reports.payload import report_compute
from reports.selectors import ReportFilters
from reports.weeks import IsoWeek
from tests.conftest import client_for
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def this_week() -> IsoWeek:
    year, week, _ = timezone.localdate().isocalendar()
    return IsoWeek(year, week)


def test_the_week_counts_incidents_and_their_customers(raise_case, bob, erin) -> None:
    shared = CustomerFactory(name="Shared")
    incident = incident_declare(case=raise_case("Fault", customer=shared), by=bob)
    children = [raise_case("A", customer=shared), raise_case("B"), raise_case("C")]
    incident_link_many(incident=incident, references=[c.reference for c in children], by=bob)
    payload = report_compute(week=this_week(), filters=ReportFilters(), now=timezone.now())
    assert payload["major_incidents"] == {"declared": 1, "affected_customers": 3}
    page = client_for(erin).get(reverse("reports:weekly", kwargs={"week": this_week()}))
    body = page.content.decode()
    assert 'data-figure="major_incidents">1<' in body
    assert 'data-figure="major_incident_customers">3<' in body


def test_a_week_without_incidents_counts_none(db) -> None:  # type: ignore[no-untyped-def]
    payload = report_compute(week=this_week(), filters=ReportFilters(), now=timezone.now())
    assert payload["major_incidents"] == {"declared": 0, "affected_customers": 0}
