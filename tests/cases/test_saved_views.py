"""Saved views of the triage queue: a manager saves the filters and order under a name, for
themselves or their team; the navigation links to them; the API lists, saves and deletes them.

bob is a manager in the service desk, dave his team-mate manager, frank a manager in another
team; alice (operator) and erin (executive) must be refused.
"""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.http import QueryDict
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cases.models import Case, SavedView, Severity, Status, Team
from cases.services.saved_views import saved_view_save
from escalation.roles import Role
from tests.cases.test_api import api_for
from tests.cases.web import messages_of, page_text
from tests.conftest import client_for
from tests.factories import CaseFactory, UserFactory
from tests.sla.factories import breached

pytestmark = pytest.mark.django_db

QUEUE = reverse("cases:queue")
SAVED = reverse("cases:saved_views")
API = "/api/saved-views/"
BREACHED_S1_S2 = "sla=breached&severity=S1&severity=S2&sort=severity"
HOUR = timedelta(hours=1)


@pytest.fixture
def bob_in_team(bob, service_desk):  # type: ignore[no-untyped-def]
    service_desk.members.add(bob)
    return bob


@pytest.fixture
def dave(service_desk: Team):  # type: ignore[no-untyped-def]
    user = UserFactory(username="dave", first_name="Dave", role=Role.MANAGER)
    service_desk.members.add(user)
    return user


@pytest.fixture
def frank(other_team: Team):  # type: ignore[no-untyped-def]
    user = UserFactory(username="frank", first_name="Frank", role=Role.MANAGER)
    other_team.members.add(user)
    return user


@pytest.fixture
def queue_cases() -> dict[str, Case]:
    return {
        "s1": breached(CaseFactory(status=Status.IN_PROGRESS, severity=Severity.S1)),
        "s2": breached(CaseFactory(status=Status.NEW, severity=Severity.S2)),
        "s3": breached(CaseFactory(status=Status.IN_PROGRESS, severity=Severity.S3)),
        "s1_resolved": breached(CaseFactory(status=Status.RESOLVED, severity=Severity.S1)),
        "s1_on_time": CaseFactory(status=Status.IN_PROGRESS, severity=Severity.S1),
    }


def rows(response) -> list[str]:  # type: ignore[no-untyped-def]
    return [case.reference for case in response.context["page"].rows]


def nav_links(response) -> list:  # type: ignore[no-untyped-def]
    menu = response.context["saved_views_nav"]
    return menu.links if menu else []


def save(client, name: str, query: str, **extra: str):  # type: ignore[no-untyped-def]
    return client.post(SAVED, {"name": name, "query": query, **extra})


# --- Saving and opening a view --------------------------------------------------------------


def test_a_manager_saves_breached_s1_s2_and_the_navigation_opens_the_same_list(
    bob, queue_cases
) -> None:
    client = client_for(bob)
    filtered = client.get(f"{QUEUE}?{BREACHED_S1_S2}")
    assert sorted(rows(filtered)) == sorted(
        [queue_cases["s1"].reference, queue_cases["s2"].reference]
    )

    saved = save(client, "Breached S1/S2", BREACHED_S1_S2)
    assert saved.status_code == 302
    view = SavedView.objects.get(owner=bob)
    assert view.team is None
    assert view.query == ("status=open&severity=S1&severity=S2&sla=breached&sort=severity")

    # The save lands on the view, and every page's navigation links to it.
    landed = client.get(saved.url)
    assert rows(landed) == rows(filtered)
    assert "View “Breached S1/S2” saved." in messages_of(landed)
    elsewhere = client.get(SAVED)
    [link] = nav_links(elsewhere)
    assert (link.name, link.active) == ("Breached S1/S2", False)
    assert f'href="{link.url.replace("&", "&amp;")}"' in page_text(elsewhere)

    opened = client.get(link.url)
    assert rows(opened) == rows(filtered)
    assert opened.context["page"].sort == "severity"
    [active] = nav_links(opened)
    assert active.active
    text = page_text(opened)
    assert text.count('aria-current="page"') == 1
    assert re.search(r'aria-current="page">\s*Breached S1/S2', text)


def test_a_view_keeps_only_the_queue_s_filters_and_order_in_one_form(bob) -> None:
    client = client_for(bob)
    # Where one is in the list and how many rows a page holds are not part of the view; values
    # come once each, sorted; a ticked form with no status means every status.
    save(
        client,
        "All S2 then S1",
        "filtered=1&severity=S2&severity=S1&severity=S2&page_size=50&cursor=abc&q=+vpn+",
    )
    assert SavedView.objects.get().query == (
        "status=acknowledged&status=closed&status=in_progress&status=new&status=resolved"
        "&status=waiting&severity=S1&severity=S2&q=vpn&sort=due"
    )


