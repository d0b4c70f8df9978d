"""The outbox against a real SMTP server (aiosmtpd): mail is written with the change, sent after
it commits, once; a server that is down, slow or refusing an address delays only the messages it
concerns, never the change, and nothing is lost or sent twice.

alice (operator) and bob (manager) are the personas of tests/conftest.py; their addresses are
alice@example.com and bob@example.com.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from celery.exceptions import Retry
from django.core import mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from kombu.exceptions import OperationalError as KombuOperationalError

from cases.models import Status
from cases.services import case_assign, case_raise
from sla import outbox, tasks
from sla.escalation import clocks_escalate_due
from sla.models import (
    CaseClock,
    ClockKind,
    EscalationRecord,
    MailStatus,
    Notification,
    NotificationKind,
    OutgoingMail,
)
from sla.notifications import notification_send
from tests.cases.factories import case_in
from tests.conftest import client_for
from tests.factories import UserFactory
from tests.sla.smtp import SmtpServer, smtp_server_fixture  # noqa: F401 - smtp_server

pytestmark = pytest.mark.django_db
NOON = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
# The real hand-over to the broker: tests/conftest.py sends in the test process instead.
HAND_TO_WORKERS = outbox.mail_dispatch


def queued(*addresses: str, subject: str = "Hello") -> list[int]:
    """Messages in the outbox (not handed to a worker: these tests send them themselves)."""
    rows = outbox.outbox_add(
        mails=[(to, subject, "Body\n") for to in addresses], now=timezone.now()
    )
    return [row.pk for row in rows]


def row(mail_id: int) -> OutgoingMail:
    return OutgoingMail.objects.get(pk=mail_id)


# --- Written with the change, sent after it commits -------------------------------------------


def test_a_notification_puts_one_email_per_active_recipient_with_an_address_in_the_outbox(
    alice, bob
) -> None:
    nobody = UserFactory(username="nobody", email="")
    gone = UserFactory(username="gone", is_active=False)
    notification_send(
        recipients=[alice, bob, nobody, gone, None, alice],
        kind=NotificationKind.OTHER,
        subject="Checkout fails",
        body="ESC-1 Checkout fails",
    )
    assert Notification.objects.count() == 3  # alice, bob, nobody
    rows = OutgoingMail.objects.order_by("to")
    assert [(r.to, r.subject, r.status, r.attempts) for r in rows] == [
        ("alice@example.com", "[Escalation] Checkout fails", MailStatus.PENDING, 0),
        ("bob@example.com", "[Escalation] Checkout fails", MailStatus.PENDING, 0),
    ]
    assert rows[0].body.startswith("ESC-1 Checkout fails\n\nhttp")
    assert mail.outbox == []


def test_a_rolled_back_change_leaves_neither_notifications_nor_mail(alice) -> None:
    with pytest.raises(RuntimeError), transaction.atomic():
        notification_send(recipients=[alice], kind=NotificationKind.OTHER, subject="Never")
        raise RuntimeError("the change failed")
    assert not Notification.objects.exists()
    assert not OutgoingMail.objects.exists()


def test_the_mail_goes_out_only_once_the_change_commits(
    alice, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        notification_send(recipients=[alice], kind=NotificationKind.OTHER, subject="Later")
    [waiting] = OutgoingMail.objects.all()
    assert waiting.status == MailStatus.PENDING and mail.outbox == []
    for callback in callbacks:
        callback()
    [message] = mail.outbox
    assert (message.to, message.subject) == (["alice@example.com"], "[Escalation] Later")
    waiting.refresh_from_db()
    assert (waiting.status, waiting.attempts) == (MailStatus.SENT, 1)
    assert waiting.sent_at is not None and waiting.last_error == ""


def test_the_mail_is_handed_to_workers_in_few_tasks(monkeypatch) -> None:
    sent: list[tuple[str, list[list[int]]]] = []
    monkeypatch.setattr(outbox.app, "send_task", lambda name, args: sent.append((name, args)))
    HAND_TO_WORKERS(list(range(1, outbox.MAIL_TASK_IDS * 2 + 2)))
    assert [name for name, _ in sent] == ["sla.tasks.mail_send"] * 3
    assert [len(args[0]) for _, args in sent] == [outbox.MAIL_TASK_IDS, outbox.MAIL_TASK_IDS, 1]


def test_a_task_sends_its_messages_a_batch_at_a_time(smtp_server: SmtpServer) -> None:
    ids = queued(*(f"reader{n}@example.com" for n in range(outbox.MAIL_BATCH * 2 + 5)))
    assert outbox.outbox_send_many(mail_ids=ids) == ([], [])
    assert len(smtp_server.received) == len(ids) and set(smtp_server.counts().values()) == {1}
    assert {row(i).status for i in ids} == {MailStatus.SENT}


def test_a_task_out_of_time_hands_on_what_it_did_not_start(
    smtp_server: SmtpServer, monkeypatch
) -> None:
    ids = queued(*(f"reader{n}@example.com" for n in range(outbox.MAIL_BATCH + 5)))
    handed: list[list[int]] = []
    monkeypatch.setattr(outbox, "MAIL_TASK_SECONDS", 0)
    monkeypatch.setattr(outbox, "mail_dispatch", lambda mail_ids: handed.append(list(mail_ids)))
    tasks.mail_send(ids)
    # The first batch went; the rest was never claimed and is in a new task.
    assert handed == [ids[outbox.MAIL_BATCH :]]
    assert len(smtp_server.received) == outbox.MAIL_BATCH
    assert {(row(i).status, row(i).attempts) for i in handed[0]} == {(MailStatus.PENDING, 0)}
    tasks.mail_send(handed[0])
    assert len(smtp_server.received) == len(ids) and set(smtp_server.counts().values()) == {1}


def test_an_outage_stops_a_task_before_its_next_batch(smtp_server: SmtpServer) -> None:
    ids = queued(*(f"reader{n}@example.com" for n in range(outbox.MAIL_BATCH + 5)))
    smtp_server.stop()
    retry, rest = outbox.outbox_send_many(mail_ids=ids)
    # Only the first message met the outage; every other waits untried, all retried together.
    assert rest == [] and sorted(retry) == sorted(ids)
    assert [row(i).attempts for i in ids] == [1] + [0] * (len(ids) - 1)
    assert {row(i).status for i in ids} == {MailStatus.PENDING}


# --- The mail server down, then up: the change answers, the mail follows once -------------------


@pytest.mark.django_db(transaction=True)
def test_an_assignment_succeeds_while_the_mail_server_is_down_and_its_mail_follows_once(
    bob, alice, service_desk, smtp_server: SmtpServer
) -> None:
    case = case_in(Status.ACKNOWLEDGED, team=service_desk)
    smtp_server.stop()
    response = client_for(bob).post(
        reverse("cases:assign", args=[case.reference]),
        {"assign-team": service_desk.pk, "assign-owner": alice.pk, "assign-reason": "Yours"},
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.owner == alice
    [waiting] = OutgoingMail.objects.filter(to="alice@example.com")
    assert (waiting.status, waiting.attempts) == (MailStatus.PENDING, 1)
    assert "ConnectionRefusedError" in waiting.last_error
    assert waiting.next_attempt_at > timezone.now()
    assert smtp_server.received == []

    smtp_server.start()
    tasks.mail_send([waiting.pk])  # the task's retry
    tasks.mail_send([waiting.pk])  # delivered twice
    with time_machine.travel(timezone.now() + timedelta(hours=1)):
        tasks.mail_redispatch()  # and the beat finds nothing left to send
    assert list(smtp_server.counts().values()) == [1]
    [(to, subject)] = smtp_server.counts()
    assert to == "alice@example.com" and case.reference in subject
    waiting.refresh_from_db()
    assert (waiting.status, waiting.attempts) == (MailStatus.SENT, 2)


@pytest.mark.django_db(transaction=True)
def test_an_assignment_succeeds_while_the_broker_is_down_and_the_redispatch_sends_its_mail(
    bob, alice, service_desk, smtp_server: SmtpServer, monkeypatch, settings
) -> None:
    case = case_in(Status.ACKNOWLEDGED, team=service_desk)
    send_in_process = outbox.mail_dispatch

    def broker_down(*args: object, **kwargs: object) -> None:
        raise KombuOperationalError("Error 111 connecting to redis:6379. Connection refused.")

    monkeypatch.setattr(outbox, "mail_dispatch", HAND_TO_WORKERS)
    monkeypatch.setattr(outbox.app, "send_task", broker_down)
    response = client_for(bob).post(
        reverse("cases:assign", args=[case.reference]),
        {"assign-team": service_desk.pk, "assign-owner": alice.pk, "assign-reason": "Yours"},
    )
    assert response.status_code == 302
    [waiting] = OutgoingMail.objects.filter(to="alice@example.com")
    assert (waiting.status, waiting.attempts) == (MailStatus.PENDING, 0)

    monkeypatch.setattr(outbox, "mail_dispatch", send_in_process)  # the broker is back
    later = timedelta(seconds=settings.MAIL_REDISPATCH_SECONDS + 1)
    with time_machine.travel(timezone.now() + later):
        tasks.mail_redispatch()
        tasks.mail_redispatch()
    assert [m.to for m in smtp_server.received] == ["alice@example.com"]
    waiting.refresh_from_db()
    assert waiting.status == MailStatus.SENT


def test_an_sla_breach_escalates_while_the_mail_server_is_down_and_everyone_is_mailed_once(
    request, alice, bob, smtp_server: SmtpServer, django_capture_on_commit_callbacks
) -> None:
    desk = request.getfixturevalue("ladder")
    request.getfixturevalue("policy")
    customer = request.getfixturevalue("customer")
    with time_machine.travel(NOON, tick=False):
        case = case_raise(
            raised_by=alice,
            customer=customer,
            title="Checkout fails",
            description="Orders stop at the payment step.",
            severity="S3",
            team=desk,
        )
        case_assign(case=case, by=bob, owner=alice, reason="Yours")
    Notification.objects.all().delete()
    OutgoingMail.objects.all().delete()
    smtp_server.stop()
    response = CaseClock.objects.get(case=case, kind=ClockKind.RESPONSE)
    with time_machine.travel(NOON + timedelta(minutes=61), tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            assert clocks_escalate_due(clock_ids=[response.pk]) == ["breach"]
    assert EscalationRecord.objects.filter(case=case, step="breach").exists()
    mails = OutgoingMail.objects.all()
    assert mails.count() >= 3 and not mails.filter(status=MailStatus.SENT).exists()

    smtp_server.start()
    with time_machine.travel(NOON + timedelta(hours=2), tick=False):
        for _ in range(2):  # two beats: the second finds nothing left
            with django_capture_on_commit_callbacks(execute=True):
                outbox.outbox_redispatch(now=timezone.now())
    told = Notification.objects.filter(case=case).values_list("recipient__email", flat=True)
    assert sorted(m.to for m in smtp_server.received) == sorted(told)
    assert set(smtp_server.counts().values()) == {1}
    assert not mails.exclude(status=MailStatus.SENT).exists()


def test_an_outage_stops_the_batch_and_every_unsent_message_is_retried(
    smtp_server: SmtpServer,
) -> None:
    first, second, third = queued("a@example.com", "b@example.com", "c@example.com")
    smtp_server.stop()
    retry = outbox.outbox_send(mail_ids=[first, second, third])
    # The first failed and goes last; the others were not tried against a server that is down.
    assert retry == [second, third, first]
    assert (row(first).attempts, row(second).attempts, row(third).attempts) == (1, 0, 0)
    assert {row(i).status for i in retry} == {MailStatus.PENDING}

    smtp_server.start()
    assert outbox.outbox_send(mail_ids=retry) == []
    assert outbox.outbox_send(mail_ids=[first, second, third]) == []
    assert sorted(smtp_server.counts().values()) == [1, 1, 1]
    assert {row(i).status for i in (first, second, third)} == {MailStatus.SENT}


def test_the_task_retries_only_the_messages_that_failed(
    smtp_server: SmtpServer, monkeypatch
) -> None:
    smtp_server.refuse["busy@example.com"] = "450 Mailbox busy, try later"
    good, busy = queued("good@example.com", "busy@example.com")
    retried: list[dict[str, object]] = []

    def retry(**options: object) -> Retry:
        retried.append(options)
        return Retry()

    monkeypatch.setattr(tasks.mail_send, "retry", retry)
    with pytest.raises(Retry):
        tasks.mail_send([good, busy])
    [options] = retried
    assert options["args"] == [[busy]]
    assert 5 <= float(options["countdown"]) <= 10  # type: ignore[arg-type]
    assert [m.to for m in smtp_server.received] == ["good@example.com"]
    assert (row(good).status, row(busy).status) == (MailStatus.SENT, MailStatus.PENDING)


# --- One bad address, one bad message: only that one waits or fails -------------------------


def test_a_refused_address_does_not_hold_up_the_others(smtp_server: SmtpServer) -> None:
    smtp_server.refuse["nobody@example.com"] = "550 No such user here"
    ids = queued("alice@example.com", "nobody@example.com", "bob@example.com")
    assert outbox.outbox_send(mail_ids=ids) == []
    assert sorted(m.to for m in smtp_server.received) == ["alice@example.com", "bob@example.com"]
    refused = OutgoingMail.objects.get(to="nobody@example.com")
    # A permanent refusal (5xx): failed for good at once, with the server's answer.
    assert (refused.status, refused.attempts) == (MailStatus.FAILED, 1)
    assert "550" in refused.last_error and "No such user" in refused.last_error


def test_a_temporary_refusal_waits_its_back_off_while_the_others_go(
    smtp_server: SmtpServer,
) -> None:
    smtp_server.refuse["busy@example.com"] = "450 Mailbox busy, try later"
    first, busy, last = queued("a@example.com", "busy@example.com", "c@example.com")
    before = timezone.now()
    assert outbox.outbox_send(mail_ids=[first, busy, last]) == [busy]
    assert sorted(m.to for m in smtp_server.received) == ["a@example.com", "c@example.com"]
    waiting = row(busy)
    assert (waiting.status, waiting.attempts) == (MailStatus.PENDING, 1)
    assert waiting.next_attempt_at >= before + outbox.mail_backoff(1)

    del smtp_server.refuse["busy@example.com"]
    assert outbox.outbox_send(mail_ids=[busy]) == []
    assert sorted(smtp_server.counts().values()) == [1, 1, 1]


def test_a_subject_with_a_line_break_fails_only_its_own_message(smtp_server: SmtpServer) -> None:
    [good] = queued("alice@example.com", subject="Fine")
    [bad] = queued("bob@example.com", subject="x\r\nBcc: everyone@example.com")
    assert outbox.outbox_send(mail_ids=[bad, good]) == []
    assert [(m.to, m.subject) for m in smtp_server.received] == [("alice@example.com", "Fine")]
    assert row(bad).status == MailStatus.FAILED and "BadHeaderError" in row(bad).last_error


# --- Once: claimed before sending, marked sent once ---------------------------------------------


def test_a_message_is_sent_once_however_often_its_task_runs(smtp_server: SmtpServer) -> None:
    ids = queued("alice@example.com", "bob@example.com")
    for _ in range(3):
        assert outbox.outbox_send(mail_ids=ids) == []
    assert sorted(smtp_server.counts().values()) == [1, 1]
    assert {row(i).attempts for i in ids} == {1}


def test_a_message_another_worker_is_sending_is_left_to_it(smtp_server: SmtpServer) -> None:
    [held] = queued("alice@example.com")
    OutgoingMail.objects.filter(pk=held).update(
        status=MailStatus.SENDING, attempts=1, next_attempt_at=timezone.now() + outbox.MAIL_CLAIM
    )
    assert outbox.outbox_send(mail_ids=[held]) == []
    assert smtp_server.received == []
    assert (row(held).status, row(held).attempts) == (MailStatus.SENDING, 1)


def test_a_worker_killed_while_sending_leaves_a_claim_the_redispatch_takes_back_when_it_runs_out(
    smtp_server: SmtpServer, django_capture_on_commit_callbacks
) -> None:
    [held] = queued("alice@example.com")
    start = timezone.now()
    OutgoingMail.objects.filter(pk=held).update(
        status=MailStatus.SENDING, attempts=1, next_attempt_at=start + outbox.MAIL_CLAIM
    )
    with time_machine.travel(start + outbox.MAIL_CLAIM - timedelta(seconds=1)):
        assert outbox.outbox_redispatch(now=timezone.now()) == 0
    with time_machine.travel(start + outbox.MAIL_CLAIM + timedelta(seconds=1)):
        with django_capture_on_commit_callbacks(execute=True):  # hands it out, sent here
            assert outbox.outbox_redispatch(now=timezone.now()) == 1
    assert [m.to for m in smtp_server.received] == ["alice@example.com"]
    assert (row(held).status, row(held).attempts) == (MailStatus.SENT, 2)


# --- Lost tasks, and messages that keep failing --------------------------------------------------


def test_the_redispatch_hands_out_unsent_mail_only_once_its_task_must_be_lost(
    settings, monkeypatch, django_capture_on_commit_callbacks
) -> None:
    handed: list[list[int]] = []
    monkeypatch.setattr(outbox, "mail_dispatch", lambda ids: handed.append(list(ids)))
    [lost] = queued("alice@example.com")
    created = row(lost).created_at
    grace = timedelta(seconds=settings.MAIL_REDISPATCH_SECONDS)
    with django_capture_on_commit_callbacks(execute=True):
        assert outbox.outbox_redispatch(now=created + grace - timedelta(seconds=1)) == 0
    later = created + grace + timedelta(seconds=1)
    with django_capture_on_commit_callbacks(execute=True):
        assert outbox.outbox_redispatch(now=later) == 1
    assert handed == [[lost]]
    # Stamped when handed out: a backlog does not make the next run hand it out again.
    with django_capture_on_commit_callbacks(execute=True):
        assert outbox.outbox_redispatch(now=later + timedelta(seconds=60)) == 0


def test_a_message_that_keeps_failing_stops_after_its_last_attempt(
    settings, smtp_server: SmtpServer
) -> None:
    settings.MAIL_MAX_ATTEMPTS = 3
    [doomed] = queued("alice@example.com")
    smtp_server.stop()
    assert outbox.outbox_send(mail_ids=[doomed]) == [doomed]
    assert outbox.outbox_send(mail_ids=[doomed]) == [doomed]
    assert outbox.outbox_send(mail_ids=[doomed]) == []
    failed = row(doomed)
    assert (failed.status, failed.attempts) == (MailStatus.FAILED, 3)
    smtp_server.start()
    assert outbox.outbox_send(mail_ids=[doomed]) == []
    assert smtp_server.received == [] and row(doomed).attempts == 3


def test_a_claim_that_runs_out_on_the_last_attempt_fails_the_message(settings) -> None:
    settings.MAIL_MAX_ATTEMPTS = 2
    [held] = queued("alice@example.com")
    start = timezone.now()
    OutgoingMail.objects.filter(pk=held).update(
        status=MailStatus.SENDING, attempts=2, next_attempt_at=start
    )
    assert outbox.outbox_redispatch(now=start + timedelta(seconds=1)) == 0
    assert row(held).status == MailStatus.FAILED and "last attempt" in row(held).last_error


def test_the_back_off_doubles_from_the_retry_seconds_up_to_five_minutes(settings) -> None:
    settings.MAIL_RETRY_SECONDS = 10
    waits = [outbox.mail_backoff(n).total_seconds() for n in range(1, 8)]
    assert waits == [10, 20, 40, 80, 160, 300, 300]
    for retries in range(6):
        full = outbox.mail_backoff(retries + 1).total_seconds()
        assert full / 2 <= outbox.mail_retry_countdown(retries) <= full


# --- The admin shows the outbox, and sends failed mail again -------------------------------------


@pytest.fixture
def admin_client(db: None):  # type: ignore[no-untyped-def]
    return client_for(UserFactory(username="root", is_staff=True, is_superuser=True))


def failed_mail(to: str = "alice@example.com") -> int:
    [mail_id] = queued(to, subject="Never arrived")
    OutgoingMail.objects.filter(pk=mail_id).update(
        status=MailStatus.FAILED, attempts=12, last_error="ConnectionRefusedError: [Errno 111]"
    )
    return mail_id


def test_the_admin_lists_the_outbox_with_status_attempts_and_last_error(admin_client) -> None:
    failed_mail()
    queued("bob@example.com", subject="On its way")
    response = admin_client.get("/admin/sla/outgoingmail/", {"status__exact": "failed"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "Never arrived" in page and "On its way" not in page
    assert "ConnectionRefusedError" in page and '<td class="field-attempts">12</td>' in page


def test_the_admin_is_closed_to_people_who_are_not_staff(alice, bob) -> None:
    for user in (alice, bob):
        response = client_for(user).get("/admin/sla/outgoingmail/")
        assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_the_admin_sends_failed_mail_again(
    admin_client, smtp_server: SmtpServer, django_capture_on_commit_callbacks
) -> None:
    mail_id = failed_mail()
    sent = queued("bob@example.com")
    outbox.outbox_send(mail_ids=sent)
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            "/admin/sla/outgoingmail/",
            {"action": "send_again", "_selected_action": [mail_id, *sent]},
        )
    assert response.status_code == 302
    assert (row(mail_id).status, row(mail_id).attempts) == (MailStatus.SENT, 1)
    # A message already sent is not sent again.
    assert sorted(smtp_server.counts().values()) == [1, 1]
