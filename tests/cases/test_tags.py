"""Tags: shown on the case page and on queue rows, and filterable with ``?tag=<name>`` (several
narrow further) on the queue page and in the API, with no query per row."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cases.models import Case, Status
from tests.cases.factories import TagFactory, case_in
from tests.cases.test_api import api_for
from tests.cases.web import many_cases, page_text
from tests.conftest import client_for

pytestmark = pytest.mark.django_db

QUEUE = reverse("cases:queue")
API_LIST = reverse("cases_api:list")


def tagged(*names: str, **kwargs: object) -> Case:
    case = case_in(Status.IN_PROGRESS, **kwargs)
    case.tags.add(*(TagFactory(name=name) for name in names))
    return case


def queue_refs(response) -> list[str]:  # type: ignore[no-untyped-def]
    return [case.reference for case in response.context["page"].rows]


def api_refs(response) -> list[str]:  # type: ignore[no-untyped-def]
    assert response.status_code == 200, response.json()
    return [row["reference"] for row in response.json()["results"]]


@pytest.fixture
def three(db: None) -> tuple[Case, Case, Case]:
    return tagged("vpn"), tagged("vpn", "outage"), tagged("printer")


# --- Shown ----------------------------------------------------------------------------------


def test_the_case_page_header_shows_the_tags_linked_to_the_queue_for_a_manager(bob) -> None:
    case = tagged("vpn", "outage")
    html = page_text(client_for(bob).get(reverse("cases:detail", args=[case.reference])))
    assert f'href="{QUEUE}?tag=vpn"' in html
    assert f'href="{QUEUE}?tag=outage"' in html


def test_an_operator_sees_the_tags_without_links_to_the_queue_she_may_not_open(
    alice, service_desk
) -> None:
    case = tagged("vpn", raised_by=alice, team=service_desk)
    html = page_text(client_for(alice).get(reverse("cases:detail", args=[case.reference])))
    assert '<span class="badge text-bg-light border">vpn</span>' in html
    assert "?tag=vpn" not in html


def test_queue_rows_show_their_tags_as_badges(bob, three) -> None:
    html = page_text(client_for(bob).get(QUEUE))
    for name in ("vpn", "outage", "printer"):
        assert f'href="{QUEUE}?tag={name}"' in html


def test_the_queue_with_tags_makes_as_many_queries_for_30_rows_as_for_3(bob) -> None:
    client = client_for(bob)
    cases = many_cases(3, Status.IN_PROGRESS)
    for case in cases:
        case.tags.add(TagFactory(name="vpn"), TagFactory(name=f"t{case.pk}"))
    client.get(QUEUE)
    with CaptureQueriesContext(connection) as few:
        assert len(queue_refs(client.get(QUEUE, {"page_size": "50"}))) == 3
    for case in many_cases(27, Status.IN_PROGRESS):
        case.tags.add(TagFactory(name="vpn"), TagFactory(name=f"t{case.pk}"))
    with CaptureQueriesContext(connection) as many:
        assert len(queue_refs(client.get(QUEUE, {"page_size": "50"}))) == 30
    assert len(few.captured_queries) == len(many.captured_queries)


# --- Filtered -------------------------------------------------------------------------------


def test_the_queue_lists_the_cases_with_a_tag(bob, three) -> None:
    vpn, both, _printer = three
    response = client_for(bob).get(QUEUE, {"tag": "vpn", "sort": "newest"})
    assert queue_refs(response) == [both.reference, vpn.reference]


def test_several_tags_narrow_the_queue_to_cases_with_all_of_them(bob, three) -> None:
    _vpn, both, _printer = three
    response = client_for(bob).get(QUEUE, {"tag": ["vpn", "outage"]})
    assert queue_refs(response) == [both.reference]


def test_the_api_list_filters_by_tag_like_the_page(bob, three) -> None:
    vpn, both, _printer = three
    api = api_for(bob)
    newest = {"sort": "newest"}
    assert api_refs(api.get(API_LIST, {"tag": "vpn", **newest})) == [both.reference, vpn.reference]
    assert api_refs(api.get(API_LIST, {"tag": ["vpn", "outage"], **newest})) == [both.reference]
    assert api.get(API_LIST, {"tag": "printer"}).json()["results"][0]["tags"] == ["printer"]


def test_an_unknown_tag_is_refused_by_the_api_and_ignored_by_the_page_saying_so(bob, three) -> None:
    answer = api_for(bob).get(API_LIST, {"tag": "nonesuch"})
    assert answer.status_code == 400
    assert "tag" in answer.json()["errors"]
    page = client_for(bob).get(QUEUE, {"tag": "nonesuch"})
    assert "Some filters were not applied" in page_text(page)
    assert len(queue_refs(page)) == 3


def test_the_tag_filter_is_in_the_api_schema(bob) -> None:
    schema = client_for(bob).get("/api/schema/?format=json").json()
    parameters = schema["paths"]["/api/cases/"]["get"]["parameters"]
    tag = next(p for p in parameters if p["name"] == "tag")
    assert tag["schema"]["type"] == "array"
    assert tag["explode"] is True


def test_the_filter_form_keeps_the_tags_when_applied_again(bob, three) -> None:
    html = page_text(client_for(bob).get(QUEUE, {"tag": ["vpn", "outage"]}))
    assert '<input type="hidden" name="tag" value="vpn">' in html
    assert '<input type="hidden" name="tag" value="outage">' in html
    assert "Tagged" in html
    assert "Tagged" not in page_text(client_for(bob).get(QUEUE))