def test_the_api_and_the_page_list_the_same_cases_for_a_saved_view(bob, queue_cases) -> None:
    view = saved_view_save(owner=bob, name="Breached", query="sla=breached", shared=False)
    page = rows(client_for(bob).get(view.get_absolute_url()))
    api = api_for(bob).get(f"/api/cases/?{view.query}").json()["results"]
    assert sorted(page) == sorted(case["reference"] for case in api)
    # No status in the API's terms is every status: the resolved case is in.
    assert queue_cases["s1_resolved"].reference in page


def test_the_queue_offers_managers_the_save_form_with_the_page_s_query(bob, erin) -> None:
    text = page_text(client_for(bob).get(f"{QUEUE}?{BREACHED_S1_S2}"))
    assert f'action="{SAVED}"' in text
    query = BREACHED_S1_S2.replace("&", "&amp;")
    assert f'name="query" value="{query}"' in text
    assert f'action="{SAVED}"' not in page_text(client_for(erin).get(QUEUE))


# --- Shared and personal views ----------------------------------------------------------------


def test_a_shared_view_is_seen_by_a_team_mate_and_not_by_another_team_s_manager(
    bob_in_team, dave, frank, service_desk
) -> None:
    save(client_for(bob_in_team), "Desk breaches", "sla=breached", shared="on")
    saved_view_save(owner=bob_in_team, name="Mine only", query="", shared=False)
    assert SavedView.objects.get(name="Desk breaches").team == service_desk

    assert [link.name for link in nav_links(client_for(dave).get(SAVED))] == ["Desk breaches"]
    assert [link.owner for link in nav_links(client_for(dave).get(SAVED))] == ["Bob"]
    assert nav_links(client_for(frank).get(SAVED)) == []
    assert [view["name"] for view in api_for(dave).get(API).json()] == ["Desk breaches"]
    assert api_for(frank).get(API).json() == []
    assert [view["name"] for view in api_for(bob_in_team).get(API).json()] == [
        "Desk breaches",
        "Mine only",
    ]


def test_a_view_cannot_be_shared_by_a_manager_in_no_team(bob) -> None:
    response = save(client_for(bob), "Desk breaches", "sla=breached", shared="on")
    assert response.status_code == 200
    assert "You are in no team to share this view with." in page_text(response)
    assert not SavedView.objects.exists()


# --- Refusals ---------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["alice", "erin"])
def test_operators_and_executives_are_refused_saved_views_on_pages_and_the_api(
    request, persona
) -> None:
    user = request.getfixturevalue(persona)
    client = client_for(user)
    assert client.get(SAVED).status_code == 403
    assert save(client, "Breached", "sla=breached").status_code == 403
    api = api_for(user)
    assert api.get(API).status_code == 403
    refused = api.post(API, {"name": "Breached", "query": "sla=breached"}, format="json")
    assert refused.status_code == 403
    assert refused.json() == {"detail": "Your role does not give access to this endpoint."}
    assert not SavedView.objects.exists()
    assert client.get(reverse("password_change")).context["saved_views_nav"] is None


def test_the_service_refuses_an_executive_too(erin) -> None:
    with pytest.raises(PermissionDenied):
        saved_view_save(owner=erin, name="Breached", query="sla=breached", shared=False)


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("severity=S9", "Severity: Select a valid choice. S9 is not one of the available choices."),
        ("sla=late", "SLA state: Select a valid choice. late is not one of the available choices."),
        ("sort=colour", "Sort: Select a valid choice. colour is not one of the available choices."),
        ("team=999999", "Team: Select a valid choice."),
        ("colour=red&severity=S1", "Not a filter of the queue: colour."),
    ],
)
def test_bad_filters_are_refused_with_a_clear_message_and_nothing_is_saved(
    bob, query, message
) -> None:
    page = save(client_for(bob), "Odd", query)
    assert page.status_code == 200
    assert message in page_text(page)
    assert "The view was not saved" in page_text(page)

    api = api_for(bob).post(API, {"name": "Odd", "query": query}, format="json")
    assert api.status_code == 400
    body = api.json()
    assert list(body["errors"]) == ["query"]
    assert message in body["errors"]["query"][0]
    assert not SavedView.objects.exists()


