"""Subscribing to the weekly report's PDF, and its delivery through the outbox: once per
subscriber and week, logged with the outbox's state of its message, against a real SMTP server."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from escalation.errors import DomainError
from escalation.users import user_language_set
from reports.models import DeliveryOutcome, ReportSubscription, SubscriptionKind
from reports.subscriptions import deliveries_of, subscription_set, weekly_report_deliver
from reports.tasks import weekly_report_deliver as weekly_report_deliver_task
from sla.models import MailStatus, OutgoingAttachment, OutgoingMail
from sla.outbox import outbox_send
from tests.conftest import client_for
from tests.factories import UserFactory
from tests.reports.conftest import NOW, Fortnight
from tests.sla.smtp import SmtpServer, smtp_server_fixture  # noqa: F401 - smtp_server
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


def outbox_run() -> None:
    """What the mail workers do with the queued messages."""
    pending = OutgoingMail.objects.filter(status=MailStatus.PENDING).order_by("pk")
    outbox_send(mail_ids=list(pending.values_list("pk", flat=True)))


def log() -> list[tuple[str, str, str, str | None]]:
    return [
        (d.subscription.user.username, d.period, d.outcome, d.mail_status)
        for d in deliveries_of(period="2026-W10", kind=WEEKLY).order_by(
            "subscription__user__username"
        )
    ]


@pytest.mark.django_db
def test_each_subscriber_gets_last_weeks_pdf_once_through_the_outbox(
    subscribed: list[Any], settings: Any, smtp_server: SmtpServer
) -> None:
    assert weekly_report_deliver_task.run() == 2
    # Queued, not sent yet: the log says so.
    assert log() == [
        ("bob", "2026-W10", DeliveryOutcome.SENDING, MailStatus.PENDING),
        ("erin", "2026-W10", DeliveryOutcome.SENDING, MailStatus.PENDING),
    ]
    # The task running twice (a second beat, a redelivered task) queues nothing more.
    assert weekly_report_deliver_task.run() == 0
    outbox_run()
    outbox_run()
    assert sorted(m.to for m in smtp_server.received) == ["bob@example.com", "erin@example.com"]
    received = smtp_server.received[0]
    # (A long non-ASCII subject is folded on the wire; the reader sees it unfolded.)
    assert received.subject.strip() == "Weekly escalation report, Week 10, 2–8 Mar 2026"
    assert received.message is not None
    [pdf] = list(received.message.iter_attachments())
    assert (pdf.get_filename(), pdf.get_content_type()) == (
        "escalations-2026-W10.pdf",
        "application/pdf",
    )
    assert pdf.get_content().startswith(b"%PDF")
    # The summary opens the mail, each sentence with its absolute link.
    assert "The largest change against last week: SLA breaches worsened from 1 to 4." in (
        received.body
    )
    assert f"{settings.SITE_URL}/reports/weekly/2026-W10/cases/?metric=breaches" in received.body
    assert log() == [
        ("bob", "2026-W10", DeliveryOutcome.SENDING, MailStatus.SENT),
        ("erin", "2026-W10", DeliveryOutcome.SENDING, MailStatus.SENT),
    ]


@pytest.mark.django_db
def test_each_subscriber_reads_the_mail_and_the_pdf_in_their_language(
    subscribed: list[Any], smtp_server: SmtpServer
) -> None:
    erin, bob = subscribed
    user_language_set(user=erin, language="it")
    user_language_set(user=bob, language="en-gb")
    weekly_report_deliver(now=NOW)
    outbox_run()
    received = {m.to: m for m in smtp_server.received}
    italian, english = received["erin@example.com"], received["bob@example.com"]
    assert italian.subject.strip().startswith("Report settimanale delle escalation, ")
    assert "In breve:" in italian.body
    assert english.subject.strip().startswith("Weekly escalation report, ")
    assert "In short:" in english.body
    assert italian.message is not None and english.message is not None
    [it_pdf] = list(italian.message.iter_attachments())
    [en_pdf] = list(english.message.iter_attachments())
    assert it_pdf.get_content().startswith(b"%PDF") and en_pdf.get_content().startswith(b"%PDF")
    assert it_pdf.get_content() != en_pdf.get_content()


@pytest.mark.django_db
def test_who_stopped_being_a_reader_gets_nothing(
    subscribed: list[Any], smtp_server: SmtpServer
) -> None:
    erin = subscribed[0]
    erin.groups.clear()
    weekly_report_deliver(now=NOW)
    outbox_run()
    assert [m.to for m in smtp_server.received] == ["bob@example.com"]


@pytest.mark.django_db
def test_a_refused_delivery_shows_the_outbox_failure_and_is_not_queued_again(
    subscribed: list[Any], smtp_server: SmtpServer
) -> None:
    smtp_server.refuse["erin@example.com"] = "550 No such user"
    weekly_report_deliver(now=NOW)
    outbox_run()
    assert [m.to for m in smtp_server.received] == ["bob@example.com"]
    assert log() == [
        ("bob", "2026-W10", DeliveryOutcome.SENDING, MailStatus.SENT),
        ("erin", "2026-W10", DeliveryOutcome.SENDING, MailStatus.FAILED),
    ]
    [erin] = [d for d in deliveries_of(period="2026-W10", kind=WEEKLY) if d.mail_error]
    assert "No such user" in erin.mail_error
    assert weekly_report_deliver(now=NOW).queued == 0


@pytest.mark.django_db
def test_the_outbox_keeps_the_pdf_with_each_message(subscribed: list[Any]) -> None:
    weekly_report_deliver(now=NOW)
    files = OutgoingAttachment.objects.select_related("mail").order_by("mail__to")
    assert [(f.mail.to, f.filename) for f in files] == [
        ("bob@example.com", "escalations-2026-W10.pdf"),
        ("erin@example.com", "escalations-2026-W10.pdf"),
    ]
    assert not any(f.mail.fold for f in files)


@pytest.mark.django_db(transaction=True)
def test_two_runs_at_once_queue_each_subscriber_one_mail(subscribed: list[Any]) -> None:
    errors = in_threads(
        lambda: weekly_report_deliver(now=NOW), lambda: weekly_report_deliver(now=NOW)
    )
    assert not errors
    assert sorted(OutgoingMail.objects.values_list("to", flat=True)) == [
        "bob@example.com",
        "erin@example.com",
    ]


@pytest.mark.django_db
def test_the_admin_log_shows_each_deliverys_mail_and_operators_cannot_read_it(
    subscribed: list[Any], smtp_server: SmtpServer, alice: Any
) -> None:
    weekly_report_deliver_task.run()
    outbox_run()
    url = reverse("admin:reports_reportdelivery_changelist")
    root = client_for(UserFactory(username="root", is_staff=True, is_superuser=True))
    page = root.get(url)
    assert page.status_code == 200
    rows = list(page.context["cl"].result_list)
    assert sorted((d.period, d.mail_status) for d in rows) == [
        ("2026-W10", MailStatus.SENT),
        ("2026-W10", MailStatus.SENT),
    ]
    assert "field-mail_status" in page.content.decode()
    assert client_for(alice).get(url).status_code == 302  # to the admin's login
