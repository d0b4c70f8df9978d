"""The notifications page and the bell: everyone sees and marks only their own."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from sla.models import Notification, NotificationKind
from tests.conftest import client_for
from tests.factories import CaseFactory

pytestmark = pytest.mark.django_db

NOON = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


def notify(user, subject: str = "ESC-000001 at risk", minutes: int = 0, **kwargs) -> Notification:  # type: ignore[no-untyped-def]
    return Notification.objects.create(
        recipient=user,
        kind=kwargs.pop("kind", NotificationKind.SLA_WARNING),
        subject=subject,
        created_at=NOON + timedelta(minutes=minutes),
        **kwargs,
    )


def test_the_page_lists_only_your_own_notifications_newest_first(alice, bob) -> None:
    notify(alice, "older", minutes=1)
    notify(alice, "newer", minutes=2)
    notify(bob, "bob's own")
    response = client_for(alice).get(reverse("sla:notifications"))
    assert response.status_code == 200
    text = response.content.decode()
    assert text.index("newer") < text.index("older")
    assert "bob&#x27;s own" not in text and "bob's own" not in text


def test_an_executive_sees_their_own_notifications_but_never_anyone_elses(erin, bob) -> None:
    mine = notify(erin, "for erin")
    theirs = notify(bob, "for bob")
    client = client_for(erin)
    page = client.get(reverse("sla:notifications")).content.decode()
    assert "for erin" in page and "for bob" not in page
    # Marking someone else's notification read is 'not found', and changes nothing.
    response = client.post(reverse("sla:notification_read", args=[theirs.pk]))
    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None
    assert client.post(reverse("sla:notification_read", args=[mine.pk])).status_code == 302
    mine.refresh_from_db()
    assert mine.read_at is not None


def test_someone_without_a_role_is_refused_the_page(nora) -> None:
    assert client_for(nora).get(reverse("sla:notifications")).status_code == 403


def test_marking_one_read_keeps_the_others_unread(alice) -> None:
    first, second = notify(alice, "first"), notify(alice, "second")
    client_for(alice).post(reverse("sla:notification_read", args=[first.pk]))
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.read_at is not None and second.read_at is None


def test_marking_read_with_htmx_returns_the_row_without_its_button(alice) -> None:
    item = notify(alice, "row")
    response = client_for(alice).post(
        reverse("sla:notification_read", args=[item.pk]), HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    assert f'id="notification-{item.pk}"' in response.content.decode()
    assert "Mark read" not in response.content.decode()


def test_opening_a_notification_marks_it_read_and_goes_to_the_case(alice) -> None:
    case = CaseFactory(raised_by=alice)
    item = notify(alice, "open me", case=case)
    response = client_for(alice).post(
        reverse("sla:notification_read", args=[item.pk]), {"open": "1"}
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/cases/{case.reference}/")
    item.refresh_from_db()
    assert item.read_at is not None


def test_mark_all_read_marks_only_your_own(alice, bob) -> None:
    notify(alice, "a1")
    notify(alice, "a2")
    theirs = notify(bob, "b1")
    response = client_for(alice).post(reverse("sla:notifications_read_all"), follow=True)
    assert "Marked 2 notifications read." in response.content.decode()
    assert not Notification.objects.filter(recipient=alice, read_at__isnull=True).exists()
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_marking_read_is_post_only(alice) -> None:
    item = notify(alice)
    assert (
        client_for(alice).get(reverse("sla:notification_read", args=[item.pk])).status_code == 405
    )
    assert client_for(alice).get(reverse("sla:notifications_read_all")).status_code == 405


def test_the_bell_shows_the_unread_count_with_one_query(alice) -> None:
    for n in range(3):
        notify(alice, f"n{n}")
    notify(alice, "read", read_at=NOON)
    client = client_for(alice)
    response = client.get(reverse("sla:notifications"))
    assert 'data-testid="unread-count">3<' in response.content.decode()
    assert "Notifications: 3 unread" in response.content.decode()
    with CaptureQueriesContext(connection) as queries:
        client.get(reverse("password_change"))
    counts = [q["sql"] for q in queries if "sla_notification" in q["sql"]]
    assert len(counts) == 1 and "COUNT(" in counts[0].upper()


def test_the_bell_counts_past_99_as_99_plus(alice) -> None:
    Notification.objects.bulk_create(
        Notification(recipient=alice, kind="other", subject="x", created_at=NOON)
        for _ in range(120)
    )
    response = client_for(alice).get(reverse("password_change"))
    assert 'data-testid="unread-count">99+<' in response.content.decode()


def test_no_bell_for_someone_without_a_role(nora) -> None:
    response = client_for(nora).get(reverse("password_change"))
    assert "unread-count" not in response.content.decode()
    assert reverse("sla:notifications") not in response.content.decode()


def test_the_list_is_paged_with_a_fixed_number_of_queries(
    alice, django_assert_max_num_queries
) -> None:
    case = CaseFactory(raised_by=alice)
    Notification.objects.bulk_create(
        Notification(recipient=alice, kind="other", subject=f"n{n}", case=case, created_at=NOON)
        for n in range(45)
    )
    client = client_for(alice)
    client.get(reverse("sla:notifications"))  # warm the session
    with django_assert_max_num_queries(8):
        response = client.get(reverse("sla:notifications") + "?page=2")
    assert "Page 2 of 2" in response.content.decode()
