"""The daily reminder task: overdue reviews and actions, once per item per day."""

from __future__ import annotations

import threading
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings
from django.core import mail
from django.db import connection

from escalation.roles import Role
from escalation.users import user_language_set
from reviews.models import ActionStatus, CorrectiveAction, Review
from reviews.reminders import reminders_send
from reviews.tasks import overdue_reminders
from sla.models import Notification, NotificationKind
from tests.factories import TeamFactory, UserFactory
from tests.reviews.factories import CorrectiveActionFactory, ReviewFactory, resolved_case

AMS = ZoneInfo("Europe/Amsterdam")
TODAY = date(2025, 6, 10)
DAY = timedelta(days=1)
pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _morning():  # type: ignore[no-untyped-def]
    with time_machine.travel(datetime(2025, 6, 10, 7, 30, tzinfo=AMS), tick=False):
        yield


def test_the_beat_schedule_runs_the_task_every_morning() -> None:
    entry = settings.CELERY_BEAT_SCHEDULE["reviews-overdue-reminders"]
    assert entry["task"] == overdue_reminders.name == "reviews.tasks.overdue_reminders"


def test_an_overdue_review_reminds_the_case_teams_lead(bob) -> None:
    team = TeamFactory(name="Platform", lead=bob)
    review = ReviewFactory(case=resolved_case(team=team), due_on=TODAY - timedelta(days=2))
    assert overdue_reminders() == {"reviews": 1, "actions": 0}
    [note] = Notification.objects.all()
    assert note.recipient == bob and note.kind == NotificationKind.REVIEW_DUE
    assert note.case == review.case
    assert "2 days overdue" in note.subject
    review.refresh_from_db()
    assert review.last_reminded_on == TODAY


def test_without_a_team_lead_every_manager_is_reminded(bob) -> None:
    UserFactory(username="mona", role=Role.MANAGER)
    UserFactory(username="olga", role=Role.OPERATOR)
    ReviewFactory(case=resolved_case(), due_on=TODAY - timedelta(days=1))
    reminders_send()
    assert set(Notification.objects.values_list("recipient__username", flat=True)) == {
        "bob",
        "mona",
    }


def test_a_team_lead_who_is_not_a_manager_is_not_reminded_the_managers_are(bob, alice) -> None:
    team = TeamFactory(name="Desk", lead=alice)
    ReviewFactory(case=resolved_case(team=team), due_on=TODAY - timedelta(days=1))
    reminders_send()
    assert list(Notification.objects.values_list("recipient__username", flat=True)) == ["bob"]


def test_each_manager_reads_the_review_reminder_in_their_language(  # type: ignore[no-untyped-def]
    bob, django_capture_on_commit_callbacks
):
    """Two managers are reminded of one review: the one who chose Italian reads Italian (with
    the month in Italian), in the bell and the mail; the other the site's English."""
    mona = UserFactory(username="mona", role=Role.MANAGER)
    user_language_set(user=mona, language="it")
    review = ReviewFactory(case=resolved_case(title="Proxy down"), due_on=TODAY - timedelta(days=2))
    reference = review.case.reference
    with django_capture_on_commit_callbacks(execute=True):
        reminders_send()

    by_reader = {n.recipient.username: n for n in Notification.objects.all()}
    assert by_reader["mona"].subject == f"La revisione di {reference} è in ritardo di 2 giorni"
    assert by_reader["mona"].body.startswith(
        f"La revisione post-risoluzione di {reference} “Proxy down” era prevista per il "
        "08 Giu 2025."
    )
    assert by_reader["bob"].subject == f"Review of {reference} is 2 days overdue"
    assert by_reader["bob"].body.startswith(
        f"The post-resolution review of {reference} “Proxy down” was due on 08 Jun 2025."
    )
    mailed = {m.to[0]: m.subject for m in mail.outbox}
    assert (
        mailed[mona.email] == f"[Escalation] La revisione di {reference} è in ritardo di 2 giorni"
    )
    assert mailed[bob.email] == f"[Escalation] Review of {reference} is 2 days overdue"


def test_reviews_due_today_or_later_and_completed_ones_are_not_reminded(bob) -> None:
    ReviewFactory(due_on=TODAY)
    ReviewFactory(due_on=TODAY - timedelta(days=3), completed_at=datetime(2025, 6, 1, tzinfo=AMS))
    assert reminders_send().reviews == 0
    assert not Notification.objects.exists()


def test_an_overdue_action_reminds_its_owner_by_app_and_email(alice) -> None:
    action = CorrectiveActionFactory(owner=alice, due_on=TODAY - timedelta(days=1))
    assert reminders_send().actions == 1
    [note] = Notification.objects.all()
    assert note.recipient == alice and note.kind == NotificationKind.ACTION_DUE
    assert action.description in note.body
    action.refresh_from_db()
    assert action.last_reminded_on == TODAY


