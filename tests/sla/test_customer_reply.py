"""What a customer's message does to the SLA: update time runs from the last customer contact
(sla.alignment.clock_plans), a case waiting on the customer resumes its clocks, and the owner
hears of it once (sla.notifications.owner_on_customer_replied), by mail after commit.

The default policy (tests/sla/factories.py) is Standard S3 on a 24x7 calendar: respond in 1 h,
resolve in 8 h, update every 2 h.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.db import transaction

from cases.models import Case, CustomerChannel, Status
from cases.services import (
    case_acknowledge,
    case_add_note,
    case_customer_message,
    case_raise,
    case_resolve,
    case_set_status,
)
from sla.models import (
    CaseClock,
    ClockKind,
    Notification,
    NotificationKind,
    OutgoingMail,
    SlaBreach,
)
from tests.cases.factories import root_cause

pytestmark = pytest.mark.django_db

NOON = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
H = timedelta(hours=1)
M = timedelta(minutes=1)


def at(delta: timedelta) -> time_machine.travel:
    return time_machine.travel(NOON + delta, tick=False)


def clock(case: Case, kind: ClockKind) -> CaseClock:
    return CaseClock.objects.get(case=case, kind=kind)


def reply(case: Case, **kwargs: Any) -> None:
    kwargs.setdefault("body", "Still failing for us.")
    case_customer_message(case=case, sender="pat@acme.example", via=CustomerChannel.EMAIL, **kwargs)


@pytest.fixture
def case(alice, bob, customer, policy, service_desk) -> Case:  # type: ignore[no-untyped-def]
    """Raised at noon, acknowledged by bob (who then owns it) at 12:10: the update clock runs
    from 12:10, due 14:10."""
    with at(timedelta(0)):
        raised = case_raise(
            raised_by=alice,
            customer=customer,
            title="Checkout fails",
            description="Orders stop at the payment step.",
            severity="S3",
            team=service_desk,
        )
    with at(10 * M):
        return case_acknowledge(case=raised, by=bob)


def test_a_reply_starts_a_new_update_cycle_from_the_customers_contact(case) -> None:
    with at(H):
        reply(case)
    update = clock(case, ClockKind.UPDATE)
    assert (update.cycle, update.started_at, update.due_at) == (2, NOON + H, NOON + 3 * H)
    case.refresh_from_db()
    assert case.next_due_at == NOON + 3 * H


def test_the_clock_runs_from_when_the_customer_wrote_not_when_the_mail_was_fetched(case) -> None:
    with at(2 * H):
        reply(case, at=NOON + H)
    update = clock(case, ClockKind.UPDATE)
    assert (update.started_at, update.due_at) == (NOON + H, NOON + 3 * H)


def test_our_later_update_takes_over_from_the_customers_contact(case, bob) -> None:
    with at(H):
        reply(case)
    with at(2 * H):
        case_add_note(case=case, by=bob, body="Fix deployed.", customer_facing=True)
    update = clock(case, ClockKind.UPDATE)
    assert (update.cycle, update.started_at, update.due_at) == (3, NOON + 2 * H, NOON + 4 * H)


def test_an_older_message_than_our_last_update_moves_no_clock(case, bob) -> None:
    with at(2 * H):
        case_add_note(case=case, by=bob, body="Fix deployed.", customer_facing=True)
    with at(3 * H):
        reply(case, at=NOON + H)  # written before our update, fetched after it
    update = clock(case, ClockKind.UPDATE)
    assert (update.cycle, update.started_at) == (2, NOON + 2 * H)


def test_a_reply_after_a_breach_keeps_the_breach_and_starts_clean(case) -> None:
    with at(5 * H):  # the update was due at 14:10
        reply(case)
    [breach] = SlaBreach.objects.filter(case=case, clock_kind=ClockKind.UPDATE)
    assert (breach.cycle, breach.breached_at) == (1, NOON + 130 * M)
    update = clock(case, ClockKind.UPDATE)
    assert (update.cycle, update.breached_at, update.due_at) == (2, None, NOON + 7 * H)


def test_a_reply_while_waiting_resumes_the_clocks_and_the_case(case, bob) -> None:
    with at(2 * H):
        case = case_set_status(case=case, by=bob, status=Status.WAITING, reason="Need logs")
    with at(5 * H):
        reply(case, body="Logs attached.")
    case.refresh_from_db()
    assert case.status == Status.IN_PROGRESS
    resolution = clock(case, ClockKind.RESOLUTION)
    assert resolution.paused_at is None and resolution.paused_seconds == 3 * 3600
    assert resolution.due_at == NOON + 11 * H  # 8 h target + 3 h waiting on the customer
    update = clock(case, ClockKind.UPDATE)
    assert (update.paused_at, update.started_at, update.due_at) == (
        None,
        NOON + 5 * H,
        NOON + 7 * H,
    )


def test_a_reply_before_the_first_response_starts_no_update_clock(
    alice, customer, policy, service_desk
) -> None:
    with at(timedelta(0)):
        case = case_raise(
            raised_by=alice,
            customer=customer,
            title="Down",
            description="All down.",
            severity="S3",
            team=service_desk,
        )
    with at(10 * M):
        reply(case)
    assert not CaseClock.objects.filter(case=case, kind=ClockKind.UPDATE).exists()
    response = clock(case, ClockKind.RESPONSE)
    assert response.stopped_at is None  # a customer's message is not our first response
    with at(20 * M):
        case_acknowledge(case=case, by=alice)
    assert clock(case, ClockKind.UPDATE).started_at == NOON + 20 * M


def test_a_reply_to_a_resolved_case_leaves_its_clocks_stopped(case, bob) -> None:
    with at(H):
        case = case_resolve(case=case, by=bob, summary="Fixed.", root_cause=root_cause())
    before = list(CaseClock.objects.filter(case=case).order_by("kind").values())
    with at(2 * H):
        reply(case, body="Thanks!")
    assert list(CaseClock.objects.filter(case=case).order_by("kind").values()) == before


# --- The owner is told -----------------------------------------------------------------------


def test_the_owner_is_notified_once_and_mailed_after_commit(
    case, bob, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        reply(case, body="Here are the logs.", message_id="<r1@acme.example>")
        reply(case, body="Here are the logs.", message_id="<r1@acme.example>")  # fetched again

    [note] = Notification.objects.all()
    assert (note.recipient, note.case, note.kind) == (bob, case, NotificationKind.CUSTOMER_REPLIED)
    assert note.subject == f"Customer replied on {case.reference} Checkout fails"
    assert note.body == "pat@acme.example wrote by email:\n\nHere are the logs."
    [message] = mail.outbox
    assert message.to == [bob.email]
    assert message.subject == f"[Escalation] Customer replied on {case.reference} Checkout fails"
    assert f"/cases/{case.reference}/" in message.body


def test_the_notification_says_how_it_came_and_how_many_files(case) -> None:
    case_customer_message(
        case=case,
        sender="Pat",
        body="See the screenshot.",
        via=CustomerChannel.STATUS_PAGE,
        attachments=[("shot.png", "image/png", b"\x89PNG....")],
    )
    assert Notification.objects.get().body == (
        "Pat wrote on the status page:\n\nSee the screenshot.\n\n(1 attached file)"
    )


def test_a_case_without_an_owner_tells_its_teams_lead(alice, customer, policy, ladder) -> None:
    case = case_raise(
        raised_by=alice,
        customer=customer,
        title="Down",
        description="All down.",
        severity="S3",
        team=ladder,
    )
    reply(case)
    assert list(Notification.objects.values_list("recipient__username", flat=True)) == ["lena"]


def test_a_case_with_neither_owner_nor_lead_notifies_no_one(
    alice, customer, policy, service_desk
) -> None:
    case = case_raise(
        raised_by=alice,
        customer=customer,
        title="Down",
        description="All down.",
        severity="S3",
        team=service_desk,
    )
    reply(case)
    assert not Notification.objects.exists() and not OutgoingMail.objects.exists()


def test_a_reply_to_a_resolved_case_asks_the_owner_whether_to_reopen(case, bob) -> None:
    case = case_resolve(case=case, by=bob, summary="Fixed.", root_cause=root_cause())
    reply(case, body="It is back.")
    body = Notification.objects.get(kind=NotificationKind.CUSTOMER_REPLIED).body
    assert body.endswith("The case is resolved: reopen it if the problem is back.")


def test_a_reply_rolled_back_notifies_and_mails_no_one(
    case, django_capture_on_commit_callbacks
) -> None:
    class Refused(Exception):
        pass

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(Refused), transaction.atomic():
            reply(case)
            raise Refused
    assert callbacks == []
    assert not Notification.objects.exists() and not OutgoingMail.objects.exists()
    assert mail.outbox == []
