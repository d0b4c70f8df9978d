"""Who sees which case, the queue's filters, orders, keyset pages and query counts."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.http import Http404
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cases.models import CaseLink, LinkKind, Severity, Status, Tier
from cases.selectors import (
    case_get_for_viewer,
    case_possible_duplicates,
    case_related,
    case_timeline,
    case_visible_to,
    team_members,
)
from cases.selectors_queue import case_queue
from cases.services import case_add_note
from tests.cases.factories import TagFactory, case_in
from tests.factories import CustomerFactory, ProductFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def cases(alice, charlie, service_desk, other_team):  # type: ignore[no-untyped-def]
    return {
        "alice_raised_elsewhere": case_in(Status.NEW, raised_by=alice, team=other_team),
        "team": case_in(Status.NEW, team=service_desk),
        "other": case_in(Status.NEW, raised_by=charlie, team=other_team),
        "nobody": case_in(Status.NEW, team=None),
    }


def refs(rows) -> list[str]:  # type: ignore[no-untyped-def]
    return [c.reference for c in rows]


def test_operator_sees_what_she_raised_and_her_teams_cases(alice, cases) -> None:
    visible = set(case_visible_to(viewer=alice))
    assert visible == {cases["alice_raised_elsewhere"], cases["team"]}


def test_managers_and_executives_see_every_case(bob, erin, cases) -> None:
    assert case_visible_to(viewer=bob).count() == 4
    assert case_visible_to(viewer=erin).count() == 4


def test_people_without_a_role_and_anonymous_see_nothing(nora, cases) -> None:
    from django.contrib.auth.models import AnonymousUser

    assert not case_visible_to(viewer=nora).exists()
    assert not case_visible_to(viewer=AnonymousUser()).exists()


def test_case_page_lookup_is_404_for_a_case_the_viewer_may_not_see(alice, charlie, cases) -> None:
    team_case = cases["team"]
    assert case_get_for_viewer(viewer=alice, reference=team_case.reference) == team_case
    assert case_get_for_viewer(viewer=alice, reference=str(team_case.pk)) == team_case
    with pytest.raises(Http404):
        case_get_for_viewer(viewer=charlie, reference=team_case.reference)
    for junk in ("ESC-999999", "nonsense", "ESC-", "ESC-1" + "0" * 20, ""):
        with pytest.raises(Http404):
            case_get_for_viewer(viewer=alice, reference=junk)


def test_case_page_lookup_loads_what_the_page_shows_in_a_fixed_number_of_queries(bob) -> None:
    case = case_in(Status.IN_PROGRESS)
    case.tags.add(TagFactory(name="vpn"), TagFactory(name="eu"))
    CaseLink.objects.create(
        source=case,
        target=case_in(
            Status.NEW,
        ),
        kind=LinkKind.RELATED,
        created_by=bob,
        created_at=timezone.now(),
    )
    bob.groups.all()  # roles are cached on first use; warm them
    case_visible_to(viewer=bob)
    with CaptureQueriesContext(connection) as captured:
        loaded = case_get_for_viewer(viewer=bob, reference=case.reference)
        _ = (
            loaded.customer.name,
            loaded.owner,
            list(loaded.tags.all()),
            list(loaded.attachments.all()),
            [link.target.reference for link in loaded.links_out.all()],
            list(loaded.links_in.all()),
            list(loaded.watchers.all()),
        )
    # The case row, then tags, watchers, attachments, links out, links in.
    assert len(captured) == 6


def test_timeline_lists_events_in_order_with_their_actor(alice, service_desk) -> None:
    case = case_in(Status.IN_PROGRESS, team=service_desk)
    case_add_note(case=case, by=alice, body="first")
    case_add_note(case=case, by=alice, body="second")
    events = list(case_timeline(case=case))
    assert [e.body for e in events] == ["first", "second"]
    assert events[0].actor == alice


# --- The queue ---------------------------------------------------------------------------


def test_queue_filters_by_status_severity_team_customer_and_tier(bob, service_desk) -> None:
    strategic = CustomerFactory(name="Big", tier=Tier.STRATEGIC)
    wanted = case_in(
        Status.IN_PROGRESS, severity=Severity.S1, team=service_desk, customer=strategic
    )
    case_in(Status.IN_PROGRESS, severity=Severity.S3, team=service_desk, customer=strategic)
    case_in(Status.RESOLVED, severity=Severity.S1, team=service_desk, customer=strategic)
    case_in(Status.IN_PROGRESS, severity=Severity.S1, customer=CustomerFactory(name="Small"))
    page = case_queue(
        viewer=bob,
        filters={
            "status": "open",
            "severity": ["S1", "S2"],
            "team": str(service_desk.pk),
            "tier": Tier.STRATEGIC,
        },
    )
    assert page.errors == {}
    assert refs(page.rows) == [wanted.reference]
    page = case_queue(viewer=bob, filters={"customer": str(strategic.pk), "status": "resolved"})
    assert len(page.rows) == 1


def test_queue_filters_owner_unassigned_category_and_product(bob, alice) -> None:
    mine = case_in(Status.IN_PROGRESS, owner=alice)
    loose = case_in(Status.IN_PROGRESS)
    assert refs(case_queue(viewer=bob, filters={"owner": alice.pk}).rows) == [mine.reference]
    assert refs(case_queue(viewer=bob, filters={"unassigned": "true"}).rows) == [loose.reference]
    assert refs(case_queue(viewer=bob, filters={"product": loose.product_id}).rows) == [
        loose.reference
    ]
    assert refs(case_queue(viewer=bob, filters={"category": mine.category_id}).rows) == [
        mine.reference
    ]


def test_queue_text_search_matches_title_or_reference(bob) -> None:
    vpn = case_in(Status.NEW, title="VPN drops every hour")
    other = case_in(Status.NEW, title="Printer jam")
    assert refs(case_queue(viewer=bob, filters={"q": "vpn drops"}).rows) == [vpn.reference]
    assert refs(case_queue(viewer=bob, filters={"q": other.reference.lower()}).rows) == [
        other.reference
    ]
    assert case_queue(viewer=bob, filters={"q": "100% _match"}).rows == []


def test_operator_queue_never_shows_another_teams_case_even_when_filtered_for_it(
    alice, cases, other_team
) -> None:
    page = case_queue(viewer=alice, filters={"team": other_team.pk})
    assert refs(page.rows) == [cases["alice_raised_elsewhere"].reference]


def test_bad_filter_values_are_reported_and_ignored(bob) -> None:
    case = case_in(Status.NEW)
    page = case_queue(
        viewer=bob,
        filters={"status": "sleeping", "team": "abc", "owner": "99999999", "sort": "random"},
    )
    assert set(page.errors) == {"status", "team", "owner", "sort"}
    assert refs(page.rows) == [case.reference]


def test_nearest_breach_comes_first_and_cases_without_deadline_last(bob) -> None:
    now = timezone.now()
    later = case_in(Status.IN_PROGRESS, next_due_at=now + timedelta(hours=5))
    none = case_in(Status.IN_PROGRESS, next_due_at=None)
    soon = case_in(Status.IN_PROGRESS, next_due_at=now + timedelta(minutes=5))
    overdue = case_in(Status.IN_PROGRESS, next_due_at=now - timedelta(hours=1))
    page = case_queue(viewer=bob, filters={"sort": "due"})
    assert refs(page.rows) == refs([overdue, soon, later, none])


def test_newest_oldest_and_severity_orders(bob) -> None:
    a = case_in(Status.NEW, severity=Severity.S3)
    b = case_in(Status.NEW, severity=Severity.S1)
    c = case_in(Status.NEW, severity=Severity.S3)
    assert refs(case_queue(viewer=bob, filters={"sort": "newest"}).rows) == refs([c, b, a])
    assert refs(case_queue(viewer=bob, filters={"sort": "oldest"}).rows) == refs([a, b, c])
    # S1 first; within a severity the longest-waiting first.
    assert refs(case_queue(viewer=bob, filters={"sort": "severity"}).rows) == refs([b, a, c])


@pytest.mark.parametrize("sort", ["due", "newest", "oldest", "severity"])
def test_keyset_pages_walk_every_case_once_forwards_and_back(bob, sort) -> None:
    now = timezone.now()
    for i in range(23):
        # Ties on the sort key (same deadline, same severity) must not lose or repeat rows.
        case_in(
            Status.IN_PROGRESS,
            severity=Severity.values[i % 4],
            next_due_at=None if i % 5 == 0 else now + timedelta(minutes=i % 3),
        )
    everything = refs(case_queue(viewer=bob, filters={"sort": sort}, page_size=100).rows)
    pages, filters = [], {"sort": sort}
    while True:
        page = case_queue(viewer=bob, filters=filters, page_size=5)
        assert page.errors == {}
        pages.append(refs(page.rows))
        if not page.has_next:
            break
        filters = {"sort": sort, "cursor": page.next_cursor}
    assert [ref for p in pages for ref in p] == everything
    assert [len(p) for p in pages] == [5, 5, 5, 5, 3]
    # And back again from the last page.
    back = []
    while page.has_previous:
        page = case_queue(
            viewer=bob, filters={"sort": sort, "cursor": page.previous_cursor}, page_size=5
        )
        back.append(refs(page.rows))
    assert back == pages[-2::-1]


def test_a_cursor_that_was_not_handed_out_is_an_error_not_a_crash(bob) -> None:
    case_in(Status.NEW)
    page = case_queue(viewer=bob, filters={"sort": "due"}, page_size=1)
    for junk in ("%%%", "e30", "bm90IGpzb24", page.next_cursor or "x"):
        result = case_queue(viewer=bob, filters={"sort": "newest", "cursor": junk})
        assert "cursor" in result.errors


# "Most urgent" (the default) reads its three segments in turn, each an index range scan: these
# cases have no deadline, so all three are read; one sort is one read of the rows.
@pytest.mark.parametrize(
    ("filters", "expected"),
    [({}, 5), ({"status": "open", "sort": "severity", "q": "batch"}, 3)],
)
def test_the_queue_makes_as_many_queries_for_100_rows_as_for_10(
    bob, alice, filters, expected
) -> None:
    def count(rows: int) -> int:
        page = case_queue(viewer=bob, filters=filters, page_size=rows)
        with CaptureQueriesContext(connection) as captured:
            page = case_queue(viewer=bob, filters=filters, page_size=rows)
            for case in page.rows:
                _ = (case.customer.name, case.owner, case.team, case.product, case.category)
                _ = list(case.tags.all())
        assert len(page.rows) == rows
        return len(captured)

    tag = TagFactory(name="eu")
    for _ in range(100):
        case = case_in(Status.IN_PROGRESS, owner=alice)
        case.tags.add(tag)
    # The rows (one read per segment read), their tags and the count, whatever the page size.
    assert count(10) == count(100) == expected


def test_operator_queue_query_count_does_not_grow_with_rows(alice, service_desk) -> None:
    def count(rows: int) -> int:
        with CaptureQueriesContext(connection) as captured:
            page = case_queue(viewer=alice, filters={"team": service_desk.pk}, page_size=rows)
            for case in page.rows:
                _ = (case.customer.name, case.team)
        assert len(page.rows) == rows
        return len(captured)

    for _ in range(100):
        case_in(Status.NEW, team=service_desk)
    # Cached roles after the first call; then validating team=, the rows (three segments of
    # "Most urgent"), the tags, the count.
    count(10)
    assert count(10) == count(100) == 6


# --- Related and duplicates ---------------------------------------------------------------


def test_possible_duplicates_are_open_cases_of_the_customer_matching_words_first(
    bob, alice, service_desk
) -> None:
    acme = CustomerFactory(name="Acme")
    vpn = case_in(Status.NEW, customer=acme, title="VPN tunnel drops", team=service_desk)
    older = case_in(Status.NEW, customer=acme, title="Invoice wrong", team=service_desk)
    case_in(Status.CLOSED, customer=acme, title="VPN tunnel drops again", team=service_desk)
    case_in(Status.NEW, title="VPN tunnel at another customer")
    found = case_possible_duplicates(viewer=alice, customer_id=acme.pk, text="the vpn is down")
    assert refs(found) == refs([vpn, older])


def test_related_cases_list_links_then_recent_cases_of_same_customer_and_product(bob) -> None:
    acme, product = CustomerFactory(name="Acme"), ProductFactory(name="Portal")
    case = case_in(Status.IN_PROGRESS, customer=acme, product=product)
    linked = case_in(Status.IN_PROGRESS)
    CaseLink.objects.create(
        source=linked,
        target=case,
        kind=LinkKind.CAUSED_BY,
        created_by=bob,
        created_at=timezone.now(),
    )
    nearby = case_in(Status.RESOLVED, customer=acme, product=product)
    case_in(
        Status.RESOLVED,
        customer=acme,
        product=product,
        raised_at=timezone.now() - timedelta(days=45),
    )
    assert refs(case_related(viewer=bob, case=case)) == refs([linked, nearby])


def test_related_cases_are_only_those_the_operator_may_open(
    bob, charlie, service_desk, other_team
) -> None:
    acme, product = CustomerFactory(name="Acme"), ProductFactory(name="Portal")
    case = case_in(Status.IN_PROGRESS, customer=acme, product=product, team=other_team)
    theirs = case_in(Status.NEW, customer=acme, product=product, team=service_desk)
    linked_theirs = case_in(Status.NEW, team=service_desk)
    own = case_in(Status.NEW, customer=acme, product=product, team=other_team)
    for target in (theirs, linked_theirs):
        CaseLink.objects.create(
            source=case,
            target=target,
            kind=LinkKind.RELATED,
            created_by=bob,
            created_at=timezone.now(),
        )
    assert refs(case_related(viewer=charlie, case=case)) == refs([own])
    assert set(case_related(viewer=bob, case=case)) == {theirs, linked_theirs, own}


def test_team_members_are_the_people_who_can_hold_its_cases(alice, erin, service_desk) -> None:
    service_desk.members.add(erin)
    assert list(team_members(team=service_desk)) == [alice]
