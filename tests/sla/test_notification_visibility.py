"""A notification about a case the recipient may no longer open (it moved to a team of others)
is not listed or counted: its subject would show that case's reference and title."""

from __future__ import annotations

import pytest
from django.utils import timezone

from sla.models import Notification, NotificationKind
from sla.selectors import notification_unread_count, notifications_for
from tests.conftest import client_for
from tests.factories import CaseFactory

pytestmark = pytest.mark.django_db


def notify(user, case, subject: str) -> Notification:  # type: ignore[no-untyped-def]
    return Notification.objects.create(
        recipient=user,
        case=case,
        kind=NotificationKind.ASSIGNED,
        subject=subject,
        created_at=timezone.now(),
    )


def test_a_case_moved_to_another_team_leaves_the_operators_notifications(
    alice, bob, service_desk, other_team
) -> None:
    moved = CaseFactory(team=service_desk, title="Secret merger outage")
    kept = CaseFactory(team=service_desk, title="Checkout fails")
    notify(alice, moved, f"{moved.reference} Secret merger outage")
    notify(alice, kept, f"{kept.reference} Checkout fails")
    notify(alice, None, "Weekly report ready")
    moved.team = other_team
    moved.save(update_fields=["team"])

    assert [n.case_id for n in notifications_for(user=alice)] in ([kept.pk, None], [None, kept.pk])
    assert notification_unread_count(user=alice) == 2
    page = client_for(alice).get("/sla/notifications/").content.decode()
    assert "Secret merger outage" not in page and "Checkout fails" in page
    # A manager, who may open every case, keeps all of theirs.
    notify(bob, moved, f"{moved.reference} Secret merger outage")
    assert notification_unread_count(user=bob) == 1
