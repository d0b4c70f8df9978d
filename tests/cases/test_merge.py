"""Merging a duplicate into the case it duplicates (managers): the duplicate closes with a
duplicate-of link as its pointer, its watchers move, both timelines say so and its SLA clocks
stop; the refusals, the case page's form, the API endpoint."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.urls import reverse

from cases.models import Case, CaseEvent, CaseLink, EventKind, LinkKind, Status
from cases.services import case_link, case_merge, case_raise
from cases.services.merge import MERGED_SUMMARY
from escalation.errors import DomainError
from escalation.roles import Role
from sla.models import CaseClock
from tests.cases.factories import case_in
from tests.cases.test_api import api_for
from tests.cases.web import HX, page_text, reload
from tests.conftest import client_for, require_service
from tests.factories import CustomerFactory, UserFactory
from tests.sla.factories import SlaPolicyFactory
from tests.threads import in_threads

pytestmark = pytest.mark.django_db


@pytest.fixture
def pair(service_desk) -> tuple[Case, Case]:  # type: ignore[no-untyped-def]
    """The duplicate and the case it duplicates, both open in the service desk."""
    return (
        case_in(Status.NEW, team=service_desk, title="VPN down again"),
        case_in(Status.IN_PROGRESS, team=service_desk, title="VPN down"),
    )


def merged_events(case: Case) -> list[CaseEvent]:
    return list(CaseEvent.objects.filter(case=case, kind=EventKind.LINKED, data__merged=True))


# --- The service ----------------------------------------------------------------------------


def test_the_duplicate_closes_with_a_pointer_to_the_case_it_duplicates(bob, pair) -> None:
    duplicate, into = pair
    returned = case_merge(duplicate=duplicate, into=into, by=bob, reason="Same outage")
    duplicate = reload(duplicate)
    assert returned.pk == duplicate.pk
    assert duplicate.status == Status.CLOSED
    assert duplicate.closed_at is not None
    assert duplicate.resolved_at is None  # nothing was fixed there: no resolution to count
    assert duplicate.resolution_summary == MERGED_SUMMARY
    link = CaseLink.objects.get(source=duplicate, target=into)
    assert (link.kind, link.created_by) == (LinkKind.DUPLICATE_OF, bob)
    assert reload(into).status == Status.IN_PROGRESS


def test_both_timelines_say_so(bob, pair) -> None:
    duplicate, into = pair
    case_merge(duplicate=duplicate, into=into, by=bob, reason="Same outage")
    (on_duplicate,) = merged_events(duplicate)
    (on_target,) = merged_events(into)
    assert on_duplicate.to_value == f"merged into {into.reference}"
    assert on_target.to_value == f"{duplicate.reference} merged into this case"
    assert on_duplicate.reason == on_target.reason == "Same outage"
    assert on_duplicate.data["target"] == into.pk
    assert on_target.data["source"] == duplicate.pk
    closed = CaseEvent.objects.get(case=duplicate, kind=EventKind.CLOSED)
    assert (closed.from_value, closed.to_value, closed.actor) == (Status.NEW, Status.CLOSED, bob)


def test_watchers_move_to_the_target_once(alice, bob, pair) -> None:
    duplicate, into = pair
    carl = UserFactory(username="carl", first_name="Carl", role=Role.MANAGER)
    duplicate.watchers.add(alice, carl)
    into.watchers.add(carl)
    case_merge(duplicate=duplicate, into=into, by=bob, reason="Same outage")
    assert list(into.watchers.order_by("username")) == [alice, carl]
    assert not duplicate.watchers.exists()
    (on_target,) = merged_events(into)
    assert on_target.data["watchers"] == [alice.pk]
    assert on_target.body == "Watchers moved: Alice."


def test_a_watcher_who_may_not_see_the_target_stays_on_the_duplicate(
    bob, charlie, other_team, pair
) -> None:
    duplicate, into = pair
    charlie_case = case_in(Status.NEW, team=other_team, raised_by=charlie)
    charlie_case.watchers.add(charlie)
    case_merge(duplicate=charlie_case, into=into, by=bob, reason="Same outage")
    assert list(charlie_case.watchers.all()) == [charlie]
    assert not into.watchers.exists()


def test_a_duplicate_of_link_made_before_is_the_pointer(bob, pair) -> None:
    duplicate, into = pair
    earlier = case_link(case=duplicate, by=bob, target=into, kind=LinkKind.DUPLICATE_OF)
    case_merge(duplicate=duplicate, into=into, by=bob, reason="Same outage")
    assert list(CaseLink.objects.filter(source=duplicate)) == [earlier]


def test_the_duplicates_sla_clocks_stop_and_the_targets_run_on(alice, bob, service_desk) -> None:
    SlaPolicyFactory()
    customer = CustomerFactory(name="Acme")

    def raised(title: str) -> Case:
        return case_raise(
            raised_by=alice, customer=customer, title=title, description="D", severity="S3"
        )

    duplicate, into = raised("VPN down again"), raised("VPN down")
    assert CaseClock.objects.filter(case=duplicate, stopped_at=None).exists()
    case_merge(duplicate=duplicate, into=into, by=bob, reason="Same outage")
    assert not CaseClock.objects.filter(case=duplicate, stopped_at=None).exists()
    assert CaseClock.objects.filter(case=into, stopped_at=None).exists()
    assert reload(duplicate).next_due_at is None


# --- Refusals -------------------------------------------------------------------------------


def assert_untouched(*cases: Case) -> None:
    for case in cases:
        assert not CaseEvent.objects.filter(case=case).exists()
    assert not CaseLink.objects.exists()


def test_a_case_is_not_merged_into_itself(bob, pair) -> None:
    duplicate, _into = pair
    with pytest.raises(DomainError, match="into itself"):
        case_merge(duplicate=duplicate, into=duplicate, by=bob, reason="Oops")
    assert_untouched(duplicate)


def test_a_case_is_not_merged_into_a_closed_case(bob, pair) -> None:
    duplicate, _into = pair
    closed = case_in(Status.CLOSED)
    with pytest.raises(DomainError, match="is closed"):
        case_merge(duplicate=duplicate, into=closed, by=bob, reason="Same")
    assert_untouched(duplicate, closed)
    assert reload(duplicate).status == Status.NEW


def test_a_case_that_is_not_open_is_not_merged(bob, pair) -> None:
    _duplicate, into = pair
    resolved = case_in(Status.RESOLVED)
    with pytest.raises(DomainError, match="only an open case"):
        case_merge(duplicate=resolved, into=into, by=bob, reason="Same")
    assert reload(resolved).status == Status.RESOLVED


def test_a_case_is_not_merged_into_its_own_duplicate_chain(bob, pair) -> None:
    duplicate, into = pair
    middle = case_in(Status.NEW)
    # into duplicates middle, which duplicates duplicate: merging duplicate into into would
    # close the case at the head of the chain.
    case_link(case=into, by=bob, target=middle, kind=LinkKind.DUPLICATE_OF)
    case_link(case=middle, by=bob, target=duplicate, kind=LinkKind.DUPLICATE_OF)
    with pytest.raises(DomainError, match="is a duplicate of"):
        case_merge(duplicate=duplicate, into=into, by=bob, reason="Same")
    assert reload(duplicate).status == Status.NEW
    assert not merged_events(duplicate)


@pytest.mark.parametrize("persona", ["alice", "erin"])
def test_only_managers_merge(request, persona, pair) -> None:
    duplicate, into = pair
    with pytest.raises(PermissionDenied):
        case_merge(
            duplicate=duplicate, into=into, by=request.getfixturevalue(persona), reason="Same"
        )
    assert_untouched(duplicate, into)


def test_a_reason_is_required(bob, pair) -> None:
    duplicate, into = pair
    with pytest.raises(DomainError, match="Reason is required"):
        case_merge(duplicate=duplicate, into=into, by=bob, reason="  ")
    assert_untouched(duplicate, into)


# --- The case page --------------------------------------------------------------------------


def merge_url(case: Case) -> str:
    return reverse("cases:merge", args=[case.reference])


def test_a_manager_merges_from_the_case_page(bob, pair) -> None:
    duplicate, into = pair
    response = client_for(bob).post(
        merge_url(duplicate), {"merge-into": into.reference.lower(), "merge-reason": "Same"}
    )
    assert response.status_code == 302
    assert reload(duplicate).status == Status.CLOSED
    page = page_text(client_for(bob).get(reverse("cases:detail", args=[duplicate.reference])))
    assert f'<a href="/cases/{into.reference}/">{into.reference}</a>' in page
    assert MERGED_SUMMARY in page


def test_the_merge_form_is_offered_to_managers_on_open_cases_only(alice, bob, pair) -> None:
    duplicate, _into = pair
    form = reverse("cases:action_form", args=[duplicate.reference, "merge"])
    assert 'name="merge-into"' in page_text(client_for(bob).get(form, **HX))
    assert client_for(alice).get(form, **HX).status_code == 403
    page = reverse("cases:detail", args=[duplicate.reference])
    assert "Merge into…" in page_text(client_for(bob).get(page))
    assert "Merge into…" not in page_text(client_for(alice).get(page))


def test_merging_into_an_unknown_or_the_same_case_is_a_form_error(bob, pair) -> None:
    duplicate, _into = pair
    for reference, message in (
        ("ESC-999999", "There is no case ESC-999999."),
        (duplicate.reference, "A case cannot be merged into itself."),
    ):
        response = client_for(bob).post(
            merge_url(duplicate), {"merge-into": reference, "merge-reason": "Same"}, **HX
        )
        assert response.status_code == 200
        assert 'id="id_merge-into_error"' in page_text(response)
        assert message in page_text(response)
    assert reload(duplicate).status == Status.NEW


def test_an_operator_may_not_merge_from_the_page(alice, pair) -> None:
    duplicate, into = pair
    response = client_for(alice).post(
        merge_url(duplicate), {"merge-into": into.reference, "merge-reason": "Same"}
    )
    assert response.status_code == 403
    assert reload(duplicate).status == Status.NEW


# --- The API --------------------------------------------------------------------------------


def api_merge_url(case: Case) -> str:
    return reverse("cases_api:merge", args=[case.reference])


def test_the_api_merges_and_answers_with_the_closed_duplicate(bob, pair) -> None:
    duplicate, into = pair
    response = api_for(bob).post(
        api_merge_url(duplicate), {"into": into.reference, "reason": "Same"}, format="json"
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["status"] == Status.CLOSED
    assert body["links_out"][0]["target"] == into.reference
    assert body["links_out"][0]["kind"] == LinkKind.DUPLICATE_OF


def test_the_api_refuses_an_operator_a_missing_case_and_a_merge_into_itself(
    alice, bob, pair
) -> None:
    duplicate, into = pair
    data = {"into": into.reference, "reason": "Same"}
    assert api_for(alice).post(api_merge_url(duplicate), data, format="json").status_code == 403
    missing = api_for(bob).post(
        api_merge_url(duplicate), {"into": "ESC-999999", "reason": "Same"}, format="json"
    )
    assert missing.status_code == 400
    assert "into" in missing.json()["errors"]
    itself = api_for(bob).post(
        api_merge_url(duplicate), {"into": duplicate.reference, "reason": "Same"}, format="json"
    )
    assert itself.status_code == 400
    assert reload(duplicate).status == Status.NEW


# --- Concurrency ----------------------------------------------------------------------------


def merging(duplicate: Case, into: Case, by: User, outcomes: list[str]) -> Callable[[], None]:
    """A merge to run in a thread: appends "merged" or "refused" to ``outcomes``."""

    def run() -> None:
        try:
            case_merge(duplicate=duplicate, into=into, by=by, reason="Same")
            outcomes.append("merged")
        except DomainError:
            outcomes.append("refused")

    return run


@pytest.mark.django_db(transaction=True)
def test_merging_a_into_b_and_b_into_a_at_once_merges_one_and_refuses_the_other(
    bob, service_desk
) -> None:
    """Both merges lock the lower id first, so the second waits for the first instead of
    deadlocking, then finds its duplicate closed (with the locks taken in the order given,
    this test fails on PostgreSQL's deadlock detection)."""
    require_service(connection.vendor == "postgresql", "PostgreSQL (row locks)")
    for _ in range(5):
        a = case_in(Status.NEW, team=service_desk)
        b = case_in(Status.NEW, team=service_desk)
        outcomes: list[str] = []
        assert in_threads(merging(a, b, bob, outcomes), merging(b, a, bob, outcomes)) == []
        assert sorted(outcomes) == ["merged", "refused"]
        assert sorted([reload(a).status, reload(b).status]) == sorted([Status.CLOSED, Status.NEW])
        assert CaseLink.objects.filter(source__in=[a, b]).count() == 1
