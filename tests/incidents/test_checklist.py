"""The incident checklist: tasks added, ticked off, cancelled, reopened; playbooks on demand;
the overdue reminder once per task."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from escalation.errors import DomainError
from escalation.users import user_language_set
from incidents.checklist import playbook_apply, task_add, task_set_state, tasks_notify_overdue
from incidents.models import IncidentTask, Playbook, PlaybookTask, TaskState
from incidents.tasks import overdue_tasks
from sla.models import Notification

pytestmark = pytest.mark.django_db


def test_a_manager_adds_a_task_with_an_owner_and_a_due_time(incident, alice, bob) -> None:
    due = timezone.now() + timedelta(minutes=30)
    task = task_add(incident=incident, by=bob, title="Fix deployed", owner=alice, due_at=due)
    assert (task.title, task.owner, task.state) == ("Fix deployed", alice, TaskState.OPEN)


def test_adding_a_task_is_refused_to_operators_and_without_a_title(incident, alice, bob) -> None:
    with pytest.raises(PermissionDenied):
        task_add(incident=incident, by=alice, title="Mine")
    with pytest.raises(DomainError):
        task_add(incident=incident, by=bob, title="   ")


def test_adding_a_task_refuses_an_executive_as_owner(incident, bob, erin) -> None:
    with pytest.raises(DomainError, match="cannot own a task"):
        task_add(incident=incident, by=bob, title="Read", owner=erin)


def test_the_owner_ticks_off_her_own_task_and_no_other(incident, alice, charlie, bob) -> None:
    mine = task_add(incident=incident, by=bob, title="Status page updated", owner=alice)
    theirs = task_add(incident=incident, by=bob, title="Fix deployed", owner=bob)
    done = task_set_state(task=mine, by=alice, state=TaskState.DONE)
    assert (done.state, done.done_by) == (TaskState.DONE, alice)
    with pytest.raises(PermissionDenied):
        task_set_state(task=theirs, by=alice, state=TaskState.DONE)
    # An owner who cannot open the parent ticks off nothing.
    hidden = task_add(incident=incident, by=bob, title="Call", owner=charlie)
    with pytest.raises(PermissionDenied):
        task_set_state(task=hidden, by=charlie, state=TaskState.DONE)


def test_only_managers_cancel_and_reopen(incident, alice, bob) -> None:
    task = task_add(incident=incident, by=bob, title="Fix", owner=alice)
    with pytest.raises(PermissionDenied):
        task_set_state(task=task, by=alice, state=TaskState.CANCELLED)
    task_set_state(task=task, by=bob, state=TaskState.CANCELLED)
    with pytest.raises(DomainError, match="Reopen the task first"):
        task_set_state(task=task, by=bob, state=TaskState.DONE)
    reopened = task_set_state(task=task, by=bob, state=TaskState.OPEN)
    assert reopened.state == TaskState.OPEN and reopened.done_at is None
    with pytest.raises(DomainError, match="already"):
        task_set_state(task=task, by=bob, state=TaskState.OPEN)


def test_a_playbook_applied_on_demand_adds_its_tasks(incident, bob) -> None:
    playbook = Playbook.objects.create(name="Outage")
    PlaybookTask.objects.create(playbook=playbook, title="Bridge opened", due_after_minutes=5)
    tasks = playbook_apply(incident=incident, playbook=playbook, by=bob)
    assert [t.title for t in tasks] == ["Bridge opened"]
    playbook.is_active = False
    playbook.save()
    with pytest.raises(DomainError, match="not active"):
        playbook_apply(incident=incident, playbook=playbook, by=bob)


def test_an_overdue_task_notifies_its_owner_and_the_lead_once(incident, alice, bob) -> None:
    now = timezone.now()
    task_add(incident=incident, by=bob, title="Fix deployed", owner=alice, due_at=now)
    task_add(incident=incident, by=bob, title="Later", owner=alice, due_at=now + timedelta(hours=1))
    assert tasks_notify_overdue(now=now - timedelta(minutes=1)) == 0
    assert tasks_notify_overdue(now=now + timedelta(minutes=1)) == 1
    recipients = sorted(Notification.objects.values_list("recipient__username", flat=True))
    assert recipients == ["alice", "bob"]
    assert "Overdue task" in Notification.objects.first().subject  # type: ignore[union-attr]
    assert tasks_notify_overdue(now=now + timedelta(minutes=2)) == 0
    assert Notification.objects.count() == 2


def test_the_owner_and_the_lead_each_read_the_overdue_reminder_in_their_language(
    incident, alice, bob
) -> None:
    """alice (the task's owner) chose Italian; bob (the incident's lead) reads the site's
    English. Needs the Italian catalogue with this change's messages compiled."""
    user_language_set(user=alice, language="it")
    due = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
    task_add(incident=incident, by=bob, title="Fix deployed", owner=alice, due_at=due)
    case = incident.case
    with timezone.override("UTC"):
        assert tasks_notify_overdue(now=due + timedelta(minutes=1)) == 1

    by_reader = {n.recipient: n for n in Notification.objects.all()}
    assert by_reader[alice].subject == (
        f"Attività in ritardo sull'incidente grave {case.reference}: Fix deployed"
    )
    assert by_reader[alice].body == (
        f"L'attività “Fix deployed” dell'incidente grave {case.reference} ({case.title}) "
        "scadeva il 2026-03-02 09:30. Responsabile: Alice; responsabile dell'incidente: Bob."
    )
    assert (
        by_reader[bob].subject == f"Overdue task on major incident {case.reference}: Fix deployed"
    )
    assert by_reader[bob].body == (
        f"The task “Fix deployed” of major incident {case.reference} ({case.title}) "
        "was due at 2026-03-02 09:30. Owner: Alice; incident lead: Bob."
    )


def test_a_done_task_is_not_reminded_of(incident, alice, bob) -> None:
    now = timezone.now()
    task = task_add(incident=incident, by=bob, title="Fix", owner=alice, due_at=now)
    task_set_state(task=task, by=alice, state=TaskState.DONE)
    assert tasks_notify_overdue(now=now + timedelta(minutes=5)) == 0


def test_the_beat_task_reminds_of_overdue_tasks(incident, alice, bob) -> None:
    task = task_add(incident=incident, by=bob, title="Fix", owner=alice, due_at=timezone.now())
    with time_machine.travel(timezone.now() + timedelta(minutes=5)):
        overdue_tasks()
    assert IncidentTask.objects.get(pk=task.pk).overdue_notified_at is not None
    assert Notification.objects.count() == 2
