"""Two workers reminding of the same overdue tasks at once: each task is notified once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from incidents.checklist import task_add, tasks_notify_overdue
from sla.models import Notification
from tests.threads import in_threads

pytestmark = pytest.mark.django_db(transaction=True)


def test_two_workers_notify_each_overdue_task_once(incident, alice, bob) -> None:
    now = timezone.now()
    for n in range(20):
        task_add(incident=incident, by=bob, title=f"Task {n}", owner=alice, due_at=now)
    counts: list[int] = []

    def run() -> None:
        counts.append(tasks_notify_overdue(now=now + timedelta(minutes=1)))

    assert in_threads(run, run, run) == []
    assert sum(counts) == 20
    # Owner and lead, once per task.
    assert Notification.objects.filter(recipient=alice).count() == 20
    assert Notification.objects.filter(recipient=bob).count() == 20
