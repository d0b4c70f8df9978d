"""Mail waits for its reader's working hours, unless it is urgent: no 03:00 mail about an S4.

alice works office hours (Monday to Friday, 09:00-17:00 Amsterdam, tests/sla/factories.py);
at 03:00 Amsterdam on Tuesday 3 March 2026 (02:00 UTC) her mail waits until 09:00 (08:00 UTC).
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine
from django.core import mail

from cases.models import Case, Severity, Status, Team
from sla import outbox
from sla.models import MailStatus, Notification, NotificationKind, NotifyHours, OutgoingMail
from sla.notifications import notification_send
from tests.cases.factories import case_in
from tests.sla.factories import BusinessCalendarFactory, SlaPolicyFactory, office_calendar

pytestmark = pytest.mark.django_db

THREE_AM = datetime(2026, 3, 3, 2, 0, tzinfo=UTC)
NINE_AM = datetime(2026, 3, 3, 8, 0, tzinfo=UTC)


@pytest.fixture
def office_alice(alice):  # type: ignore[no-untyped-def]
    NotifyHours.objects.create(user=alice, calendar=office_calendar())
    return alice


def tell(user, case: Case | None, *, at: datetime = THREE_AM) -> OutgoingMail:  # type: ignore[no-untyped-def]
    with time_machine.travel(at, tick=False):
        notification_send(
            recipients=[user], kind=NotificationKind.SLA_BREACH, subject="Breached", case=case
        )
    return OutgoingMail.objects.get()


def test_an_s4_notification_at_three_waits_for_the_recipients_hours(
    office_alice, django_capture_on_commit_callbacks
) -> None:
    case = case_in(Status.NEW, severity=Severity.S4)
    with django_capture_on_commit_callbacks(execute=True):
        held = tell(office_alice, case)
    assert held.not_before == NINE_AM
    assert mail.outbox == []
    # The in-app notification is there at once; only the mail waits.
    assert Notification.objects.filter(recipient=office_alice).count() == 1
    with time_machine.travel(THREE_AM, tick=False):
        # A worker given it early (a resend by the broker, say) leaves it alone.
        outbox.outbox_send(mail_ids=[held.pk])
        assert outbox.outbox_redispatch(now=THREE_AM) == 0
    assert mail.outbox == []
    with time_machine.travel(NINE_AM, tick=False), django_capture_on_commit_callbacks(execute=True):
        assert outbox.outbox_redispatch(now=NINE_AM) == 1
    assert [m.to for m in mail.outbox] == [[office_alice.email]]
    assert OutgoingMail.objects.get().status == MailStatus.SENT


def test_an_s1_notification_at_three_goes_now(
    office_alice, django_capture_on_commit_callbacks
) -> None:
    case = case_in(Status.NEW, severity=Severity.S1)
    with django_capture_on_commit_callbacks(execute=True):
        sent = tell(office_alice, case)
    assert sent.not_before is None
    assert [m.to for m in mail.outbox] == [[office_alice.email]]


def test_a_case_under_a_24x7_policy_goes_now(office_alice) -> None:
    case = case_in(Status.NEW, severity=Severity.S4)
    SlaPolicyFactory(
        tier=case.customer.tier, severity=Severity.S4, calendar=BusinessCalendarFactory()
    )
    assert tell(office_alice, case).not_before is None


def test_a_case_under_an_office_hours_policy_waits(office_alice) -> None:
    case = case_in(Status.NEW, severity=Severity.S3)
    SlaPolicyFactory(
        tier=case.customer.tier, severity=Severity.S3, calendar=office_calendar("Policy hours")
    )
    assert tell(office_alice, case).not_before == NINE_AM


def test_within_the_recipients_hours_mail_goes_now(office_alice) -> None:
    case = case_in(Status.NEW, severity=Severity.S4)
    assert tell(office_alice, case, at=NINE_AM).not_before is None


def test_without_hours_of_their_own_the_recipient_has_their_teams(
    alice, service_desk: Team
) -> None:
    NotifyHours.objects.create(team=service_desk, calendar=office_calendar())
    case = case_in(Status.NEW, severity=Severity.S4)
    assert tell(alice, case).not_before == NINE_AM


def test_someone_without_hours_is_mailed_at_any_time(bob) -> None:
    case = case_in(Status.NEW, severity=Severity.S4)
    assert tell(bob, case).not_before is None


def test_a_resend_from_the_admin_sends_held_mail_now(office_alice) -> None:
    held = tell(office_alice, case_in(Status.NEW, severity=Severity.S4))
    with time_machine.travel(THREE_AM, tick=False):
        assert outbox.outbox_resend(mail_ids=[held.pk], now=THREE_AM) == 1
    assert OutgoingMail.objects.get().not_before is None
