"""A breach is a fact, end to end: a case breaches in the running app (a real Celery worker and
beat escalate it), a manager lowers its severity in the browser, and the case page, the
dashboard and the live weekly report still show the breach."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from cases.models import Case
from reports.weeks import IsoWeek
from sla.models import CaseClock, ClockKind, SlaBreach
from tests.integration.test_sla_worker import (  # noqa: F401 - the worker test's world
    SWEEP,
    customer,
    engineering,
    escalated,
    ladder,
    management,
    quick_policy,
    raise_due_in,
    second_line,
    wait_for,
)
from tests.integration.test_sla_worker import world as world
from tests.sla.factories import SlaPolicyFactory

pytestmark = [
    pytest.mark.integration,
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]

SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"


def shoot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"{name}.png", full_page=True)


def test_a_breach_stays_on_the_case_page_dashboard_and_report_after_severity_is_lowered(
    live_server,
    page: Page,
    celery_processes,
    celery_worker_process,
    world: SimpleNamespace,
    password,
) -> None:  # type: ignore[no-untyped-def]
    SlaPolicyFactory(severity="S4", response_minutes=600, resolution_minutes=6000)
    case = raise_due_in(5, world)
    celery_worker_process(**SWEEP)
    celery_processes.start("beat", **SWEEP)
    wait_for(lambda: escalated(case), "the breach escalation", celery_processes.output)
    breach = SlaBreach.objects.get(case=case)
    assert (breach.clock_kind, breach.policy_name) == (ClockKind.RESPONSE, "Standard S3")

    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.set_viewport_size({"width": 1366, "height": 900})
    page.goto(f"{live_server.url}/accounts/login/?next=/cases/{case.reference}/")
    page.get_by_label("Username").fill("bob")
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Checkout fails")

    page.locator("#action-severity summary").click()
    page.locator("#id_severity-severity").select_option("S4")
    page.locator("#id_severity-reason").fill("Workaround in place")
    page.get_by_role("button", name="Change severity").click()
    expect(page.get_by_role("alert")).to_contain_text("Severity set to S4.")
    page.reload()
    expect(page.get_by_text("left on the new target").first).to_be_visible()
    shoot(page, "breach-case-after-severity-lowered")

    clock = CaseClock.objects.get(case=case, kind=ClockKind.RESPONSE)
    assert clock.breached_at == breach.breached_at and clock.attempt == 2
    assert Case.objects.get(pk=case.pk).severity == "S4"

    page.goto(f"{live_server.url}/learning/")
    risk = page.get_by_role("region", name="At risk now")
    expect(risk).to_contain_text(case.reference)
    expect(risk).to_contain_text("Breached")
    shoot(page, "breach-dashboard-after-severity-lowered")

    week = IsoWeek.containing(timezone.now())
    page.goto(f"{live_server.url}/reports/weekly/{week}/")
    expect(page.locator('[data-figure="breaches"] .headline-value')).to_have_text("1")
    shoot(page, "breach-weekly-report-after-severity-lowered")
    assert errors == []
