"""The period and people pages make the same few queries however many cases, groups and people
they show (tests/test_page_queries.py holds every page to its mark)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cases.models import Case
from tests.conftest import client_for
from tests.factories import TeamFactory, UserFactory
from tests.reports.conftest import NOW, Fortnight

pytestmark = pytest.mark.django_db
PAGES = (
    "/reports/2026-02/",
    "/reports/2026-Q1/",
    "/reports/2026-03-02..2026-03-08/",
    reverse("reports:people") + "?period=2026-Q1",
    reverse("reports:period_cases", kwargs={"period": "2026-Q1"}) + "?metric=raised",
)


@pytest.fixture(autouse=True)
def _now(time_machine) -> None:  # type: ignore[no-untyped-def]
    time_machine.move_to(NOW, tick=False)


def queries(client, url: str) -> int:  # type: ignore[no-untyped-def]
    client.get(reverse("healthz"))  # the session's first load is not the page's
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200, url
    return len(captured)


def test_the_period_pages_take_the_same_queries_for_more_teams_and_people(
    fortnight: Fortnight, bob
) -> None:  # type: ignore[no-untyped-def]
    client = client_for(bob)
    Case.objects.filter(pk=fortnight.cases["c1"].pk).update(owner=bob)
    few = {url: queries(client, url) for url in PAGES}
    cases = list(Case.objects.order_by("pk"))
    for n, case in enumerate(cases):
        team, owner = TeamFactory(name=f"Team {n}"), UserFactory(username=f"owner{n}")
        Case.objects.filter(pk=case.pk).update(team=team, owner=owner)
    many = {url: queries(client, url) for url in PAGES}
    assert many == few
