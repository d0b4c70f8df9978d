"""Subscribing to the weekly report's PDF, and its delivery: once per subscriber and week,
logged, retried after a failure."""

from __future__ import annotations

from typing import Any

import pytest
from celery.exceptions import Retry
from django.core import mail
from django.test import Client
from django.urls import reverse

from escalation.errors import DomainError
from reports.models import DeliveryOutcome, ReportDelivery, ReportSubscription, SubscriptionKind
from reports.subscriptions import DELIVERY_MAX_ATTEMPTS, subscription_set, weekly_report_deliver
from reports.tasks import weekly_report_deliver as weekly_report_deliver_task
from tests.conftest import client_for
from tests.reports.conftest import NOW, Fortnight
from tests.threads import in_threads

WEEKLY = SubscriptionKind.WEEKLY_REPORT


@pytest.fixture(autouse=True)
def _now(time_machine) -> None:  # type: ignore[no-untyped-def]
    time_machine.move_to(NOW, tick=False)


def post(client: Client, **data: str) -> Any:
    return client.post(reverse("reports:subscription"), data)


# --- Subscribing ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_an_executive_subscribes_and_unsubscribes_on_the_reports_page(erin: Any) -> None:
    client = client_for(erin)
    page = client.get(reverse("reports:index"))
    assert b'data-subscription="weekly_report"' in page.content
    response = post(client, kind=WEEKLY, active="1")
    assert response.status_code == 302 and response.url == reverse("reports:index")
    subscription = ReportSubscription.objects.get(user=erin, kind=WEEKLY)
    assert subscription.active
    page = client.get(reverse("reports:index"))
    assert "You will receive the Weekly report (PDF) by email." in page.content.decode()
    post(client, kind=WEEKLY, active="0")
    subscription.refresh_from_db()
    assert not subscription.active
    assert ReportSubscription.objects.count() == 1


@pytest.mark.django_db
def test_a_manager_may_subscribe_to_the_monthly_statements(bob: Any) -> None:
    post(client_for(bob), kind=SubscriptionKind.MONTHLY_STATEMENTS, active="1")
    assert ReportSubscription.objects.get(user=bob).kind == SubscriptionKind.MONTHLY_STATEMENTS


@pytest.mark.django_db
def test_operators_and_people_without_a_role_cannot_subscribe(alice: Any, nora: Any) -> None:
    for person in (alice, nora):
        assert post(client_for(person), kind=WEEKLY, active="1").status_code == 403
        with pytest.raises(DomainError):
            subscription_set(user=person, kind=WEEKLY, active=True, now=NOW)
    assert not ReportSubscription.objects.exists()


@pytest.mark.django_db
def test_a_subscription_needs_a_known_kind_and_the_csrf_token(erin: Any) -> None:
    response = post(client_for(erin), kind="daily_gossip", active="1")
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(erin)
    assert post(strict, kind=WEEKLY, active="1").status_code == 403
    assert not ReportSubscription.objects.exists()


# --- Delivering -------------------------------------------------------------------------------


@pytest.fixture
def subscribed(fortnight: Fortnight, erin: Any, bob: Any, alice: Any) -> list[Any]:
    for person in (erin, bob):
        subscription_set(user=person, kind=WEEKLY, active=True, now=NOW)
    # Unsubscribed, and subscribed to the other kind: neither gets the weekly report.
    subscription_set(user=erin, kind=SubscriptionKind.MONTHLY_STATEMENTS, active=True, now=NOW)
    return [erin, bob]


@pytest.mark.django_db
def test_each_subscriber_gets_last_weeks_pdf_once(subscribed: list[Any], settings: Any) -> None:
    run = weekly_report_deliver(now=NOW)
    assert (run.sent, run.failed, run.remaining) == (2, 0, 0)
    assert sorted(m.to[0] for m in mail.outbox) == ["bob@example.com", "erin@example.com"]
    message = mail.outbox[0]
    assert message.subject == "Weekly escalation report, Week 10, 2–8 Mar 2026"
    [(name, content, mimetype)] = message.attachments
    assert (name, mimetype) == ("escalations-2026-W10.pdf", "application/pdf")
    assert content.startswith(b"%PDF")
    # The summary opens the mail, each sentence with its absolute link.
    assert "The largest change against last week: SLA breaches worsened from 1 to 4." in (
        message.body
    )
    assert f"{settings.SITE_URL}/reports/weekly/2026-W10/cases/?metric=breaches" in message.body
    log = ReportDelivery.objects.order_by("subscription__user__username")
    assert [(d.subscription.user, d.period, d.outcome) for d in log] == [
        (subscribed[1], "2026-W10", DeliveryOutcome.SENT),
        (subscribed[0], "2026-W10", DeliveryOutcome.SENT),
    ]
    assert all(d.sent_at == NOW and d.attempts == 1 for d in log)
    # Run again (a second beat, a redelivered task): nothing more is sent.
    again = weekly_report_deliver(now=NOW)
    assert (again.sent, len(mail.outbox), ReportDelivery.objects.count()) == (0, 2, 2)


@pytest.mark.django_db
def test_who_stopped_being_a_reader_gets_nothing(subscribed: list[Any]) -> None:
    erin = subscribed[0]
    erin.groups.clear()
    weekly_report_deliver(now=NOW)
    assert [m.to for m in mail.outbox] == [["bob@example.com"]]


@pytest.mark.django_db
def test_a_failed_delivery_is_logged_and_sent_by_the_retry(
    subscribed: list[Any], settings: Any
) -> None:
    # A real mail server that is not there: nothing listens on port 1.
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 1, 2
    with pytest.raises(Retry):
        weekly_report_deliver_task.run()
    failed = list(ReportDelivery.objects.all())
    assert {d.outcome for d in failed} == {DeliveryOutcome.FAILED}
    assert all("refused" in d.error.lower() and d.attempts == 1 for d in failed)
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert weekly_report_deliver_task.run() == 2
    assert len(mail.outbox) == 2
    assert {(d.outcome, d.attempts, d.error) for d in ReportDelivery.objects.all()} == {
        (DeliveryOutcome.SENT, 2, "")
    }


@pytest.mark.django_db
def test_a_delivery_stops_after_its_last_attempt(subscribed: list[Any], settings: Any) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 1, 2
    for _ in range(DELIVERY_MAX_ATTEMPTS):
        weekly_report_deliver(now=NOW)
    last = weekly_report_deliver(now=NOW)
    assert (last.sent, last.failed, last.remaining) == (0, 0, 0)
    assert set(ReportDelivery.objects.values_list("attempts", flat=True)) == {DELIVERY_MAX_ATTEMPTS}


@pytest.mark.django_db(transaction=True)
def test_two_runs_at_once_send_each_subscriber_one_mail(subscribed: list[Any]) -> None:
    errors = in_threads(
        lambda: weekly_report_deliver(now=NOW), lambda: weekly_report_deliver(now=NOW)
    )
    assert not errors
    assert sorted(m.to[0] for m in mail.outbox) == ["bob@example.com", "erin@example.com"]
    assert ReportDelivery.objects.filter(outcome=DeliveryOutcome.SENT).count() == 2
