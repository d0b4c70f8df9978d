"""Link events on a timeline name the other case only to a viewer who may open it.

alice (service desk operator) may open her team's cases, not the field support cases of
charlie's team; bob (manager) opens every case.
"""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cases.models import CaseLink, LinkKind, Status
from cases.services import case_link, case_unlink
from cases.timeline import HIDDEN_CASE
from tests.cases.factories import case_in
from tests.cases.web import HX, page_text
from tests.conftest import client_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def case(alice, service_desk):  # type: ignore[no-untyped-def]
    return case_in(Status.IN_PROGRESS, raised_by=alice, team=service_desk, title="Checkout 502")


@pytest.fixture
def hidden(charlie, other_team):  # type: ignore[no-untyped-def]
    return case_in(Status.NEW, raised_by=charlie, team=other_team, title="Secret field outage")


def timeline_of(client, case) -> str:  # type: ignore[no-untyped-def]
    text = page_text(client.get(reverse("cases:detail", args=[case.reference])))
    return text.split('id="timeline-heading"')[1].split("</section>")[0]


def link_href(case) -> str:  # type: ignore[no-untyped-def]
    return f'href="{reverse("cases:detail", args=[case.reference])}"'


def test_an_operator_sees_a_case_you_cannot_open_for_a_link_to_another_teams_case(
    alice, bob, case, hidden
) -> None:
    case_link(case=case, by=bob, target=hidden, kind=LinkKind.DUPLICATE_OF)
    timeline = timeline_of(client_for(alice), case)
    assert f"duplicate of {HIDDEN_CASE}" in timeline
    assert hidden.reference not in timeline
    assert "Secret field outage" not in timeline
    assert link_href(hidden) not in timeline


def test_the_manager_sees_the_linked_reference_with_its_link(bob, case, hidden) -> None:
    case_link(case=case, by=bob, target=hidden, kind=LinkKind.DUPLICATE_OF)
    timeline = timeline_of(client_for(bob), case)
    assert str(HIDDEN_CASE) not in timeline
    assert hidden.reference in timeline and link_href(hidden) in timeline


def test_a_link_to_a_case_the_operator_may_open_keeps_its_reference_and_link(
    alice, bob, case, service_desk
) -> None:
    mine = case_in(Status.NEW, raised_by=alice, team=service_desk)
    case_link(case=case, by=bob, target=mine, kind=LinkKind.RELATED)
    timeline = timeline_of(client_for(alice), case)
    assert str(HIDDEN_CASE) not in timeline
    assert f"related to <a {link_href(mine)}>{mine.reference}</a>" in timeline


def test_a_link_made_from_the_other_end_and_its_removal_hide_the_other_case(
    alice, bob, case, hidden
) -> None:
    link = case_link(case=hidden, by=bob, target=case, kind=LinkKind.CAUSED_BY)
    case_unlink(case=hidden, by=bob, link=link, reason="Wrong case")
    timeline = timeline_of(client_for(alice), case)
    assert f"{HIDDEN_CASE} caused by this case" in timeline
    assert f"{HIDDEN_CASE} caused by {case.reference}" in timeline  # the removal
    assert hidden.reference not in timeline


def test_the_timeline_partial_hides_the_other_case_too(alice, bob, case, hidden) -> None:
    case_link(case=case, by=bob, target=hidden, kind=LinkKind.RELATED)
    url = reverse("cases:timeline", args=[case.reference])
    for order in ("oldest", "newest"):
        text = page_text(client_for(alice).get(f"{url}?order={order}", **HX))
        assert str(HIDDEN_CASE) in text and hidden.reference not in text


def test_the_api_timeline_hides_the_other_case_from_the_operator_only(
    alice, bob, case, hidden
) -> None:
    case_link(case=case, by=bob, target=hidden, kind=LinkKind.RELATED)
    url = f"/api/cases/{case.reference}/timeline/"
    [seen] = [e for e in client_for(alice).get(url).json() if e["kind"] == "linked"]
    assert seen["to_value"] == f"related to {HIDDEN_CASE}"
    assert "target" not in seen["data"] and hidden.reference not in str(seen)
    [full] = [e for e in client_for(bob).get(url).json() if e["kind"] == "linked"]
    assert full["to_value"] == f"related to {hidden.reference}"
    assert full["data"]["target"] == hidden.pk


def queries_for_page(client, case) -> int:  # type: ignore[no-untyped-def]
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(reverse("cases:detail", args=[case.reference])).status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("persona", ["alice", "bob"])
def test_the_page_makes_as_many_queries_for_one_link_event_as_for_nine(
    persona, request, alice, bob, service_desk, other_team
) -> None:
    few = case_in(Status.IN_PROGRESS, raised_by=alice, team=service_desk)
    many = case_in(Status.IN_PROGRESS, raised_by=alice, team=service_desk)
    case_link(case=few, by=bob, target=case_in(Status.NEW, team=other_team), kind="related")
    for n in range(6):
        team = other_team if n % 2 else service_desk
        target = case_in(Status.NEW, team=team)
        link = case_link(case=many, by=bob, target=target, kind=LinkKind.RELATED)
        if n < 3:
            case_unlink(case=many, by=bob, link=link, reason="Not related")
    assert CaseLink.objects.filter(source=many).count() == 3
    client = client_for(request.getfixturevalue(persona))
    queries_for_page(client, few)  # warm the session
    assert queries_for_page(client, few) == queries_for_page(client, many)


def test_the_api_case_lists_only_the_links_whose_both_ends_the_viewer_may_open(
    alice, bob, case, hidden, service_desk
) -> None:
    mine = case_in(Status.NEW, raised_by=alice, team=service_desk)
    case_link(case=case, by=bob, target=hidden, kind=LinkKind.DUPLICATE_OF)
    case_link(case=hidden, by=bob, target=case, kind=LinkKind.CAUSED_BY)
    case_link(case=case, by=bob, target=mine, kind=LinkKind.RELATED)
    url = reverse("cases_api:detail", args=[case.reference])

    seen = client_for(alice).get(url).json()
    assert [link["target"] for link in seen["links_out"]] == [mine.reference]
    assert seen["links_in"] == []
    assert hidden.reference not in str(seen)

    managed = client_for(bob).get(url).json()
    assert [link["target"] for link in managed["links_out"]] == [hidden.reference, mine.reference]
    assert [link["source"] for link in managed["links_in"]] == [hidden.reference]
