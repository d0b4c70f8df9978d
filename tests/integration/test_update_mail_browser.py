"""A manager writes a customer update in a real browser, from a reply template, with a CC
contact added on the case page; a real Celery worker sends it to a real SMTP server (aiosmtpd),
where it arrives once per recipient with the right headers; the timeline then says it was
delivered."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page, expect

from cases.models import Status
from comms.models import Delivery, ReplyTemplate
from comms.status_links import case_for_status_token
from comms.threading import case_for_reply_address
from sla.models import MailStatus, OutgoingMail
from tests.factories import CaseFactory, ContactFactory
from tests.integration.test_accessibility import DESKTOP, axe_violations, describe, shoot
from tests.integration.test_case_journeys import htmx_settled, log_in
from tests.integration.test_sla_worker import wait_for
from tests.sla.smtp import SmtpServer

pytestmark = [pytest.mark.integration, pytest.mark.browser]


@pytest.mark.django_db(transaction=True)
def test_an_update_written_in_the_browser_arrives_at_the_smtp_server_with_the_right_headers(
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
    smtp = SmtpServer()
    smtp.start()
    celery_worker_process(**smtp.settings())
    contact = ContactFactory(name="Pat Jones", email="pat@customer.example")
    ContactFactory(customer=contact.customer, name="Quinn Lee", email="quinn@customer.example")
    case = CaseFactory(
        customer=contact.customer,
        contact=contact,
        owner=bob,
        team=service_desk,
        status=Status.IN_PROGRESS,
        title="Checkout fails with error 502",
    )
    try:
        page.set_viewport_size(DESKTOP)
        log_in(page, live_server.url, "bob", password)

        # The manager keeps the reply template; a placeholder that is not one is refused.
        page.goto(f"{live_server.url}/comms/reply-templates/")
        page.get_by_label("Name").fill("Fix planned")
        text = page.get_by_label("Text")
        text.fill("Dear {contact}, we fix {reference} tonight. Next update: {next_update}.")
        page.get_by_role("button", name="Save template").click()
        expect(page.get_by_text("{next_update} is not a placeholder.")).to_be_visible()
        violations = axe_violations(page)
        shoot(page, "reply-template-refused")
        assert violations == [], describe(violations)
        text.fill("Dear {contact}, we fix {reference} tonight. Next update: {next_update_due}.")
        page.get_by_role("button", name="Save template").click()
        expect(page.get_by_role("link", name="Fix planned")).to_be_visible()
        assert ReplyTemplate.objects.get().team is None

        page.goto(f"{live_server.url}/cases/{case.reference}/")

        panel = page.locator("#comms-panel")
        expect(panel.get_by_role("heading", name="Updates are emailed to")).to_be_visible()
        panel.get_by_text("Add a CC contact").click()
        panel.get_by_label("Contact").select_option(label="Quinn Lee")
        panel.get_by_role("button", name="Add").click()
        expect(page.locator("#comms-panel").get_by_text("quinn@customer.example")).to_be_visible()

        htmx_settled(page)  # the picker is a fragment: a choice made before it is wired is lost
        page.get_by_label("Start from a reply template").select_option(label="Fix planned")
        message = page.get_by_label("Message")
        expect(message).to_have_value(
            f"Dear Pat Jones, we fix {case.reference} tonight. Next update: not scheduled."
        )
        expect(page.get_by_label("Customer-facing update")).to_be_checked()
        page.get_by_role("button", name="Add", exact=True).first.click()
        expect(page.get_by_text("Customer update added.")).to_be_visible()

        wait_for(
            lambda: OutgoingMail.objects.filter(status=MailStatus.SENT).count() == 2,
            "both messages sent by the worker",
            celery_processes.output,
        )
        page.reload()
        timeline = page.locator("#case-timeline")
        expect(timeline.get_by_text("pat@customer.example")).to_be_visible()
        expect(timeline.locator(".delivery-sent")).to_have_count(2)
        violations = axe_violations(page)
        shoot(page, "update-mail-delivered")
        assert violations == [], describe(violations)
    finally:
        smtp.stop()

    assert sorted(m.to for m in smtp.received) == ["pat@customer.example", "quinn@customer.example"]
    deliveries = {d.recipient: d for d in Delivery.objects.all()}
    for received in smtp.received:
        mail = received.message
        assert mail is not None
        assert mail["Subject"] == f"[{case.reference}] Checkout fails with error 502"
        assert (mail["To"], mail["Cc"]) == ("pat@customer.example", "quinn@customer.example")
        assert case_for_reply_address(str(mail["Reply-To"])) == case
        assert mail["Message-ID"] == deliveries[received.to].message_id
        text = mail.get_body(("plain",)).get_content()
        assert f"we fix {case.reference} tonight" in text
        link = next(line.strip() for line in text.splitlines() if "/status/" in line)
        assert case_for_status_token(link.rstrip("/").rsplit("/", 1)[-1]) == case
        assert mail.get_body(("html",)) is not None
