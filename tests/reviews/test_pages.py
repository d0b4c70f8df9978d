"""The reviews pages: who may read and write what, and what they show."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from cases.models import CaseEvent, EventKind, Severity
from reviews.models import ActionStatus, CorrectiveAction, Review
from tests.conftest import client_for
from tests.factories import CaseFactory
from tests.reviews.factories import CorrectiveActionFactory, ReviewFactory, resolved_case

pytestmark = pytest.mark.django_db


def review_url(case) -> str:  # type: ignore[no-untyped-def]
    return reverse("reviews:review", kwargs={"reference": case.reference})


def form_data(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "meeting_on": timezone.localdate().isoformat(),
        "summary": "Certificate expired.",
        "went_well": "",
        "went_badly": "",
        "lessons": "",
        "actions-TOTAL_FORMS": "1",
        "actions-INITIAL_FORMS": "0",
        "actions-MIN_NUM_FORMS": "0",
        "actions-MAX_NUM_FORMS": "1000",
        "actions-0-id": "",
        "actions-0-description": "",
        "actions-0-owner": "",
        "actions-0-due_on": "",
        "actions-0-status": "open",
    }
    data.update(overrides)
    return data


@pytest.fixture
def alices_resolved_case(alice, service_desk):  # type: ignore[no-untyped-def]
    return resolved_case(severity=Severity.S1, raised_by=alice, team=service_desk)


# --- The review page ------------------------------------------------------------------------


def test_a_manager_saves_a_review_with_a_new_action(bob, alice, alices_resolved_case) -> None:
    case = alices_resolved_case
    due = (timezone.localdate() + timedelta(days=7)).isoformat()
    client = client_for(bob)
    response = client.post(
        review_url(case),
        form_data(
            participants=[str(alice.pk), str(bob.pk)],
            **{
                "actions-0-description": "Monitor certificate expiry",
                "actions-0-owner": str(alice.pk),
                "actions-0-due_on": due,
            },
        ),
    )
    assert response.status_code == 302 and response["Location"] == review_url(case)
    review = Review.objects.get(case=case)
    assert review.summary == "Certificate expired."
    assert set(review.participants.all()) == {alice, bob}
    [action] = CorrectiveAction.objects.filter(review=review)
    assert action.owner == alice and action.status == ActionStatus.OPEN
    assert CaseEvent.objects.filter(case=case, kind=EventKind.REVIEW).count() == 1
    page = client.get(review_url(case)).content.decode()
    assert "Monitor certificate expiry" in page and "is saved" in page


def test_the_manager_edits_an_existing_action_through_the_formset(
    bob, alice, charlie, other_team
) -> None:
    case = resolved_case(team=other_team)
    action = CorrectiveActionFactory(review=ReviewFactory(case=case), owner=alice)
    response = client_for(bob).post(
        review_url(case),
        form_data(
            **{
                "actions-TOTAL_FORMS": "2",
                "actions-INITIAL_FORMS": "1",
                "actions-0-id": str(action.pk),
                "actions-0-description": action.description,
                "actions-0-owner": str(charlie.pk),
                "actions-0-due_on": action.due_on.isoformat(),
                "actions-0-status": "in_progress",
                "actions-1-status": "open",
            }
        ),
    )
    assert response.status_code == 302
    action.refresh_from_db()
    assert (action.owner, action.status) == (charlie, ActionStatus.IN_PROGRESS)


def test_bad_input_shows_form_errors_and_saves_nothing(bob, alice, alices_resolved_case) -> None:
    case = alices_resolved_case
    response = client_for(bob).post(
        review_url(case),
        form_data(
            meeting_on="not a date",
            **{"actions-0-description": "Half filled", "actions-0-owner": str(alice.pk)},
        ),
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "was not saved" in page and "Enter a valid date" in page
    assert "This field is required" in page  # the action's due date
    assert not Review.objects.exists()


def test_a_refused_rule_comes_back_as_a_form_error(bob, alices_resolved_case) -> None:
    response = client_for(bob).post(
        review_url(alices_resolved_case), form_data(meeting_on="", completed="on")
    )
    assert response.status_code == 400
    assert "meeting date and a summary" in response.content.decode()
    assert not Review.objects.exists()


def test_an_operator_reads_the_review_of_their_teams_case_but_cannot_post(
    alice, alices_resolved_case
) -> None:
    case = alices_resolved_case
    ReviewFactory(case=case, summary="Root cause was an expired certificate.")
    client = client_for(alice)
    page = client.get(review_url(case))
    assert page.status_code == 200
    assert "Root cause was an expired certificate." in page.content.decode()
    assert '<form method="post" novalidate>' not in page.content.decode()
    refused = client.post(review_url(case), form_data(summary="Operator was here"))
    assert refused.status_code == 403
    assert Review.objects.get(case=case).summary == "Root cause was an expired certificate."


def test_the_review_form_offers_no_executive_as_an_action_owner(
    bob, alice, erin, alices_resolved_case
) -> None:
    case = alices_resolved_case
    client = client_for(bob)
    form = client.get(review_url(case)).context["formset"].forms[0]
    owners = [pk for pk, _ in form.fields["owner"].choices if pk]
    assert alice.pk in owners and bob.pk in owners and erin.pk not in owners
    participants = [
        pk for pk, _ in client.get(review_url(case)).context["form"].fields["participants"].choices
    ]
    assert erin.pk in participants
    due = (timezone.localdate() + timedelta(days=7)).isoformat()
    response = client.post(
        review_url(case),
        form_data(
            **{
                "actions-0-description": "Watch the dashboards",
                "actions-0-owner": str(erin.pk),
                "actions-0-due_on": due,
            }
        ),
    )
    assert response.status_code == 400
    assert not CorrectiveAction.objects.exists()


def test_an_executive_cannot_mark_their_action_done(erin) -> None:
    action = CorrectiveActionFactory(owner=erin)
    response = client_for(erin).post(reverse("reviews:action_done", kwargs={"pk": action.pk}))
    assert response.status_code == 403
    action.refresh_from_db()
    assert action.status == ActionStatus.OPEN


def test_an_operator_gets_404_for_another_teams_case(charlie, alices_resolved_case) -> None:
    case = alices_resolved_case
    ReviewFactory(case=case)
    client = client_for(charlie)
    assert client.get(review_url(case)).status_code == 404
    assert client.post(review_url(case), form_data()).status_code == 404


def test_an_executive_reads_but_cannot_post(erin, alices_resolved_case) -> None:
    case = alices_resolved_case
    ReviewFactory(case=case, summary="Kept short.")
    client = client_for(erin)
    assert "Kept short." in client.get(review_url(case)).content.decode()
    assert client.post(review_url(case), form_data()).status_code == 403


def test_a_person_without_a_role_is_refused(nora, alices_resolved_case) -> None:
    assert client_for(nora).get(review_url(alices_resolved_case)).status_code == 403


def test_an_unresolved_case_has_no_review_form(bob, alice, service_desk) -> None:
    case = CaseFactory(raised_by=alice, team=service_desk)
    page = client_for(bob).get(review_url(case)).content.decode()
    assert "not resolved yet" in page
    response = client_for(bob).post(review_url(case), form_data())
    assert response.status_code == 400
    assert not Review.objects.exists()


def test_an_unknown_reference_is_404(bob) -> None:
    assert client_for(bob).get(reverse("reviews:review", args=["ESC-999999"])).status_code == 404
    assert client_for(bob).get(reverse("reviews:review", args=["nonsense"])).status_code == 404


def test_the_review_page_costs_the_same_queries_for_many_actions(
    bob, django_assert_max_num_queries
) -> None:
    review = ReviewFactory()
    CorrectiveActionFactory(review=review)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_for(bob)
    with CaptureQueriesContext(connection) as few:
        client.get(review_url(review.case))
    for _ in range(15):
        CorrectiveActionFactory(review=review)
    with django_assert_max_num_queries(len(few)):
        assert client.get(review_url(review.case)).status_code == 200


# --- Marking an action done ------------------------------------------------------------------


def done_url(action) -> str:  # type: ignore[no-untyped-def]
    return reverse("reviews:action_done", kwargs={"pk": action.pk})


def test_the_owner_marks_an_action_done_from_their_list(alice) -> None:
    action = CorrectiveActionFactory(owner=alice)
    client = client_for(alice)
    mine = client.get(reverse("reviews:actions_mine")).content.decode()
    assert action.description in mine and "Mark done" in mine
    response = client.post(done_url(action), {"next": reverse("reviews:actions_mine")})
    assert response.status_code == 302
    action.refresh_from_db()
    assert action.status == ActionStatus.DONE


def test_another_operator_cannot_mark_it_done(alice, charlie) -> None:
    action = CorrectiveActionFactory(owner=alice)
    assert client_for(charlie).post(done_url(action)).status_code == 403
    action.refresh_from_db()
    assert action.status == ActionStatus.OPEN


def test_marking_done_ignores_an_outside_next_address(alice) -> None:
    action = CorrectiveActionFactory(owner=alice)
    response = client_for(alice).post(done_url(action), {"next": "https://evil.example/"})
    assert response["Location"] == reverse("reviews:actions_mine")


def test_marking_a_missing_action_done_is_404(alice) -> None:
    assert client_for(alice).post("/learning/actions/999999/done/").status_code == 404


# --- Lists and overview pages ----------------------------------------------------------------


def test_the_review_list_filters_due_overdue_and_done(bob) -> None:
    today = timezone.localdate()
    due = ReviewFactory(due_on=today + timedelta(days=2))
    overdue = ReviewFactory(due_on=today - timedelta(days=2))
    done = ReviewFactory(due_on=today - timedelta(days=9), completed_at=timezone.now())
    client = client_for(bob)

    def shown(state: str) -> set[str]:
        page = client.get(reverse("reviews:list"), {"state": state}).content.decode()
        return {r.case.reference for r in (due, overdue, done) if r.case.reference in page}

    assert shown("due") == {due.case.reference}
    assert shown("overdue") == {overdue.case.reference}
    assert shown("done") == {done.case.reference}
    assert shown("all") == {due.case.reference, overdue.case.reference, done.case.reference}
    assert shown("nonsense") == shown("all")


def test_the_dashboard_shows_reviews_and_actions_due(bob, alice) -> None:
    review = ReviewFactory(due_on=timezone.localdate() - timedelta(days=1))
    CorrectiveActionFactory(
        review=review,
        owner=alice,
        description="Rotate the keys",
        due_on=timezone.localdate() + timedelta(days=3),
    )
    page = client_for(bob).get(reverse("reviews:dashboard")).content.decode()
    assert review.case.reference in page
    assert "Rotate the keys" in page
    assert "1 overdue" in page


def test_patterns_and_risk_pages_render_for_executives(erin) -> None:
    CaseFactory(severity=Severity.S1)
    client = client_for(erin)
    assert client.get(reverse("reviews:patterns")).status_code == 200
    risk = client.get(reverse("reviews:risk"))
    assert risk.status_code == 200 and "1 open S1 case" in risk.content.decode()


# --- The related-cases partial ---------------------------------------------------------------


def test_the_related_partial_for_a_draft(alice, service_desk) -> None:
    CaseFactory(title="Payroll export fails", raised_by=alice, team=service_desk)
    response = client_for(alice).get(
        reverse("reviews:related"), {"title": "Payroll export fails on Monday"}
    )
    assert response.status_code == 200
    assert "Payroll export fails" in response.content.decode()


def test_the_related_partial_for_a_case_is_404_when_the_case_is_not_visible(
    charlie, alice, service_desk
) -> None:
    case = CaseFactory(title="Payroll export fails", raised_by=alice, team=service_desk)
    client = client_for(charlie)
    assert client.get(reverse("reviews:related"), {"case": case.reference}).status_code == 404


def test_the_related_partial_for_a_case_lists_its_relatives(bob) -> None:
    case = CaseFactory(title="Payroll export fails")
    twin = CaseFactory(title="Payroll export fails again", customer=case.customer)
    page = client_for(bob).get(reverse("reviews:related"), {"case": case.reference})
    assert twin.reference in page.content.decode()


def test_the_related_partial_answers_bad_input_with_400(bob) -> None:
    response = client_for(bob).get(reverse("reviews:related"), {"customer": "abc"})
    assert response.status_code == 400
    assert "customer" in response.content.decode()


def test_the_related_partial_escapes_titles(bob) -> None:
    CaseFactory(title="<script>alert('x')</script> payroll export")
    page = client_for(bob).get(reverse("reviews:related"), {"title": "payroll export"})
    assert "<script>alert" not in page.content.decode()
    assert "&lt;script&gt;" in page.content.decode()