def test_a_name_already_used_is_refused_whatever_its_case(bob) -> None:
    saved_view_save(owner=bob, name="Breached", query="sla=breached", shared=False)
    page = save(client_for(bob), "breached", "severity=S1")
    assert "You already have a view named “breached”." in page_text(page)
    api = api_for(bob).post(API, {"name": "BREACHED", "query": ""}, format="json")
    assert api.status_code == 400
    assert api.json()["errors"] == {"name": ["You already have a view named “BREACHED”."]}
    assert SavedView.objects.count() == 1


def test_another_manager_may_use_the_same_name(bob, dave) -> None:
    saved_view_save(owner=bob, name="Breached", query="sla=breached", shared=False)
    saved_view_save(owner=dave, name="Breached", query="sla=breached", shared=False)
    assert SavedView.objects.count() == 2


def test_a_name_with_a_line_break_or_nothing_in_it_is_refused(bob) -> None:
    api = api_for(bob)
    assert api.post(API, {"name": "a\nb", "query": ""}, format="json").status_code == 400
    assert list(api.post(API, {"name": "   ", "query": ""}, format="json").json()["errors"]) == [
        "name"
    ]
    assert not SavedView.objects.exists()


# --- Deleting ---------------------------------------------------------------------------------


def test_the_owner_deletes_a_view_and_a_team_mate_may_not(bob_in_team, dave) -> None:
    view = saved_view_save(owner=bob_in_team, name="Desk", query="", shared=True)
    delete = reverse("cases:saved_view_delete", args=[view.pk])
    assert client_for(dave).post(delete).status_code == 403
    assert api_for(dave).delete(f"{API}{view.pk}/").status_code == 403
    assert SavedView.objects.filter(pk=view.pk).exists()

    response = client_for(bob_in_team).post(delete, follow=True)
    assert "View “Desk” deleted." in messages_of(response)
    assert not SavedView.objects.exists()
    assert api_for(bob_in_team).delete(f"{API}{view.pk}/").status_code == 404


def test_the_api_deletes_the_owner_s_view_and_hides_others(bob, frank) -> None:
    view = saved_view_save(owner=bob, name="Mine", query="", shared=False)
    assert api_for(frank).delete(f"{API}{view.pk}/").status_code == 404
    assert api_for(bob).delete(f"{API}not-an-id/").status_code == 404
    assert api_for(bob).delete(f"{API}{view.pk}/").status_code == 204
    assert not SavedView.objects.exists()


# --- The API ----------------------------------------------------------------------------------


def test_the_api_saves_a_view_and_lists_it_with_its_page_link(bob) -> None:
    api = api_for(bob)
    created = api.post(
        API, {"name": "Breached S1/S2", "query": BREACHED_S1_S2, "shared": False}, format="json"
    )
    assert created.status_code == 201
    body = created.json()
    # No status in the API's terms is every status, stated so the page reads it the same.
    assert body["query"] == (
        "status=acknowledged&status=closed&status=in_progress&status=new&status=resolved"
        "&status=waiting&severity=S1&severity=S2&sla=breached&sort=severity"
    )
    url = urlsplit(body["url"])
    assert url.path == QUEUE
    assert QueryDict(url.query).getlist("severity") == ["S1", "S2"]
    assert body["owner"]["name"] == "Bob"
    assert (body["shared"], body["team"]) == (False, None)
    assert api.get(API).json() == [body]


def test_the_api_refuses_fields_it_does_not_take(bob) -> None:
    answer = api_for(bob).post(API, {"name": "x", "query": "", "owner": 3}, format="json")
    assert answer.status_code == 400
    assert "owner" in answer.json()["errors"]


# --- Cost ---------------------------------------------------------------------------------------


def test_the_navigation_reads_saved_views_in_one_query_however_many_there_are(
    bob_in_team, dave
) -> None:
    client = client_for(bob_in_team)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(f"{QUEUE}?{BREACHED_S1_S2}").status_code == 200
        return len(captured)

    saved_view_save(owner=bob_in_team, name="View 0", query="", shared=False)
    few = queries()
    for n in range(1, 6):
        saved_view_save(owner=bob_in_team, name=f"View {n}", query=f"q=x{n}", shared=False)
        saved_view_save(owner=dave, name=f"Shared {n}", query=f"q=y{n}", shared=True)
    assert len(nav_links(client.get(SAVED))) == 11
    assert queries() == few
