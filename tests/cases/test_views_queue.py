"""The triage queue, its filters, sorting, keyset pages and bulk actions; my escalations."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cases.models import CaseEvent, EventKind, Severity, Status
from tests.cases.factories import case_in
from tests.cases.web import many_cases, messages_of, page_text, reload
from tests.conftest import client_for
from tests.factories import CaseFactory, CustomerFactory

pytestmark = pytest.mark.django_db

QUEUE = reverse("cases:queue")
BULK = reverse("cases:bulk")
MINE = reverse("cases:mine")


def rows(response) -> list[str]:  # type: ignore[no-untyped-def]
    return [case.reference for case in response.context["page"].rows]


# --- Who may see the queue -----------------------------------------------------------------


def test_manager_sees_open_cases_but_not_resolved_ones_by_default(bob) -> None:
    open_case = case_in(Status.IN_PROGRESS)
    resolved = case_in(Status.RESOLVED)
    response = client_for(bob).get(QUEUE)
    assert response.status_code == 200
    assert rows(response) == [open_case.reference]
    assert resolved.reference not in page_text(response)


def test_ticking_no_status_in_the_filter_form_shows_every_status(bob) -> None:
    case_in(Status.IN_PROGRESS)
    case_in(Status.CLOSED)
    assert len(rows(client_for(bob).get(QUEUE, {"filtered": "1"}))) == 2


def test_executive_reads_the_queue_without_bulk_actions(erin) -> None:
    case = case_in(Status.NEW)
    response = client_for(erin).get(QUEUE)
    assert response.status_code == 200
    text = page_text(response)
    assert case.reference in text
    assert 'name="bulk-cases"' not in text
    assert f'action="{BULK}"' not in text


def test_operator_and_no_role_are_refused_the_queue(alice, nora) -> None:
    assert client_for(alice).get(QUEUE).status_code == 403
    assert client_for(nora).get(QUEUE).status_code == 403


# --- What a row shows -------------------------------------------------------------------------


def test_an_unassigned_new_case_stands_out_in_words_not_colour_alone(bob, alice) -> None:
    waiting = case_in(Status.NEW, owner=None)
    taken = case_in(Status.ACKNOWLEDGED, owner=alice)
    text = page_text(client_for(bob).get(QUEUE))
    row_of_waiting = text.split(f">{waiting.reference}</a>")[0].rsplit("<tr", 1)[1]
    assert 'class="unassigned-new"' in row_of_waiting
    after = text.split(f">{waiting.reference}</a>")[1].split("</tr>")[0]
    assert ">Unassigned</span>" in after
    row_of_taken = text.split(f">{taken.reference}</a>")[0].rsplit("<tr", 1)[1]
    assert "unassigned-new" not in row_of_taken


def test_a_row_shows_customer_tier_severity_owner_team_and_time_to_breach(
    bob, alice, service_desk
) -> None:
    now = timezone.now()
    CaseFactory(
        customer=CustomerFactory(name="Globex", tier="strategic"),
        severity=Severity.S1,
        status=Status.IN_PROGRESS,
        owner=alice,
        team=service_desk,
        next_due_at=now + timedelta(hours=2, minutes=5),
    )
    CaseFactory(status=Status.IN_PROGRESS, next_due_at=now - timedelta(hours=1))
    text = page_text(client_for(bob).get(QUEUE))
    for expected in ("Globex", "Strategic", "S1 Critical", "In progress", "Alice", "Service desk"):
        assert expected in text, expected
    assert "in 2\xa0hours" in text
    assert "Overdue 1\xa0hour" in text


# --- Filters, sorting and pages -------------------------------------------------------------


def test_manager_filters_by_customer_and_the_filter_stays_in_the_url(bob) -> None:
    acme = CustomerFactory(name="Acme Retail")
    mine = case_in(Status.NEW, customer=acme)
    case_in(Status.NEW)
    response = client_for(bob).get(QUEUE, {"customer": acme.pk, "filtered": "1"})
    assert rows(response) == [mine.reference]
    text = page_text(response)
    assert f'<option value="{acme.pk}" selected>Acme Retail</option>' in text
    assert 'method="get"' in text


def test_the_owner_filter_offers_the_people_who_hold_cases_by_name(bob, alice, erin, nora) -> None:
    mine = case_in(Status.IN_PROGRESS, owner=alice)
    case_in(Status.IN_PROGRESS, owner=bob)
    response = client_for(bob).get(QUEUE, {"owner": alice.pk, "filtered": "1"})
    assert rows(response) == [mine.reference]
    owners = response.context["filter_form"].fields["owner"].choices
    offered = [label for value, label in owners if value]
    assert offered == ["Alice", "Bob"]  # an executive or a user with no role holds no case
    assert f'<option value="{alice.pk}" selected>Alice</option>' in page_text(response)
    refused = client_for(bob).get(QUEUE, {"owner": erin.pk})
    assert "owner" in refused.context["page"].errors


@pytest.mark.parametrize(
    "query",
    [
        {"customer": "999999"},
        {"customer": "abc"},
        {"severity": "S9"},
        {"sort": "drop table"},
        {"cursor": "not-a-cursor"},
        {"status": "<script>"},
    ],
)
def test_bad_filter_values_are_reported_not_a_500(bob, query) -> None:
    case_in(Status.NEW)
    response = client_for(bob).get(QUEUE, query)
    assert response.status_code == 200
    assert response.context["page"].errors
    assert "<script>" not in page_text(response).split("</nav>", 1)[1]


def test_sort_links_keep_the_filters_and_drop_the_cursor(bob) -> None:
    acme = CustomerFactory(name="Acme Retail")
    case_in(Status.NEW, customer=acme)
    text = page_text(client_for(bob).get(QUEUE, {"customer": acme.pk, "filtered": "1"}))
    assert f"?customer={acme.pk}&amp;filtered=1&amp;sort=severity" in text


def test_keyset_pages_walk_forward_and_back_without_page_numbers(bob) -> None:
    cases = many_cases(30)
    client = client_for(bob)
    first = client.get(QUEUE, {"sort": "newest"})
    page = first.context["page"]
    assert rows(first) == [c.reference for c in reversed(cases)][:25]
    assert page.has_next and not page.has_previous
    text = page_text(first)
    assert 'rel="next"' in text and "page=" not in text
    second = client.get(QUEUE, {"sort": "newest", "cursor": page.next_cursor})
    assert rows(second) == [c.reference for c in reversed(cases)][25:]
    assert 'rel="prev"' in page_text(second)
    back = client.get(QUEUE, {"sort": "newest", "cursor": second.context["page"].previous_cursor})
    assert rows(back) == rows(first)


@pytest.mark.parametrize("persona", ["bob", "erin"])
def test_the_queue_makes_as_many_queries_for_100_rows_as_for_10(persona, request, alice) -> None:
    client = client_for(request.getfixturevalue(persona))
    many_cases(10, owner=alice)
    client.get(QUEUE)
    with CaptureQueriesContext(connection) as ten:
        response = client.get(QUEUE, {"page_size": "100"})
    assert len(response.context["page"].rows) == 10
    many_cases(90, Status.IN_PROGRESS, owner=alice)
    with CaptureQueriesContext(connection) as hundred:
        response = client.get(QUEUE, {"page_size": "100"})
    assert len(response.context["page"].rows) == 100
    assert len(ten.captured_queries) == len(hundred.captured_queries) <= 20


@pytest.mark.parametrize(("asked", "rows"), [("", 25), ("50", 30), ("7", 25), ("x", 25)])
def test_rows_per_page_is_one_of_the_offered_sizes(bob, asked, rows) -> None:
    many_cases(30)
    response = client_for(bob).get(QUEUE, {"page_size": asked})
    assert len(response.context["page"].rows) == rows


# --- Bulk actions ---------------------------------------------------------------------------


def bulk(client, cases, **data):  # type: ignore[no-untyped-def]
    payload = {"bulk-cases": [c.pk for c in cases], "next": f"{QUEUE}?sort=newest"}
    payload.update({f"bulk-{k}": v for k, v in data.items()})
    return client.post(BULK, payload, follow=True)


def test_manager_assigns_many_cases_and_hears_what_changed_and_what_was_refused(
    bob, other_team
) -> None:
    first, second = case_in(Status.NEW), case_in(Status.IN_PROGRESS)
    closed = case_in(Status.CLOSED)
    response = bulk(
        client_for(bob),
        [first, second, closed],
        action="assign",
        team=other_team.pk,
        reason="Rebalancing",
    )
    assert response.redirect_chain[-1][0] == f"{QUEUE}?sort=newest"
    messages = messages_of(response)
    assert f"2 cases changed: {first.reference}, {second.reference}." in messages
    refused = next(m for m in messages if "refused" in m)
    assert refused.startswith("1 refused") and closed.reference in refused and "closed" in refused
    assert reload(first).team == other_team and reload(second).team == other_team
    for case in (first, second):
        event = CaseEvent.objects.get(case=case)
        assert (event.kind, event.reason) == (EventKind.ASSIGNED, "Rebalancing")
    assert not CaseEvent.objects.filter(case=closed).exists()


def test_manager_changes_severity_of_many_cases(bob) -> None:
    cases = [case_in(Status.IN_PROGRESS) for _ in range(3)]
    response = bulk(client_for(bob), cases, action="severity", severity="S1", reason="Outage")
    assert "3 cases changed" in messages_of(response)[0]
    assert {reload(c).severity for c in cases} == {"S1"}
    assert CaseEvent.objects.filter(kind=EventKind.SEVERITY).count() == 3


def test_manager_changes_status_of_many_cases_refusing_the_impossible_moves(bob) -> None:
    new, working = case_in(Status.NEW), case_in(Status.IN_PROGRESS)
    response = bulk(client_for(bob), [new, working], action="status", status="waiting", reason="x")
    messages = messages_of(response)
    assert f"1 case changed: {working.reference}." in messages
    assert any(new.reference in m and "acknowledge it" in m for m in messages)
    assert reload(new).status == Status.NEW


def test_a_bulk_change_needs_a_reason_cases_and_a_value(bob) -> None:
    case = case_in(Status.NEW)
    client = client_for(bob)
    no_reason = messages_of(bulk(client, [case], action="severity", severity="S1"))
    assert any("Reason" in m and "required" in m for m in no_reason)
    no_cases = messages_of(bulk(client, [], action="severity", severity="S1", reason="x"))
    assert any("Select at least one case." in m for m in no_cases)
    no_value = messages_of(bulk(client, [case], action="severity", reason="x"))
    assert any("Choose the new severity." in m for m in no_value)
    assert reload(case).severity == Severity.S3
    assert not CaseEvent.objects.exists()


def test_bulk_ignores_ids_that_are_not_numbers_and_reports_unknown_ones(bob) -> None:
    case = case_in(Status.IN_PROGRESS)
    response = client_for(bob).post(
        BULK,
        {
            "bulk-cases": [case.pk, "abc", 999999],
            "bulk-action": "severity",
            "bulk-severity": "S2",
            "bulk-reason": "x",
        },
        follow=True,
    )
    messages = messages_of(response)
    assert f"1 case changed: {case.reference}." in messages
    assert any("#999999" in m for m in messages)


def test_bulk_never_redirects_off_site(bob) -> None:
    case = case_in(Status.IN_PROGRESS)
    response = client_for(bob).post(
        BULK,
        {
            "bulk-cases": [case.pk],
            "bulk-action": "severity",
            "bulk-severity": "S2",
            "bulk-reason": "x",
            "next": "https://evil.example/",
        },
    )
    assert response["Location"] == QUEUE


def test_executive_and_operator_may_not_bulk_update(erin, alice) -> None:
    case = case_in(Status.IN_PROGRESS)
    for user in (erin, alice):
        response = bulk(client_for(user), [case], action="severity", severity="S1", reason="x")
        assert response.status_code == 403
    assert reload(case).severity == Severity.S3


# --- My escalations -----------------------------------------------------------------------


def test_operator_sees_the_cases_she_raised_and_her_teams_cases(
    alice, charlie, service_desk, other_team
) -> None:
    raised = case_in(Status.NEW, raised_by=alice, team=other_team)
    teams = case_in(Status.IN_PROGRESS, raised_by=charlie, team=service_desk)
    others = case_in(Status.NEW, raised_by=charlie, team=other_team)
    response = client_for(alice).get(MINE)
    assert response.status_code == 200
    assert set(rows(response)) == {raised.reference, teams.reference}
    assert others.reference not in page_text(response)


def test_my_escalations_show_open_cases_first_and_resolved_on_request(alice, service_desk) -> None:
    open_case = case_in(Status.NEW, raised_by=alice, team=service_desk)
    done = case_in(Status.RESOLVED, raised_by=alice, team=service_desk)
    client = client_for(alice)
    assert rows(client.get(MINE)) == [open_case.reference]
    assert rows(client.get(MINE, {"status": ["resolved", "closed"]})) == [done.reference]
    assert set(rows(client.get(MINE, {"filtered": "1"}))) == {open_case.reference, done.reference}


def test_my_escalations_are_for_operators(bob, erin, nora) -> None:
    for user in (bob, erin, nora):
        assert client_for(user).get(MINE).status_code == 403


def test_titles_in_the_queue_and_in_my_escalations_are_shown_as_text(
    bob, alice, service_desk
) -> None:
    case_in(Status.NEW, raised_by=alice, team=service_desk, title="<script>alert(1)</script>")
    for client, url in ((client_for(bob), QUEUE), (client_for(alice), MINE)):
        text = page_text(client.get(url))
        assert "<script>alert(1)</script>" not in text
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
