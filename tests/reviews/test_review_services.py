"""Writing reviews and corrective actions: who may, what is checked, what the timeline says."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from cases.models import CaseEvent, EventKind, Severity
from escalation.errors import DomainError
from escalation.roles import Role
from reviews.models import ActionStatus, CorrectiveAction, Review
from reviews.services import ActionInput, action_mark_done, review_save
from tests.factories import CaseFactory, UserFactory
from tests.reviews.factories import CorrectiveActionFactory, ReviewFactory, resolved_case

pytestmark = pytest.mark.django_db


def save(case, by, **overrides: Any) -> Review:  # type: ignore[no-untyped-def]
    fields: dict[str, Any] = {
        "meeting_on": timezone.localdate(),
        "participants": [],
        "summary": "Certificate expired over the weekend.",
        "went_well": "Fast diagnosis.",
        "went_badly": "Nobody watched the expiry date.",
        "lessons": "Monitor expiry dates.",
        "completed": False,
        "actions": (),
    }
    fields.update(overrides)
    return review_save(case=case, by=by, **fields)


def review_events(case) -> list[CaseEvent]:  # type: ignore[no-untyped-def]
    return list(CaseEvent.objects.filter(case=case, kind=EventKind.REVIEW).order_by("id"))


def test_a_manager_writes_the_review_with_participants_and_actions(
    bob, alice, service_desk
) -> None:
    case = resolved_case(severity=Severity.S1, team=service_desk)
    ReviewFactory(case=case)
    due = timezone.localdate() + timedelta(days=10)
    review = save(
        case,
        bob,
        participants=[alice, bob],
        actions=[ActionInput(description="Add expiry monitoring", owner=alice, due_on=due)],
    )
    assert review.summary == "Certificate expired over the weekend."
    assert set(review.participants.all()) == {alice, bob}
    [action] = review.actions.all()
    assert (action.owner, action.due_on, action.status) == (alice, due, ActionStatus.OPEN)
    [event] = review_events(case)
    assert event.actor == bob
    assert "action added" in event.body and "Add expiry monitoring" in event.body
    assert "summary edited" in event.data["changes"]


def test_an_operator_cannot_write_a_review(alice) -> None:
    case = resolved_case()
    with pytest.raises(PermissionDenied):
        save(case, alice)
    assert not Review.objects.exists()


def test_an_executive_cannot_write_a_review(erin) -> None:
    with pytest.raises(PermissionDenied):
        save(resolved_case(), erin)


def test_a_manager_may_start_a_voluntary_review_of_an_s3_case_due_days_from_today(
    bob, settings
) -> None:
    settings.REVIEW_DUE_DAYS = 5
    case = resolved_case(severity=Severity.S3)
    review = save(case, bob)
    assert not review.required
    assert review.due_on == timezone.localdate() + timedelta(days=5)
    assert "review started" in review_events(case)[0].body.lower()


def test_a_case_that_is_not_resolved_cannot_be_reviewed(bob) -> None:
    case = CaseFactory()
    with pytest.raises(DomainError, match="not resolved"):
        save(case, bob)
    assert not Review.objects.exists()


def test_saving_without_a_change_writes_no_timeline_event(bob) -> None:
    case = resolved_case()
    save(case, bob)
    save(case, bob)
    assert len(review_events(case)) == 1


def test_every_change_writes_one_timeline_event_saying_what_changed(bob) -> None:
    case = resolved_case()
    save(case, bob)
    save(case, bob, lessons="Renew certificates a month ahead.")
    events = review_events(case)
    assert len(events) == 2
    assert events[1].body == "Lessons learned edited."


def test_completing_needs_a_meeting_date_and_a_summary(bob) -> None:
    case = resolved_case()
    with pytest.raises(DomainError) as refused:
        save(case, bob, meeting_on=None, completed=True)
    assert refused.value.field == "completed"
    with pytest.raises(DomainError):
        save(case, bob, summary="  ", completed=True)
    review = save(case, bob, completed=True)
    assert review.completed_at is not None and review.completed_by == bob
    assert review_events(case)[-1].to_value == "completed"


def test_a_completed_review_can_be_reopened(bob) -> None:
    case = resolved_case()
    save(case, bob, completed=True)
    review = save(case, bob, completed=False)
    assert review.completed_at is None and review.completed_by is None
    assert review_events(case)[-1].data["changes"] == ["review reopened"]


def test_a_meeting_cannot_be_dated_in_the_future(bob) -> None:
    with pytest.raises(DomainError) as refused:
        save(resolved_case(), bob, meeting_on=timezone.localdate() + timedelta(days=1))
    assert refused.value.field == "meeting_on"


def test_participants_and_owners_must_be_active_staff(bob, nora) -> None:
    case = resolved_case()
    with pytest.raises(DomainError) as refused:
        save(case, bob, participants=[nora])
    assert refused.value.field == "participants"
    due = timezone.localdate() + timedelta(days=3)
    with pytest.raises(DomainError) as refused:
        save(case, bob, actions=[ActionInput(description="Do it", owner=nora, due_on=due)])
    assert refused.value.field == "actions"
    gone = UserFactory(username="gone", role=Role.OPERATOR, is_active=False)
    with pytest.raises(DomainError):
        save(case, bob, participants=[gone])


def test_a_new_action_needs_a_description_and_a_due_date_not_in_the_past(
    bob, alice, service_desk
) -> None:
    case = resolved_case(team=service_desk)
    today = timezone.localdate()
    with pytest.raises(DomainError, match="description"):
        save(case, bob, actions=[ActionInput(description=" ", owner=alice, due_on=today)])
    with pytest.raises(DomainError, match="past"):
        save(
            case,
            bob,
            actions=[ActionInput(description="x", owner=alice, due_on=today - timedelta(1))],
        )
    assert not CorrectiveAction.objects.exists()


def test_a_manager_changes_an_action_and_the_timeline_says_how(
    bob, alice, charlie, other_team
) -> None:
    case = resolved_case(team=other_team)
    action = CorrectiveActionFactory(review=ReviewFactory(case=case), owner=alice)
    later = action.due_on + timedelta(days=7)
    save(
        case,
        bob,
        actions=[
            ActionInput(
                id=action.pk,
                description=action.description,
                owner=charlie,
                due_on=later,
                status=ActionStatus.IN_PROGRESS,
            )
        ],
    )
    action.refresh_from_db()
    assert (action.owner, action.due_on, action.status) == (
        charlie,
        later,
        ActionStatus.IN_PROGRESS,
    )
    body = review_events(case)[-1].body
    assert "owner Charlie" in body and "Open → In progress" in body


def test_an_action_of_another_review_cannot_be_changed_through_this_one(
    bob, alice, service_desk
) -> None:
    foreign = CorrectiveActionFactory(owner=alice)
    case = resolved_case(team=service_desk)
    with pytest.raises(DomainError, match="does not belong"):
        save(
            case,
            bob,
            actions=[
                ActionInput(id=foreign.pk, description="hijack", owner=alice, due_on=foreign.due_on)
            ],
        )
    foreign.refresh_from_db()
    assert foreign.description != "hijack"


def test_texts_with_a_nul_character_are_refused(bob) -> None:
    with pytest.raises(DomainError) as refused:
        save(resolved_case(), bob, summary="bad\x00text")
    assert refused.value.field == "summary"


def test_the_owner_marks_their_action_done_and_the_timeline_records_it(alice) -> None:
    action = CorrectiveActionFactory(owner=alice)
    action_mark_done(action=action, by=alice)
    action.refresh_from_db()
    assert action.status == ActionStatus.DONE and action.completed_at is not None
    event = CaseEvent.objects.get(case=action.review.case, kind=EventKind.REVIEW)
    assert event.actor == alice and event.to_value == "Done"


def test_an_executive_cannot_mark_an_action_done_even_one_they_own(erin) -> None:
    action = CorrectiveActionFactory(owner=erin)
    with pytest.raises(PermissionDenied):
        action_mark_done(action=action, by=erin)
    action.refresh_from_db()
    assert action.status == ActionStatus.OPEN


def test_an_executive_cannot_be_made_the_owner_of_a_corrective_action(bob, alice, erin) -> None:
    case = resolved_case()
    due = timezone.localdate() + timedelta(days=3)
    with pytest.raises(DomainError) as refused:
        save(case, bob, actions=[ActionInput(description="Watch it", owner=erin, due_on=due)])
    assert refused.value.field == "actions"
    assert not CorrectiveAction.objects.exists()
    action = CorrectiveActionFactory(review=ReviewFactory(case=case), owner=alice)
    moved = ActionInput(id=action.pk, description=action.description, owner=erin, due_on=due)
    with pytest.raises(DomainError):
        save(case, bob, actions=[moved])
    action.refresh_from_db()
    assert action.owner == alice


def test_an_executive_may_take_part_in_a_review_meeting(bob, erin) -> None:
    review = save(resolved_case(), bob, participants=[erin])
    assert list(review.participants.all()) == [erin]


def test_someone_else_cannot_mark_an_action_done(alice, charlie) -> None:
    action = CorrectiveActionFactory(owner=alice)
    with pytest.raises(PermissionDenied):
        action_mark_done(action=action, by=charlie)
    action.refresh_from_db()
    assert action.status == ActionStatus.OPEN


def test_an_owner_without_a_staff_role_cannot_mark_it_done(nora) -> None:
    action = CorrectiveActionFactory(owner=nora)
    with pytest.raises(PermissionDenied):
        action_mark_done(action=action, by=nora)


def test_a_manager_may_mark_anyones_action_done(bob, alice) -> None:
    action = CorrectiveActionFactory(owner=alice)
    assert action_mark_done(action=action, by=bob).status == ActionStatus.DONE


def test_marking_done_twice_records_one_event(alice) -> None:
    action = CorrectiveActionFactory(owner=alice)
    action_mark_done(action=action, by=alice)
    action_mark_done(action=action, by=alice)
    assert CaseEvent.objects.filter(kind=EventKind.REVIEW).count() == 1


def test_a_cancelled_action_cannot_be_marked_done_by_its_owner(alice) -> None:
    action = CorrectiveActionFactory(owner=alice, status=ActionStatus.CANCELLED)
    with pytest.raises(DomainError, match="cancelled"):
        action_mark_done(action=action, by=alice)


def test_reviews_are_ordered_by_due_date() -> None:
    later = ReviewFactory(due_on=date(2030, 1, 2))
    sooner = ReviewFactory(due_on=date(2030, 1, 1))
    assert list(Review.objects.all()) == [sooner, later]
