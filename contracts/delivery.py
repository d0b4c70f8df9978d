"""The month's contract statements as PDFs: printed for the statement page's PDF link, and
mailed to the subscribers once the month is frozen (through ``reports.subscriptions``, which
logs each delivery and queues it once in the outbox)."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from contracts.months import Month
from contracts.presentation import budget_sentences, burndown_chart, money, statement_tables
from contracts.services import Statement, month_statements
from reports.charts import svg_geometry
from reports.models import SubscriptionKind
from reports.pdf import html_pdf
from reports.subscriptions import DeliveryRun, Message, deliveries_send
from sla.outbox import Attachment


def statement_pdf_render(*, statement: Statement, month: Month) -> bytes:
    """One customer's statement of ``month`` as a PDF."""
    payload = statement.payload
    chart = burndown_chart(payload)
    html = render_to_string(
        "contracts/statement_pdf.html",
        {
            "payload": payload,
            "month": month,
            "frozen": statement.frozen,
            "sentences": budget_sentences(payload),
            "tables": statement_tables(payload),
            "chart": chart,
            "g": svg_geometry(chart),
            "credit": money(payload, payload["credit_amount"]),
            "fee": money(payload, payload["contract"]["monthly_fee"]),
            "printed_at": timezone.now(),
        },
    )
    return html_pdf(html)


def statements_message(*, month: Month, now: datetime) -> Message:
    """Every customer's statement of ``month`` (frozen now if nobody froze them yet), one PDF
    each, listed in the body with what each owes."""
    statements = sorted(
        month_statements(month=month, now=now).values(),
        key=lambda s: s.payload["customer"]["name"],
    )
    rows = [
        {
            "name": s.payload["customer"]["name"],
            "missed": s.payload["missed"],
            "credit": money(s.payload, s.payload["credit_amount"]),
        }
        for s in statements
    ]
    body = render_to_string(
        "reports/mail_statements.txt",
        {
            "month": month,
            "rows": rows,
            "link": f"{settings.SITE_URL}{reverse('contracts:index')}?month={month}",
        },
    )
    attachments = [
        Attachment(
            f"statement-{month}-customer-{s.payload['customer']['id']}.pdf",
            statement_pdf_render(statement=s, month=month),
        )
        for s in statements
    ]
    return Message(
        subject=_("Contract statements, %(month)s") % {"month": month.label},
        body=body,
        attachments=attachments,
    )


def statements_deliver(*, now: datetime) -> DeliveryRun:
    """The 1st, after the freeze: last month's statements to each subscriber, once."""
    month = Month.containing(now).previous()
    return deliveries_send(
        kind=SubscriptionKind.MONTHLY_STATEMENTS,
        period=str(month),
        message=lambda: statements_message(month=month, now=now),
        now=now,
    )
