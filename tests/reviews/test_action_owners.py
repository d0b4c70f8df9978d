"""A corrective action's owner must be able to open its case.

alice is an operator of the service desk, charlie of field support; bob, a manager, opens every
case. Giving alice's team's action to charlie is refused; an action whose case later moves out
of its owner's sight stays on their list, without the case.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from escalation.errors import DomainError
from reviews.models import CorrectiveAction, Review
from reviews.services import ActionInput, review_save
from tests.conftest import client_for
from tests.reviews.factories import CorrectiveActionFactory, ReviewFactory, resolved_case
from tests.reviews.test_pages import form_data, review_url

pytestmark = pytest.mark.django_db


@pytest.fixture
def desk_case(service_desk):  # type: ignore[no-untyped-def]
    return resolved_case(team=service_desk, title="Checkout 502 after the release")


def due() -> Any:
    return timezone.localdate() + timedelta(days=7)


def save(case, by, actions: list[ActionInput]) -> Review:  # type: ignore[no-untyped-def]
    return review_save(
        case=case,
        by=by,
        meeting_on=None,
        participants=[],
        summary="",
        went_well="",
        went_badly="",
        lessons="",
        completed=False,
        actions=actions,
    )


def test_an_action_for_someone_who_cannot_open_the_case_is_refused(bob, charlie, desk_case) -> None:
    with pytest.raises(DomainError) as refused:
        save(desk_case, bob, [ActionInput(description="Watch it", owner=charlie, due_on=due())])
    assert refused.value.field == "actions"
    assert f"Charlie cannot open {desk_case.reference}" in refused.value.message
    assert not CorrectiveAction.objects.exists()


def test_an_action_for_a_team_member_the_raiser_or_a_manager_is_accepted(
    bob, alice, charlie, service_desk
) -> None:
    raised_by_charlie = resolved_case(team=service_desk, raised_by=charlie)
    save(
        raised_by_charlie,
        bob,
        [
            ActionInput(description="Team member", owner=alice, due_on=due()),
            ActionInput(description="The raiser", owner=charlie, due_on=due()),
            ActionInput(description="A manager", owner=bob, due_on=due()),
        ],
    )
    owners = CorrectiveAction.objects.values_list("owner__username", flat=True)
    assert sorted(owners) == ["alice", "bob", "charlie"]


def test_giving_an_existing_action_to_someone_who_cannot_open_the_case_is_refused(
    bob, alice, charlie, desk_case
) -> None:
    action = CorrectiveActionFactory(review=ReviewFactory(case=desk_case), owner=alice)
    moved = ActionInput(id=action.pk, description=action.description, owner=charlie, due_on=due())
    with pytest.raises(DomainError, match="cannot open"):
        save(desk_case, bob, [moved])
    action.refresh_from_db()
    assert action.owner == alice


def test_an_owner_who_lost_sight_of_the_case_does_not_hold_up_the_review(
    bob, alice, desk_case, other_team
) -> None:
    action = CorrectiveActionFactory(review=ReviewFactory(case=desk_case), owner=alice)
    desk_case.team = other_team  # the case moved to another team since
    desk_case.save(update_fields=["team"])
    kept = ActionInput(id=action.pk, description="Reworded", owner=alice, due_on=action.due_on)
    save(desk_case, bob, [kept])
    action.refresh_from_db()
    assert (action.owner, action.description) == (alice, "Reworded")


def test_the_review_form_offers_only_owners_who_may_open_the_case(
    bob, alice, charlie, desk_case
) -> None:
    page = client_for(bob).get(review_url(desk_case)).content.decode()
    owners = page.split('name="actions-0-owner"')[1].split("</select>")[0]
    assert f'value="{alice.pk}"' in owners and f'value="{bob.pk}"' in owners
    assert f'value="{charlie.pk}"' not in owners


def test_the_review_form_refuses_such_an_owner_with_a_form_error(bob, charlie, desk_case) -> None:
    response = client_for(bob).post(
        review_url(desk_case),
        form_data(
            **{
                "actions-0-description": "Monitor the release",
                "actions-0-owner": str(charlie.pk),
                "actions-0-due_on": due().isoformat(),
            }
        ),
    )
    assert response.status_code == 400
    # Not on offer, so the form refuses it before the service's own check would.
    assert "Select a valid choice" in response.content.decode()
    assert not Review.objects.exists()


def test_my_actions_leave_out_a_case_the_owner_can_no_longer_open(
    alice, desk_case, other_team, service_desk
) -> None:
    moved = CorrectiveActionFactory(review=ReviewFactory(case=desk_case), owner=alice)
    desk_case.team = other_team
    desk_case.save(update_fields=["team"])
    still = resolved_case(team=service_desk, title="Payments slow")
    visible = CorrectiveActionFactory(review=ReviewFactory(case=still), owner=alice)
    page = client_for(alice).get(reverse("reviews:actions_mine")).content.decode()
    assert moved.description in page and visible.description in page
    assert "A case you cannot open" in page
    assert desk_case.reference not in page and "Checkout 502" not in page
    assert f'href="{review_url(still)}"' in page and "Payments slow" in page


def test_the_manager_sees_the_case_of_every_action_of_theirs(bob, desk_case, other_team) -> None:
    CorrectiveActionFactory(review=ReviewFactory(case=desk_case), owner=bob)
    page = client_for(bob).get(reverse("reviews:actions_mine")).content.decode()
    assert desk_case.reference in page and "A case you cannot open" not in page
