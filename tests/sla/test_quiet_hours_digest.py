"""Repeated notifications of one person within NOTIFY_DIGEST_MINUTES (5) are folded: the first
goes at once, the ones after it wait for the end of its window and go out as one digest."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core import mail

from cases.models import Case, Severity, Status
from sla import outbox
from sla.models import MailStatus, NotificationKind, OutgoingMail
from sla.notifications import notification_send
from tests.cases.factories import case_in

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 3, 10, 0, tzinfo=UTC)
S = timedelta(seconds=1)
M = timedelta(minutes=1)


def tell(user, case: Case, subject: str, *, at: datetime, capture) -> None:  # type: ignore[no-untyped-def]
    with time_machine.travel(at, tick=False), capture(execute=True):
        notification_send(
            recipients=[user], kind=NotificationKind.SLA_BREACH, subject=subject, case=case
        )


def test_five_notifications_in_two_minutes_make_one_mail_and_one_digest(
    alice, django_capture_on_commit_callbacks
) -> None:
    case = case_in(Status.NEW, severity=Severity.S3)
    for n in range(5):
        tell(
            alice, case, f"Step {n}", at=T0 + n * 30 * S, capture=django_capture_on_commit_callbacks
        )
    assert [m.subject for m in mail.outbox] == ["[Escalation] Step 0"]
    held = OutgoingMail.objects.filter(status=MailStatus.PENDING)
    assert set(held.values_list("not_before", flat=True)) == {T0 + 5 * M}
    with (
        time_machine.travel(T0 + 5 * M, tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        assert outbox.outbox_redispatch(now=T0 + 5 * M) == 4
    assert len(mail.outbox) == 2
    digest = mail.outbox[1]
    assert digest.subject == "[Escalation] 4 notifications"
    assert digest.to == [alice.email]
    for n in range(1, 5):
        assert f"[Escalation] Step {n}" in digest.body
    assert set(OutgoingMail.objects.values_list("status", flat=True)) == {MailStatus.SENT}


def test_after_the_window_the_next_notification_goes_at_once(
    alice, django_capture_on_commit_callbacks
) -> None:
    case = case_in(Status.NEW, severity=Severity.S3)
    capture = django_capture_on_commit_callbacks
    tell(alice, case, "First", at=T0, capture=capture)
    tell(alice, case, "Much later", at=T0 + 6 * M, capture=capture)
    assert [m.subject for m in mail.outbox] == ["[Escalation] First", "[Escalation] Much later"]


def test_s1_notifications_are_never_held_for_a_digest(
    alice, django_capture_on_commit_callbacks
) -> None:
    case = case_in(Status.NEW, severity=Severity.S1)
    for n in range(3):
        tell(alice, case, f"S1 {n}", at=T0 + n * S, capture=django_capture_on_commit_callbacks)
    assert len(mail.outbox) == 3


def test_each_person_has_their_own_window(alice, bob, django_capture_on_commit_callbacks) -> None:
    case = case_in(Status.NEW, severity=Severity.S3)
    capture = django_capture_on_commit_callbacks
    tell(alice, case, "To alice", at=T0, capture=capture)
    tell(bob, case, "To bob", at=T0 + S, capture=capture)
    assert sorted(m.to[0] for m in mail.outbox) == sorted([alice.email, bob.email])


def test_with_no_window_nothing_is_folded(
    alice, settings, django_capture_on_commit_callbacks
) -> None:
    settings.NOTIFY_DIGEST_MINUTES = 0
    case = case_in(Status.NEW, severity=Severity.S3)
    for n in range(3):
        tell(alice, case, f"Step {n}", at=T0 + n * S, capture=django_capture_on_commit_callbacks)
    assert len(mail.outbox) == 3
