"""Weeks out of range are a 404, never a server error: before the year before the first
case's, after next year, or at the ends of the calendar (0001-W01, 9999-W52), for the page, its
lists and its exports alike."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from reports.weeks import IsoWeek
from tests.conftest import client_for
from tests.reports.factories import ReportCaseFactory

pytestmark = pytest.mark.django_db

PAGES = ("", "cases/?metric=raised", "csv/by_team/", "pdf/")


@pytest.mark.parametrize("week", ["0001-W01", "9999-W52", "1999-W10"])
@pytest.mark.parametrize("page", PAGES)
def test_a_week_outside_the_years_of_the_cases_is_not_found(erin, week, page) -> None:
    ReportCaseFactory(raised_at=timezone.now() - timedelta(days=30))
    answer = client_for(erin).get(f"/reports/weekly/{week}/{page}")
    assert answer.status_code == 404


def test_next_years_weeks_are_not_found_until_they_start(erin) -> None:
    next_year = IsoWeek.containing(timezone.now()).year + 1
    assert client_for(erin).get(f"/reports/weekly/{next_year}-W01/").status_code == 404


def test_a_week_of_the_first_cases_year_still_opens(erin) -> None:
    first = IsoWeek.containing(timezone.now() - timedelta(days=400))
    ReportCaseFactory(raised_at=timezone.now() - timedelta(days=400))
    assert client_for(erin).get(f"/reports/weekly/{first.year}-W02/").status_code == 200
