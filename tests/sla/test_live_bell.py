"""The live notification bell's poll: 204 with one query while nothing arrived or was read, the
bell itself (count and new mark) once something did; refused to anyone without the bell."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from sla.context_processors import NotificationBell
from sla.models import Notification, NotificationKind
from sla.services import notification_mark_read
from tests.conftest import client_for

pytestmark = pytest.mark.django_db

BELL = reverse("sla:bell")
AUTH_TABLES = ("django_session", "auth_user", "auth_group")


def notify(user, subject: str = "ESC-000001 at risk") -> Notification:  # type: ignore[no-untyped-def]
    return Notification.objects.create(
        recipient=user,
        kind=NotificationKind.SLA_WARNING,
        subject=subject,
        created_at=timezone.now(),
    )


def mark_of(user) -> str:  # type: ignore[no-untyped-def]
    return NotificationBell(user).mark


def test_the_bell_answers_no_content_with_one_query_while_nothing_arrived(alice) -> None:
    notify(alice)
    client = client_for(alice)
    mark = mark_of(alice)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(BELL, {"mark": mark})
    assert response.status_code == 204
    own = [q["sql"] for q in captured if not any(t in q["sql"] for t in AUTH_TABLES)]
    assert len(own) == 1


def test_a_new_notification_answers_the_bell_with_its_count_and_new_mark(alice) -> None:
    notify(alice)
    before = mark_of(alice)
    notify(alice, "ESC-000002 breached")
    response = client_for(alice).get(BELL, {"mark": before})
    assert response.status_code == 200
    text = response.content.decode()
    assert re.search(r'data-testid="unread-count">\s*2\s*<', text)
    assert f'data-live-mark="{mark_of(alice)}"' in text and mark_of(alice) != before
    assert 'id="nav-notifications"' in text and "<html" not in text


def test_reading_a_notification_moves_the_mark(alice) -> None:
    first = notify(alice)
    before = mark_of(alice)
    notification_mark_read(user=alice, notification_id=first.pk, now=timezone.now())
    assert mark_of(alice) != before


def test_one_read_and_one_arrived_still_moves_the_mark(alice) -> None:
    first = notify(alice)
    before = mark_of(alice)
    notification_mark_read(user=alice, notification_id=first.pk, now=timezone.now())
    notify(alice, "ESC-000002 breached")
    assert NotificationBell(alice).unread == 1
    assert mark_of(alice) != before


def test_someone_elses_notification_does_not_move_your_mark(alice, bob) -> None:
    before = mark_of(alice)
    notify(bob)
    assert client_for(alice).get(BELL, {"mark": before}).status_code == 204


def test_the_page_bell_carries_the_mark_and_the_poll(alice) -> None:
    notify(alice)
    text = client_for(alice).get(reverse("sla:notifications")).content.decode()
    assert f'data-live-mark="{mark_of(alice)}"' in text
    assert f'data-live-poll="{BELL}"' in text


def test_an_anonymous_bell_poll_is_sent_to_the_login_page(client) -> None:
    response = client.get(BELL, {"mark": "0.0"})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_someone_without_a_role_is_refused_the_bell(nora) -> None:
    assert client_for(nora).get(BELL, {"mark": "0.0"}).status_code == 403
