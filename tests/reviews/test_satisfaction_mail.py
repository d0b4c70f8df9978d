"""The satisfaction survey's email against a real SMTP server (aiosmtpd): it rides the outbox, so
a mail server that is down when the case is resolved delays the survey, never the resolution,
and the customer gets it once."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.test import Client
from django.utils import timezone

from cases.models import Severity, Status
from cases.services import case_resolve
from sla import tasks
from sla.models import MailStatus, OutgoingMail
from tests.factories import CaseFactory, ContactFactory, RootCauseFactory
from tests.sla.smtp import SmtpServer, smtp_server_fixture  # noqa: F401 - smtp_server

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_case_resolves_while_the_mail_server_is_down_and_its_survey_follows_once(
    bob, smtp_server: SmtpServer
) -> None:
    contact = ContactFactory(email="pat@customer.example")
    case = CaseFactory(
        severity=Severity.S3,
        status=Status.IN_PROGRESS,
        customer=contact.customer,
        contact=contact,
        title="Invoices missing",
    )
    smtp_server.stop()
    case_resolve(case=case, by=bob, summary="Fixed", root_cause=RootCauseFactory())
    case.refresh_from_db()
    assert case.status == Status.RESOLVED
    [waiting] = OutgoingMail.objects.filter(to="pat@customer.example")
    assert waiting.status == MailStatus.PENDING and "ConnectionRefusedError" in waiting.last_error
    assert smtp_server.received == []

    smtp_server.start()
    tasks.mail_send([waiting.pk])  # the task's retry
    tasks.mail_send([waiting.pk])  # delivered twice
    with time_machine.travel(timezone.now() + timedelta(hours=1)):
        tasks.mail_redispatch()  # and the beat finds nothing left to send
    [message] = smtp_server.received
    assert (message.to, message.subject) == (
        "pat@customer.example",
        f"How did we do on {case.reference}?",
    )
    assert f"{case.reference} “Invoices missing”" in message.body
    link = next(line for line in message.body.splitlines() if "/learning/satisfaction/" in line)
    assert Client().get(link.removeprefix(settings.SITE_URL)).status_code == 200
