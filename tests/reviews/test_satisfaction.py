"""The customer's satisfaction link: signed, expiring, single-use, no login."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings
from django.core import signing
from django.db import connection, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from cases.models import Case, CaseEvent, EventKind
from escalation.errors import DomainError
from reviews.models import SatisfactionSurvey
from reviews.surveys import SALT, SurveyLinkError, survey_answer, survey_link, survey_schedule
from sla.models import MailStatus, OutgoingMail
from sla.tasks import mail_redispatch
from tests.factories import ContactFactory
from tests.reviews.factories import SurveyFactory, resolved_case

AMS = ZoneInfo("Europe/Amsterdam")
pytestmark = pytest.mark.django_db


def case_with_contact(**kwargs: Any) -> Case:
    contact = ContactFactory(email="pat@example.org")
    return resolved_case(customer=contact.customer, contact=contact, **kwargs)


def token_of(survey: SatisfactionSurvey) -> str:
    return survey_link(survey=survey).rsplit("/satisfaction/", 1)[1].rstrip("/")


def url_of(token: str) -> str:
    return reverse("reviews:satisfaction", kwargs={"token": token})


def csrf_client() -> Client:
    return Client(enforce_csrf_checks=True)


def post_answer(client: Client, token: str, **data: str):  # type: ignore[no-untyped-def]
    page = client.get(url_of(token))
    csrf = page.cookies["csrftoken"].value
    return client.post(url_of(token), {"csrfmiddlewaretoken": csrf, **data})


def test_the_link_opens_the_form_without_a_login() -> None:
    survey = SurveyFactory()
    response = Client().get(url_of(token_of(survey)))
    assert response.status_code == 200
    assert survey.case.reference in response.content.decode()
    assert 'name="score"' in response.content.decode()


def test_answering_records_the_score_once_and_puts_it_on_the_timeline() -> None:
    survey = SurveyFactory()
    client = csrf_client()
    response = post_answer(client, token_of(survey), score="4", comment="Quick and clear.")
    assert response.status_code == 200
    assert "Thank you" in response.content.decode()
    survey.refresh_from_db()
    assert (survey.score, survey.comment) == (4, "Quick and clear.")
    assert survey.answered_at is not None
    event = CaseEvent.objects.get(case=survey.case, kind=EventKind.SATISFACTION)
    assert event.to_value == "4/5" and event.body == "Quick and clear."
    assert event.actor is None and survey.contact_email in event.reason


def test_a_used_link_is_refused_with_410_and_changes_nothing() -> None:
    survey = SurveyFactory()
    token = token_of(survey)
    client = csrf_client()
    post_answer(client, token, score="5")
    again = client.get(url_of(token))
    assert again.status_code == 410
    assert "already have your answer" in again.content.decode()
    resubmit = client.post(url_of(token), {"score": "1"})
    assert resubmit.status_code in (403, 410)  # no CSRF token from a fresh form: refused either way
    survey.refresh_from_db()
    assert survey.score == 5
    assert CaseEvent.objects.filter(kind=EventKind.SATISFACTION).count() == 1


def test_the_service_refuses_a_second_answer() -> None:
    survey = SurveyFactory()
    token = token_of(survey)
    survey_answer(token=token, score=2)
    with pytest.raises(SurveyLinkError) as refused:
        survey_answer(token=token, score=5)
    assert refused.value.status == 410
    survey.refresh_from_db()
    assert survey.score == 2


@pytest.mark.parametrize(
    "mangle",
    [
        lambda t: t[:-2] + ("AA" if not t.endswith("AA") else "BB"),  # altered signature
        lambda t: signing.dumps("token-000000-abcdefghijkl", salt="another.salt"),  # wrong salt
        lambda t: "not-a-token",
        lambda t: signing.dumps("no-such-survey", salt=SALT),  # signed, but no such row
        lambda t: signing.dumps({"token": "x"}, salt=SALT),  # signed, wrong shape
    ],
)
def test_a_forged_link_is_refused_with_400_and_changes_nothing(mangle) -> None:  # type: ignore[no-untyped-def]
    survey = SurveyFactory()
    forged = mangle(token_of(survey))
    client = csrf_client()
    response = client.get(url_of(forged))
    assert response.status_code == 400
    assert "not valid" in response.content.decode()
    assert client.post(url_of(forged), {"score": "5"}).status_code in (400, 403)
    survey.refresh_from_db()
    assert survey.answered_at is None


def test_an_expired_link_is_refused_with_410(settings) -> None:
    settings.SATISFACTION_LINK_DAYS = 14
    with time_machine.travel(datetime(2025, 5, 1, 9, 0, tzinfo=AMS), tick=False):
        survey = SurveyFactory()
        token = token_of(survey)
    with time_machine.travel(datetime(2025, 5, 14, 9, 0, tzinfo=AMS), tick=False):
        assert Client().get(url_of(token)).status_code == 200
    with time_machine.travel(datetime(2025, 5, 15, 9, 1, tzinfo=AMS), tick=False):
        response = Client().get(url_of(token))
        assert response.status_code == 410
        assert "expired" in response.content.decode()
        with pytest.raises(SurveyLinkError):
            survey_answer(token=token, score=5)
    survey.refresh_from_db()
    assert survey.answered_at is None


def test_a_link_to_a_survey_never_sent_is_refused() -> None:
    survey = SurveyFactory(sent_at=None)
    assert Client().get(url_of(token_of(survey))).status_code == 400


def test_the_form_refuses_a_missing_or_out_of_range_score_in_the_page() -> None:
    survey = SurveyFactory()
    token = token_of(survey)
    client = csrf_client()
    for score in ("", "0", "6", "four"):
        response = post_answer(client, token, score=score)
        assert response.status_code == 400
        assert "invalid-feedback" in response.content.decode()
    survey.refresh_from_db()
    assert survey.answered_at is None


def test_the_service_refuses_bad_scores_and_long_comments() -> None:
    token = token_of(SurveyFactory())
    with pytest.raises(DomainError):
        survey_answer(token=token, score=0)
    with pytest.raises(DomainError):
        survey_answer(token=token, score=3, comment="x" * 4001)


def test_the_post_is_csrf_protected() -> None:
    survey = SurveyFactory()
    response = csrf_client().post(url_of(token_of(survey)), {"score": "5"})
    assert response.status_code == 403
    survey.refresh_from_db()
    assert survey.answered_at is None


def test_the_email_goes_through_the_outbox_with_the_link_once_the_change_commits(
    mailoutbox, django_capture_on_commit_callbacks
) -> None:
    case = case_with_contact(title="Checkout fails")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        survey = survey_schedule(case=case)
    assert survey is not None and survey.sent_at is not None
    [waiting] = OutgoingMail.objects.all()
    assert (waiting.to, waiting.status) == ("pat@example.org", MailStatus.PENDING)
    assert mailoutbox == []
    for callback in callbacks:
        callback()
    [message] = mailoutbox
    assert message.to == ["pat@example.org"]
    assert message.subject == f"How did we do on {case.reference}?"
    assert f"We resolved your escalation {case.reference} “Checkout fails”." in message.body
    link = message.body.split("\n\n")[2]
    assert link.startswith("http") and "/learning/satisfaction/" in link
    assert Client().get(link.removeprefix(settings.SITE_URL)).status_code == 200
    sent = CaseEvent.objects.get(case=case, kind=EventKind.SATISFACTION)
    assert sent.data == {"action": "sent", "survey": survey.pk} and sent.actor is None


def test_a_rolled_back_change_leaves_neither_survey_nor_mail(mailoutbox) -> None:
    case = case_with_contact()
    with pytest.raises(RuntimeError), transaction.atomic():
        survey_schedule(case=case)
        raise RuntimeError("the resolution failed")
    assert not SatisfactionSurvey.objects.exists()
    assert not OutgoingMail.objects.exists()
    assert not CaseEvent.objects.filter(kind=EventKind.SATISFACTION).exists()
    assert mailoutbox == []


def test_a_survey_mail_lost_after_the_commit_is_sent_by_the_redispatch_once(
    mailoutbox, monkeypatch, django_capture_on_commit_callbacks
) -> None:
    case = case_with_contact()
    with django_capture_on_commit_callbacks(execute=False):
        survey_schedule(case=case)  # the process died before handing the mail to a worker
    assert mailoutbox == []
    later = timedelta(seconds=settings.MAIL_REDISPATCH_SECONDS + 1)
    with (
        time_machine.travel(timezone.now() + later),
        django_capture_on_commit_callbacks(execute=True),
    ):
        mail_redispatch()
        mail_redispatch()
    [message] = mailoutbox
    assert message.subject == f"How did we do on {case.reference}?"
    assert OutgoingMail.objects.get().status == MailStatus.SENT


@pytest.mark.django_db(transaction=True)
def test_two_submits_at_once_record_one_answer() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("SQLite serialises writers; the race needs PostgreSQL")
    survey = SurveyFactory()
    token = token_of(survey)
    outcomes: list[str] = []
    barrier = threading.Barrier(2)

    def submit(score: int) -> None:
        barrier.wait()
        try:
            survey_answer(token=token, score=score)
            outcomes.append("recorded")
        except SurveyLinkError:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=submit, args=(s,)) for s in (1, 5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(outcomes) == ["recorded", "refused"]
    assert CaseEvent.objects.filter(kind=EventKind.SATISFACTION).count() == 1


def test_the_link_expires_after_the_configured_days_counted_from_sending(settings) -> None:
    settings.SATISFACTION_LINK_DAYS = 2
    with time_machine.travel(datetime(2025, 5, 1, 9, 0, tzinfo=AMS), tick=False):
        survey = SurveyFactory()
        token = token_of(survey)
    with time_machine.travel(datetime(2025, 5, 1, 9, 0, tzinfo=AMS) + timedelta(days=2, minutes=1)):
        assert Client().get(url_of(token)).status_code == 410
