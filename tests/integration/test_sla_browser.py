"""The notification bell and page in a real browser: the count, marking one read in place
(HTMX), marking all read."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from sla.models import Notification, NotificationKind

pytestmark = [pytest.mark.integration, pytest.mark.browser]

SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"


def log_in(page: Page, base: str, username: str, password: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()


@pytest.mark.django_db(transaction=True)
def test_the_bell_counts_unread_notifications_and_the_page_marks_them_read(
    live_server, page: Page, alice, bob, password
) -> None:
    now = timezone.now()
    kinds = [NotificationKind.SLA_BREACH, NotificationKind.SLA_WARNING, NotificationKind.ASSIGNED]
    for n, kind in enumerate(kinds):
        Notification.objects.create(
            recipient=alice,
            kind=kind,
            subject=f"ESC-00000{n + 1} {kind.label.lower()} <b>not bold</b>",
            body="Checkout fails for batch 7",
            created_at=now - timedelta(minutes=10 * n),
        )
    Notification.objects.create(
        recipient=bob, kind=NotificationKind.OTHER, subject="for bob only", created_at=now
    )
    log_in(page, live_server.url, "alice", password)

    bell = page.get_by_role("link", name="Notifications: 3 unread")
    expect(bell).to_be_visible()
    bell.click()
    expect(page.get_by_role("heading", name="Notifications")).to_be_visible()
    expect(page.get_by_text("for bob only")).to_have_count(0)
    expect(page.get_by_text("<b>not bold</b>").first).to_be_visible()  # escaped, not markup
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / "sla-notifications.png", full_page=True)

    page.get_by_role("button", name="Mark read").first.click()  # swapped in place by HTMX
    expect(page.get_by_role("button", name="Mark read")).to_have_count(2)
    expect(page.get_by_role("link", name="Notifications: 2 unread")).to_be_visible()  # OOB
    assert Notification.objects.filter(recipient=alice, read_at__isnull=True).count() == 2

    page.get_by_role("button", name="Mark all read (2)").click()
    expect(page.get_by_role("alert")).to_contain_text("Marked 2 notifications read.")
    expect(page.get_by_role("link", name="Notifications: none unread")).to_be_visible()
    page.screenshot(path=SCREENSHOTS / "sla-notifications-all-read.png", full_page=True)
