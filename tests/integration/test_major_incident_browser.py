"""A manager runs a major incident in a real browser: declares it from a case, adds three
affected cases from the queue's bulk bar, writes one update that a real Celery worker posts on
all three children's timelines, then resolves the parent and the children with it."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

from cases.models import Case, CaseEvent, EventKind, Status
from cases.services import case_raise
from comms.models import Broadcast
from incidents.models import IncidentState, MajorIncident
from tests.factories import ContactFactory, CustomerFactory, RootCauseFactory
from tests.integration.test_accessibility import DESKTOP, shoot
from tests.integration.test_case_journeys import log_in
from tests.integration.test_sla_worker import wait_for
from tests.sla.factories import SlaPolicyFactory

pytestmark = [pytest.mark.integration, pytest.mark.browser]


def raised(by: Any, title: str, severity: str) -> Case:
    customer = CustomerFactory(name=f"{title} Ltd")
    contact = ContactFactory(
        customer=customer, email=f"it@{title.lower().replace(' ', '')}.example"
    )
    return case_raise(
        raised_by=by,
        customer=customer,
        contact=contact,
        title=title,
        description="Card payments fail at checkout.",
        severity=severity,
    )


@pytest.mark.django_db(transaction=True)
def test_a_manager_runs_a_major_incident_from_declaration_to_resolution(
    live_server,
    page: Page,
    settings: Any,
    bob: Any,
    service_desk: Any,
    password: str,
    celery_processes,
    celery_worker_process,
) -> None:
    settings.SITE_URL = live_server.url
    celery_worker_process()
    service_desk.members.add(bob)
    RootCauseFactory(name="Payment gateway outage")
    for severity in ("S1", "S2"):
        SlaPolicyFactory(severity=severity)
    parent = raised(bob, "Payments down", "S1")
    children = [raised(bob, f"Shop {n}", "S2") for n in "ABC"]

    page.set_viewport_size(DESKTOP)
    log_in(page, live_server.url, "bob", password)

    # Declare from the case page.
    page.goto(f"{live_server.url}/cases/{parent.reference}/")
    page.locator("#incident-declare summary").click()
    page.get_by_role("button", name="Declare a major incident").click()
    expect(page.get_by_text(f"{parent.reference} is a major incident")).to_be_visible()
    incident = MajorIncident.objects.get(case=parent)

    # Add the three children from the queue's bulk bar.
    page.goto(live_server.url + reverse("cases:queue"))
    for child in children:
        page.locator(f"#select-{child.pk}").check()
    page.get_by_role("button", name="Bulk actions").click()
    picker = page.locator("#bulk-incident")
    expect(picker).to_be_visible()
    picker.select_option(value=str(incident.pk))
    page.locator("#bulk-incident-link").click()
    expect(page.get_by_text("Linked 3:")).to_be_visible()
    assert Case.objects.filter(parent=parent).count() == 3
    page.goto(live_server.url + reverse("cases:queue") + "?parents_only=true")
    expect(page.get_by_role("link", name=parent.reference)).to_be_visible()
    shoot(page, "major-incident-queue")

    # One update, posted on every child's timeline by the worker.
    page.goto(f"{live_server.url}/cases/{parent.reference}/")
    panel = page.locator("#incident-panel")
    expect(panel.locator("#incident-children")).to_be_visible()
    panel.get_by_label("Update to every affected customer").fill("We are restoring payments.")
    panel.get_by_role("button", name="Post the update").click()
    expect(page.get_by_text("Update posted; going out to 3 affected cases.")).to_be_visible()

    def on_every_child() -> bool:
        updates = CaseEvent.objects.filter(
            case__in=children, kind=EventKind.UPDATE, body="We are restoring payments."
        )
        return updates.count() == 3

    wait_for(on_every_child, "the update on the three children", celery_processes.output)
    assert Broadcast.objects.get(parent=parent).done == 3
    page.reload()
    expect(page.locator("#broadcast-progress")).to_contain_text("posted on all 3 affected cases")
    expect(page.locator("#next-update-due time")).to_be_visible()
    shoot(page, "major-incident-parent")

    # Resolve the parent and, ticked by default, its children.
    panel = page.locator("#incident-panel")
    panel.locator("#incident-resolve summary").click()
    panel.get_by_label("Resolution summary").fill("The gateway was failed over.")
    panel.get_by_label("Root cause").select_option(label="Payment gateway outage")
    panel.get_by_role("button", name="Resolve").click()
    expect(page.get_by_text(f"{parent.reference} resolved with 3 affected cases.")).to_be_visible()
    assert MajorIncident.objects.get(pk=incident.pk).state == IncidentState.RESOLVED
    for child in children:
        child.refresh_from_db()
        assert child.status == Status.RESOLVED
        assert child.resolution_summary == "The gateway was failed over."
    shoot(page, "major-incident-resolved")
