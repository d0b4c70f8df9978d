"""What resolving a case sets off: the review schedule and the satisfaction survey."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.db import transaction

from cases.models import CaseEvent, EventKind, Severity, Status
from cases.services import case_resolve
from reviews.models import Review, SatisfactionSurvey
from reviews.services import review_on_case_resolved
from sla.models import MailStatus, OutgoingMail
from tests.factories import CaseFactory, ContactFactory, RootCauseFactory
from tests.reviews.factories import ReviewFactory, resolved_case

AMS = ZoneInfo("Europe/Amsterdam")
pytestmark = pytest.mark.django_db


def open_case(severity: Severity, **kwargs):  # type: ignore[no-untyped-def]
    return CaseFactory(severity=severity, status=Status.IN_PROGRESS, **kwargs)


@time_machine.travel(datetime(2025, 3, 3, 23, 30, tzinfo=AMS), tick=False)
@pytest.mark.parametrize("severity", [Severity.S1, Severity.S2])
def test_resolving_an_s1_or_s2_case_schedules_a_required_review_due_days_later(
    bob, severity, settings
) -> None:
    settings.REVIEW_DUE_DAYS = 5
    case = open_case(severity)
    case_resolve(case=case, by=bob, summary="Fixed", root_cause=RootCauseFactory())
    review = Review.objects.get(case=case)
    assert review.required
    # Counted in local days: resolved on 3 March (Amsterdam) -> due 8 March.
    assert review.due_on == date(2025, 3, 8)
    event = CaseEvent.objects.get(case=case, kind=EventKind.REVIEW)
    assert event.actor == bob
    assert event.data == {"action": "scheduled", "due_on": "2025-03-08"}


def test_the_due_delay_comes_from_the_setting(bob, settings) -> None:
    settings.REVIEW_DUE_DAYS = 2
    case = open_case(Severity.S1)
    case_resolve(case=case, by=bob, summary="Fixed", root_cause=RootCauseFactory())
    resolved = case.__class__.objects.get(pk=case.pk).resolved_at
    assert Review.objects.get(case=case).due_on - resolved.astimezone(AMS).date() == timedelta(2)


@pytest.mark.parametrize("severity", [Severity.S3, Severity.S4])
def test_resolving_an_s3_or_s4_case_schedules_no_review(bob, severity) -> None:
    case = open_case(severity)
    case_resolve(case=case, by=bob, summary="Fixed", root_cause=RootCauseFactory())
    assert not Review.objects.filter(case=case).exists()
    assert not CaseEvent.objects.filter(case=case, kind=EventKind.REVIEW).exists()


def test_resolving_again_after_a_reopen_moves_the_due_date_of_an_unfinished_review(bob) -> None:
    case = resolved_case(severity=Severity.S1)
    review = ReviewFactory(case=case, due_on=date(2020, 1, 1), last_reminded_on=date(2020, 1, 2))
    review_on_case_resolved(case=case, by=bob)
    review.refresh_from_db()
    assert review.due_on > date(2020, 1, 1)
    assert review.last_reminded_on is None
    assert CaseEvent.objects.get(case=case, kind=EventKind.REVIEW).data["action"] == "rescheduled"
    assert Review.objects.filter(case=case).count() == 1


def test_resolving_again_leaves_a_completed_review_alone(bob) -> None:
    case = resolved_case(severity=Severity.S1)
    review = ReviewFactory(case=case, due_on=date(2020, 1, 1), completed_at=case.resolved_at)
    review_on_case_resolved(case=case, by=bob)
    review.refresh_from_db()
    assert review.due_on == date(2020, 1, 1)
    assert not CaseEvent.objects.filter(case=case, kind=EventKind.REVIEW).exists()


def test_the_contact_gets_a_survey_email_only_once_the_resolution_commits(
    bob, django_capture_on_commit_callbacks
) -> None:
    contact = ContactFactory(email="pat@customer.example")
    case = open_case(Severity.S3, customer=contact.customer, contact=contact)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        case_resolve(case=case, by=bob, summary="Fixed", root_cause=RootCauseFactory())
    survey = SatisfactionSurvey.objects.get(case=case)
    assert survey.contact_email == "pat@customer.example"
    [waiting] = OutgoingMail.objects.filter(to="pat@customer.example")
    assert waiting.status == MailStatus.PENDING and mail.outbox == []
    for callback in callbacks:
        callback()
    [message] = mail.outbox
    assert message.to == ["pat@customer.example"]
    assert case.reference in message.subject
    assert "/learning/satisfaction/" in message.body
    sent = CaseEvent.objects.get(case=case, kind=EventKind.SATISFACTION)
    assert sent.data["action"] == "sent" and sent.actor is None


def test_a_rolled_back_resolution_sends_no_survey(bob, django_capture_on_commit_callbacks) -> None:
    contact = ContactFactory(email="pat@customer.example")
    case = resolved_case(severity=Severity.S1, customer=contact.customer, contact=contact)
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError):
        with transaction.atomic():
            review_on_case_resolved(case=case, by=bob)
            raise RuntimeError("the resolution failed after the hook")
    assert not SatisfactionSurvey.objects.exists()
    assert not Review.objects.exists()
    assert not OutgoingMail.objects.exists()
    assert mail.outbox == []


@pytest.mark.parametrize("email", ["", None])
def test_a_case_without_a_contact_email_gets_no_survey(bob, email) -> None:
    contact = ContactFactory(email="") if email == "" else None
    case = open_case(Severity.S2, contact=contact)
    case_resolve(case=case, by=bob, summary="Fixed", root_cause=RootCauseFactory())
    assert not SatisfactionSurvey.objects.exists()
