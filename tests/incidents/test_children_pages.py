"""The parent's panel lists its affected cases a page at a time (HTMX "more"), with the counts
over all of them; resolving with the children still reaches those not loaded yet."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cases.models import Case, Status
from incidents import selectors
from incidents.models import MajorIncident
from tests.cases.factories import case_in
from tests.conftest import client_for

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def children(incident: MajorIncident, service_desk, monkeypatch) -> list[Case]:  # type: ignore[no-untyped-def]
    """Five open children of the service desk, two a page."""
    monkeypatch.setattr(selectors, "CHILDREN_PAGE", 2)
    made = [case_in(Status.IN_PROGRESS, parent=incident.case, team=service_desk) for _ in range(5)]
    return sorted(made, key=lambda c: (c.customer.name, c.pk))


def url(case: Case, page: int | None = None) -> str:
    base = reverse("incidents:panel", args=[case.reference])
    return f"{base}?page={page}" if page else base


def rows(body: str, children: list[Case]) -> list[Case]:
    return [c for c in children if f'id="child-{c.pk}"' in body]


def test_the_panel_shows_the_first_page_and_counts_every_child(
    incident: MajorIncident, children: list[Case], bob
) -> None:
    body = client_for(bob).get(url(incident.case), **HTMX).content.decode()
    assert rows(body, children) == children[:2]
    assert "5 cases, 5 customers" in body
    assert f"{url(incident.case, 2)}" in body and 'id="resolve-rest"' in body


def test_more_fetches_the_next_rows_until_the_last(
    incident: MajorIncident, children: list[Case], bob
) -> None:
    client = client_for(bob)
    second = client.get(url(incident.case, 2), **HTMX).content.decode()
    assert rows(second, children) == children[2:4] and url(incident.case, 3) in second
    assert 'name="resolve-children"' in second
    last = client.get(url(incident.case, 3), **HTMX).content.decode()
    assert rows(last, children) == children[4:] and "More affected cases" not in last


def test_a_page_costs_the_same_queries_whatever_the_children(
    incident: MajorIncident, children: list[Case], service_desk, bob
) -> None:
    client = client_for(bob)
    with CaptureQueriesContext(connection) as few:
        client.get(url(incident.case, 2), **HTMX)
    for _ in range(10):
        case_in(Status.NEW, parent=incident.case, team=service_desk)
    with CaptureQueriesContext(connection) as many:
        client.get(url(incident.case, 2), **HTMX)
    assert len(many) == len(few)


def test_without_js_a_page_of_its_own_without_the_resolve_boxes(
    incident: MajorIncident, children: list[Case], bob
) -> None:
    body = client_for(bob).get(url(incident.case, 2)).content.decode()
    assert rows(body, children) == children[2:4] and 'name="resolve-children"' not in body


def test_operators_see_the_rows_without_the_managers_controls(
    incident: MajorIncident, children: list[Case], alice
) -> None:
    body = client_for(alice).get(url(incident.case, 2), **HTMX).content.decode()
    assert rows(body, children) == children[2:4]
    assert "resolve-children" not in body and "Unlink" not in body


def test_a_case_that_is_not_a_parent_has_no_pages(raise_case, bob) -> None:
    case = raise_case("Single")
    assert client_for(bob).get(url(case, 2), **HTMX).status_code == 404


def test_another_teams_operator_is_refused(incident: MajorIncident, children, charlie) -> None:  # type: ignore[no-untyped-def]
    assert client_for(charlie).get(url(incident.case, 2), **HTMX).status_code == 404


def test_resolving_reaches_the_open_children_not_loaded_but_not_an_unticked_one(
    incident: MajorIncident, children: list[Case], bob, root_cause
) -> None:
    listed = children[:2]
    response = client_for(bob).post(
        reverse("incidents:action", args=[incident.case.reference, "resolve"]),
        {
            "resolve-summary": "Gateway restarted",
            "resolve-root_cause": root_cause.pk,
            "resolve-children": [listed[0].pk],
            "resolve-listed": [c.pk for c in listed],
            "resolve-rest": "on",
        },
    )
    assert response.status_code == 302
    status = dict(Case.objects.filter(parent=incident.case).values_list("pk", "status"))
    assert status[listed[1].pk] == Status.IN_PROGRESS
    assert all(status[c.pk] == Status.RESOLVED for c in [listed[0], *children[2:]])
