"""A manager runs the review of a resolved S1 case in the browser, assigns a corrective action
and finds it on the dashboard."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from cases.models import Severity, Status
from reviews.models import ActionStatus, CorrectiveAction, Review
from reviews.services import review_on_case_resolved
from reviews.surveys import survey_link
from sla.models import CaseClock, ClockKind
from tests.factories import CaseFactory
from tests.reviews.factories import SurveyFactory, resolved_case

pytestmark = [pytest.mark.integration, pytest.mark.browser]

SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"


def shot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"review-journey-{name}.png", full_page=True)


@pytest.mark.django_db(transaction=True)
def test_a_manager_reviews_a_resolved_s1_case_and_sees_the_action_on_the_dashboard(
    live_server, page: Page, bob, alice, service_desk, password
) -> None:
    case = resolved_case(
        severity=Severity.S1,
        title="Payment gateway: webhooks fail with 401",
        raised_by=alice,
        team=service_desk,
    )
    review_on_case_resolved(case=case, by=bob)  # what resolving it did: the review is due
    # Some open work of the service desk, so the dashboard has something at risk.
    breached = CaseFactory(
        title="Customer portal: returns 503",
        severity=Severity.S1,
        status=Status.IN_PROGRESS,
        team=service_desk,
        owner=alice,
    )
    now = timezone.now()
    CaseClock.objects.create(
        case=breached,
        kind=ClockKind.RESOLUTION,
        target_seconds=3600,
        started_at=now - timedelta(hours=2),
        due_at=now - timedelta(minutes=30),
        warn_at=now - timedelta(hours=1),
    )
    CaseFactory(title="Mobile app: login loops", team=service_desk, status=Status.NEW)
    due = timezone.localdate() + timedelta(days=5)

    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill("bob")
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    # The manager lands on the dashboard, where the review waits.
    expect(page).to_have_url(f"{live_server.url}/learning/")
    reviews = page.get_by_role("region", name="Reviews due")
    expect(reviews).to_contain_text(case.reference)
    expect(page.get_by_role("region", name="At risk now")).to_contain_text(breached.reference)
    expect(page.get_by_role("region", name="Customers at risk")).to_contain_text("open S1")
    shot(page, "1-dashboard-review-due")

    reviews.get_by_role("link", name=f"Review {case.reference}").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(case.reference)
    page.get_by_label("Meeting date").fill(timezone.localdate().isoformat())
    page.get_by_label("Participants").select_option(label=["Alice", "Bob"])
    page.get_by_label("Summary").fill("Webhook secret rotated without telling the gateway.")
    page.get_by_label("What went well").fill("Diagnosed within the hour.")
    page.get_by_label("What went badly").fill("Nobody owned the secret rotation.")
    page.get_by_label("Lessons learned").fill("Rotate secrets with a checklist.")
    page.locator("#id_actions-0-description").fill("Write the secret rotation checklist")
    page.locator("#id_actions-0-owner").select_option(label="Alice")
    page.locator("#id_actions-0-due_on").fill(due.isoformat())
    # A second, empty row can be added and is ignored when left blank.
    page.get_by_role("button", name="Add another action").click()
    expect(page.locator("#id_actions-1-description")).to_be_focused()
    shot(page, "2-review-form")
    page.get_by_role("button", name="Save review").click()

    expect(page.get_by_role("alert")).to_contain_text("is saved")
    shot(page, "3-review-saved")
    review = Review.objects.get(case=case)
    assert review.summary.startswith("Webhook secret")
    [action] = CorrectiveAction.objects.filter(review=review)
    assert (action.owner, action.due_on, action.status) == (alice, due, ActionStatus.OPEN)

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Dashboard").click()
    actions = page.get_by_role("region", name="Corrective actions due")
    expect(actions).to_contain_text("Write the secret rotation checklist")
    expect(actions).to_contain_text("Alice")
    shot(page, "4-dashboard-action-due")


@pytest.mark.django_db(transaction=True)
def test_a_customer_rates_the_resolution_through_the_emailed_link_once(
    live_server, page: Page, settings
) -> None:
    settings.SITE_URL = live_server.url
    survey = SurveyFactory(case=resolved_case(title="Email service: down after maintenance"))
    link = survey_link(survey=survey)

    page.goto(link)
    expect(page.get_by_role("heading", level=1)).to_have_text("How did we do?")
    page.get_by_label("4 · Satisfied").check()
    page.get_by_label("Anything you would like to tell us?").fill("Quick, but tell us sooner.")
    shot(page, "5-satisfaction-form")
    page.get_by_role("button", name="Send my answer").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Thank you")
    survey.refresh_from_db()
    assert survey.score == 4

    # The same link again: refused with an explanation, nothing changes.
    response = page.goto(link)
    assert response is not None and response.status == 410
    expect(page.get_by_role("heading", level=1)).to_contain_text("already have your answer")
    shot(page, "6-satisfaction-reused")
