"""A manager drafts a policy in a real browser, replays it in a real worker (the page polls
with HTMX until the worker is done), sees the week table and the flips, and publishes it."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.utils import timezone
from playwright.sync_api import Page, expect

from cases import services
from cases.models import Severity, Tier
from sla import whatif
from sla.models import DraftState, ReplayState, SlaDraft, SlaPolicy, WhatIfReplay
from tests.cases.factories import root_cause
from tests.factories import CustomerFactory
from tests.integration.test_sla_browser import SCREENSHOTS, log_in
from tests.sla.factories import SlaPolicyFactory

pytestmark = [pytest.mark.integration, pytest.mark.browser]


def resolved_after(by: Any, customer: Any, cause: Any, *, hours: int, days_ago: int) -> Any:
    """A Standard S3 case resolved ``hours`` after it was raised (24x7, 8 h to resolve)."""
    raised = timezone.now() - timedelta(days=days_ago)
    with time_machine.travel(raised, tick=False):
        case = services.case_raise(
            raised_by=by,
            customer=customer,
            title=f"Checkout fails ({hours} h)",
            description="Orders stop at the payment step.",
            severity=Severity.S3,
        )
        services.case_acknowledge(case=case, by=by)
    with time_machine.travel(raised + timedelta(hours=hours), tick=False):
        services.case_resolve(case=case, by=by, summary="Fixed", root_cause=cause)
    return case


@pytest.mark.django_db(transaction=True)
def test_a_manager_drafts_replays_and_publishes_a_policy(
    live_server, page: Page, bob, password, celery_worker_process, monkeypatch
) -> None:
    policy = SlaPolicyFactory(tier=Tier.STANDARD, severity=Severity.S3, update_minutes=None)
    customer = CustomerFactory(tier=Tier.STANDARD)
    cause = root_cause()
    slow = resolved_after(bob, customer, cause, hours=6, days_ago=10)  # met at 8 h, breached at 4 h
    resolved_after(bob, customer, cause, hours=2, days_ago=3)  # met either way
    # Every replay goes to the worker, so the page shows its progress and polls.
    monkeypatch.setattr(whatif, "INLINE_CLOCKS", 0)
    celery_worker_process()
    log_in(page, live_server.url, "bob", password)

    page.get_by_role("button", name="Administration").click()  # the bar's menu
    page.get_by_role("link", name="SLA drafts").click()
    page.get_by_label("Make a draft of").select_option(label=f"{policy} ({policy.calendar})")
    page.get_by_role("button", name="Start a draft").click()
    expect(page.get_by_role("heading", name="Draft of the SLA policy Standard S3")).to_be_visible()

    page.get_by_label("Resolution (business minutes)").fill("10")
    page.get_by_role("button", name="Save the draft").click()  # refused: before the response
    expect(page.get_by_text("Resolution cannot come before the first response.")).to_be_visible()
    page.get_by_label("Resolution (business minutes)").fill("240")
    page.get_by_role("button", name="Save the draft").click()
    expect(page.get_by_text("Draft saved.")).to_be_visible()
    expect(page.get_by_role("row", name="Resolution (min) 480 240")).to_be_visible()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / "sla-draft.png", full_page=True)

    page.get_by_label("Replay over").select_option("12")
    page.get_by_role("button", name="Run the replay").click()
    expect(page.get_by_role("heading", name="Compliance per week")).to_be_visible(timeout=30_000)
    replay = WhatIfReplay.objects.get()
    assert replay.state == ReplayState.DONE and replay.weeks == 12
    flips = page.locator("#flips-to-breached")
    expect(flips.get_by_role("link", name=slow.reference)).to_be_visible()
    expect(page.locator("#replay-weeks tfoot")).to_contain_text("100.0%")
    expect(page.locator("#replay-weeks tfoot")).to_contain_text(
        "75.0%"
    )  # 4 clocks, the slow resolution breached
    page.screenshot(path=SCREENSHOTS / "sla-whatif.png", full_page=True)

    page.get_by_role("link", name=f"Draft {replay.draft_id}").click()
    page.get_by_role("button", name="Publish the draft").click()
    expect(page.get_by_text("Open cases are being re-aligned in the background.")).to_be_visible()
    assert SlaPolicy.objects.get(pk=policy.pk).resolution_minutes == 240
    assert SlaDraft.objects.get().state == DraftState.PUBLISHED
    page.screenshot(path=SCREENSHOTS / "sla-draft-published.png", full_page=True)