def test_each_action_owner_reads_the_reminder_in_their_language(
    alice, charlie, service_desk
) -> None:
    """Two owners of a review's actions are reminded in the same run: alice chose Italian."""
    user_language_set(user=alice, language="it")
    service_desk.members.add(charlie)  # both may open the case
    review = ReviewFactory(case=resolved_case(team=service_desk))
    for owner in (alice, charlie):
        CorrectiveActionFactory(
            review=review, owner=owner, description="Rotate the keys", due_on=TODAY - DAY
        )
    assert reminders_send().actions == 2

    by_reader = {n.recipient: n for n in Notification.objects.all()}
    reference = review.case.reference
    assert by_reader[alice].subject == f"L'azione correttiva per {reference} è in ritardo"
    assert by_reader[alice].body.startswith(
        "Rotate the keys\nScadenza: 09 Giu 2025. Segnala come fatta su "
    )
    assert by_reader[charlie].subject == f"Corrective action for {reference} is overdue"
    assert by_reader[charlie].body.startswith("Rotate the keys\nDue on 09 Jun 2025. Mark it done")


def test_a_reminder_names_the_case_only_to_an_owner_who_may_open_it(
    alice, service_desk, other_team
) -> None:
    mine = ReviewFactory(case=resolved_case(team=service_desk))
    theirs = ReviewFactory(case=resolved_case(team=other_team))
    for review in (mine, theirs):
        CorrectiveActionFactory(review=review, owner=alice, due_on=TODAY - timedelta(days=1))
    assert reminders_send().actions == 2
    by_case = {note.case_id: note for note in Notification.objects.all()}
    assert mine.case.reference in by_case[mine.case_id].subject
    [blind] = [note for case_id, note in by_case.items() if case_id != mine.case_id]
    assert blind.case_id is None
    assert theirs.case.reference not in blind.subject + blind.body
    assert theirs.case.reference not in "".join(m.subject + m.body for m in mail.outbox)


@pytest.mark.parametrize("status", [ActionStatus.DONE, ActionStatus.CANCELLED])
def test_finished_actions_are_not_reminded(alice, status) -> None:
    CorrectiveActionFactory(owner=alice, due_on=TODAY - timedelta(days=5), status=status)
    assert reminders_send().actions == 0


def test_running_twice_the_same_day_reminds_once(bob, alice) -> None:
    ReviewFactory(due_on=TODAY - timedelta(days=1))
    CorrectiveActionFactory(owner=alice, due_on=TODAY - timedelta(days=1))
    assert overdue_reminders() == {"reviews": 1, "actions": 1}
    assert overdue_reminders() == {"reviews": 0, "actions": 0}
    assert Notification.objects.count() == 2


def test_the_next_day_it_reminds_again(bob, alice) -> None:
    CorrectiveActionFactory(owner=alice, due_on=TODAY - timedelta(days=1))
    reminders_send()
    with time_machine.travel(datetime(2025, 6, 11, 7, 30, tzinfo=AMS), tick=False):
        assert reminders_send().actions == 1
    assert Notification.objects.count() == 2


def test_emails_go_out_only_after_the_claim_commits(alice, django_capture_on_commit_callbacks):  # type: ignore[no-untyped-def]
    CorrectiveActionFactory(owner=alice, due_on=TODAY - timedelta(days=1))
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        reminders_send()
    assert mail.outbox == []
    for callback in callbacks:
        callback()
    [message] = mail.outbox
    assert message.to == [alice.email] and "overdue" in message.subject


def test_a_worker_that_loses_the_claim_sends_nothing(alice, monkeypatch) -> None:
    """Another worker claimed the row between our read and our claim: we must skip it."""
    action = CorrectiveActionFactory(owner=alice, due_on=TODAY - timedelta(days=1))
    original = CorrectiveAction.objects.filter

    def filter_then_claim_elsewhere(*args, **kwargs):  # type: ignore[no-untyped-def]
        queryset = original(*args, **kwargs)
        if "pk" in kwargs:  # the claim: the other worker got there first
            original(pk=action.pk).update(last_reminded_on=TODAY)
        return queryset

    monkeypatch.setattr(CorrectiveAction.objects, "filter", filter_then_claim_elsewhere)
    assert reminders_send().actions == 0
    assert not Notification.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_two_workers_at_once_send_each_reminder_once(bob, alice) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("SQLite serialises writers; the race needs PostgreSQL")
    for days in range(1, 6):
        ReviewFactory(due_on=TODAY - timedelta(days=days))
        CorrectiveActionFactory(owner=alice, due_on=TODAY - timedelta(days=days))
    results = []
    barrier = threading.Barrier(2)

    def worker() -> None:
        barrier.wait()
        try:
            results.append(reminders_send(today=TODAY))
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sum(r.reviews for r in results) == 5
    assert sum(r.actions for r in results) == 5
    assert Notification.objects.filter(kind=NotificationKind.REVIEW_DUE).count() == 5
    assert Notification.objects.filter(kind=NotificationKind.ACTION_DUE).count() == 5
    assert Review.objects.filter(last_reminded_on=TODAY).count() == 5
