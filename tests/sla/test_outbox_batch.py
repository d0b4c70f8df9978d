"""The outbox sends a task's messages as a batch (``sla.outbox.outbox_send``): one claim and one
mark for all of them, against a real SMTP server (aiosmtpd), each message still sent once and
only when it is the worker's to send."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from sla import outbox
from sla.models import MailStatus, OutgoingMail
from tests.sla.smtp import SmtpServer, smtp_server_fixture  # noqa: F401 - smtp_server
from tests.threads import in_threads

pytestmark = pytest.mark.django_db


def queued(count: int, *, prefix: str = "reader") -> list[int]:
    rows = outbox.outbox_add(
        mails=[(f"{prefix}{n}@example.com", f"Hello {n}", "Body\n") for n in range(count)],
        now=timezone.now(),
    )
    return [row.pk for row in rows]


def statements_to_send(mail_ids: list[int]) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert outbox.outbox_send(mail_ids=mail_ids) == []
    return len(queries.captured_queries)


def test_a_batch_takes_the_same_statements_for_twenty_messages_as_for_two(
    smtp_server: SmtpServer,
) -> None:
    two = statements_to_send(queued(2, prefix="few"))
    twenty = statements_to_send(queued(20, prefix="many"))
    assert two == twenty == 4  # the claim, the read of what it won, its attachments, the mark
    assert len(smtp_server.received) == 22
    assert set(OutgoingMail.objects.values_list("status", flat=True)) == {MailStatus.SENT}
    assert set(OutgoingMail.objects.values_list("attempts", flat=True)) == {1}


def test_a_batch_sends_only_the_messages_that_are_still_its_own(smtp_server: SmtpServer) -> None:
    free, sent, held, failed, later = queued(5)
    now = timezone.now()
    OutgoingMail.objects.filter(pk=sent).update(status=MailStatus.SENT, sent_at=now)
    OutgoingMail.objects.filter(pk=held).update(
        status=MailStatus.SENDING, attempts=1, next_attempt_at=now + outbox.MAIL_CLAIM
    )
    OutgoingMail.objects.filter(pk=failed).update(status=MailStatus.FAILED, attempts=12)
    OutgoingMail.objects.filter(pk=later).update(not_before=now + timedelta(hours=3))

    assert outbox.outbox_send(mail_ids=[later, failed, held, sent, free]) == []

    assert [m.to for m in smtp_server.received] == ["reader0@example.com"]
    rows = OutgoingMail.objects.in_bulk([free, sent, held, failed, later])
    assert (rows[free].status, rows[free].attempts) == (MailStatus.SENT, 1)
    assert (rows[held].status, rows[held].attempts) == (MailStatus.SENDING, 1)
    assert (rows[failed].status, rows[failed].attempts) == (MailStatus.FAILED, 12)
    assert (rows[later].status, rows[later].attempts) == (MailStatus.PENDING, 0)


def test_a_batch_sends_in_the_order_of_its_ids_and_each_id_once(smtp_server: SmtpServer) -> None:
    first, second, third = queued(3)
    assert outbox.outbox_send(mail_ids=[third, first, third, second]) == []
    assert [m.to for m in smtp_server.received] == [
        "reader2@example.com",
        "reader0@example.com",
        "reader1@example.com",
    ]


def test_a_refused_message_in_a_batch_is_released_alone_and_the_others_are_marked_sent(
    smtp_server: SmtpServer,
) -> None:
    smtp_server.refuse["reader1@example.com"] = "450 Mailbox busy, try later"
    first, busy, last = queued(3)
    assert outbox.outbox_send(mail_ids=[first, busy, last]) == [busy]
    rows = OutgoingMail.objects.in_bulk([first, busy, last])
    assert [rows[i].status for i in (first, busy, last)] == [
        MailStatus.SENT,
        MailStatus.PENDING,
        MailStatus.SENT,
    ]
    assert "450" in rows[busy].last_error and rows[busy].attempts == 1


@pytest.mark.django_db(transaction=True)
def test_two_workers_given_overlapping_batches_at_once_send_each_message_once(
    smtp_server: SmtpServer,
) -> None:
    ids = queued(20)
    errors = in_threads(
        lambda: outbox.outbox_send(mail_ids=ids[:15]),
        lambda: outbox.outbox_send(mail_ids=list(reversed(ids[5:]))),
    )
    assert errors == []
    assert len(smtp_server.received) == 20
    assert set(smtp_server.counts().values()) == {1}
    assert set(OutgoingMail.objects.values_list("status", flat=True)) == {MailStatus.SENT}
    assert set(OutgoingMail.objects.values_list("attempts", flat=True)) == {1}
