"""What a statement shows, from its payload: the sentences of the error budget, its tables
(the page, the CSV files and the PDF show the same ones) and the burn-down chart."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from contracts.months import Month
from reports.charts import BLUE, VERMILION, Chart, Series
from reports.presentation import Column, Table, format_duration


def money(payload: dict[str, Any], amount: str) -> str:
    """``EUR 1,200.00``."""
    value = number_format(Decimal(amount), decimal_pos=2, force_grouping=True)
    return f"{payload['contract']['currency']} {value}"


def severities_text(payload: dict[str, Any]) -> str:
    return "/".join(payload["contract"]["severities"])


def budget_sentences(payload: dict[str, Any]) -> list[str]:
    """The error budget in words: how many more breaches the month takes, and what the next
    ones cost ("2 more S1/S2 breaches this month cost 5% credit (EUR 600.00)")."""
    severities = severities_text(payload)
    month = _("this month") if payload["live"] else _("that month")
    committed = payload["contract"]["committed_percent"]
    words = {"severities": severities, "month": month, "committed": committed}
    sentences = []
    if payload["missed"]:
        sentences.append(
            _(
                "The commitment of %(committed)s%% is missed: %(compliance)s%% of %(in_scope)s "
                "resolutions in target, %(points)s points below, %(credit)s%% credit (%(amount)s)."
            )
            % {
                "committed": committed,
                "compliance": payload["compliance"],
                "in_scope": payload["in_scope"],
                "points": payload["points_below"],
                "credit": payload["credit_percent"],
                "amount": money(payload, payload["credit_amount"]),
            }
        )
    elif payload["breaches_left"] == 0:
        sentences.append(
            _(
                "No breach left in the budget: one more %(severities)s breach %(month)s misses "
                "the commitment of %(committed)s%%."
            )
            % words
        )
    else:
        left = payload["breaches_left"]
        sentences.append(
            ngettext(
                "%(count)s more %(severities)s breach %(month)s keeps the commitment of "
                "%(committed)s%%.",
                "%(count)s more %(severities)s breaches %(month)s keep the commitment of "
                "%(committed)s%%.",
                left,
            )
            % {**words, "count": left}
        )
    if not payload["live"]:
        return sentences
    owed = Decimal(payload["credit_percent"]) > 0
    for step in payload["next_costs"][:3]:
        credit = _("%(percent)s%% credit (%(amount)s)") % {
            "percent": step["credit_percent"],
            "amount": money(payload, step["credit_amount"]),
        }
        # With credit owed already, a further breach raises it to the figure, not by it.
        if owed:
            text = ngettext(
                "%(count)s more %(severities)s breach %(month)s brings the credit to %(credit)s.",
                "%(count)s more %(severities)s breaches %(month)s bring the credit to %(credit)s.",
                step["more"],
            )
        else:
            text = ngettext(
                "%(count)s more %(severities)s breach %(month)s costs %(credit)s.",
                "%(count)s more %(severities)s breaches %(month)s cost %(credit)s.",
                step["more"],
            )
        sentences.append(text % {**words, "count": step["more"], "credit": credit})
    if payload["next_costs"]:
        sentences.append(
            _(
                "Counted as if no other covered case were resolved meanwhile: each resolution in "
                "target makes room."
            )
        )
    return sentences


def statement_tables(payload: dict[str, Any]) -> dict[str, Table]:
    contract = payload["contract"]
    currency = {"currency": contract["currency"]}
    state = _("frozen") if not payload["live"] else _("live, as of %(as_of)s") % payload
    summary_rows = [
        (_("Customer"), payload["customer"]["name"]),
        (_("Month"), payload["month"]),
        (_("Covered severities"), severities_text(payload)),
        (_("Committed compliance (%)"), contract["committed_percent"]),
        (_("Resolutions in scope"), payload["in_scope"]),
        (_("In target"), payload["met"]),
        (_("Breached"), payload["breached"]),
        (_("Compliance (%)"), payload["compliance"]),
        (_("Points below the commitment"), payload["points_below"]),
        # xgettext:no-python-format (a lone % sign, not a placeholder)
        (_("Credit (% of the fee)"), payload["credit_percent"]),
        (_("Monthly fee (%(currency)s)") % currency, contract["monthly_fee"]),
        (_("Credit owed (%(currency)s)") % currency, payload["credit_amount"]),
        (_("Breaches left in the budget"), payload["breaches_left"]),
        (_("State"), state),
    ]
    breaches = [
        {
            "reference": b["reference"],
            "title": b["title"],
            "severity": b["severity"],
            "breached_at": b["breached_at"],
            "resolved_at": b["resolved_at"],
            "late": format_duration(b["late_seconds"]),
            "late_seconds": b["late_seconds"],
        }
        for b in payload["breaches"]
    ]
    return {
        "summary": Table(
            key="summary",
            title=_("Statement"),
            columns=[Column("figure", _("Figure")), Column("value", _("Value"))],
            rows=[{"figure": f, "value": v} for f, v in summary_rows],
        ),
        "breaches": Table(
            key="breaches",
            title=_("Resolutions out of target"),
            columns=[
                Column("reference", _("Case"), "case"),
                Column("title", _("Title")),
                Column("severity", _("Severity"), "severity"),
                Column("breached_at", _("Deadline passed"), "datetime"),
                Column("resolved_at", _("Resolved"), "datetime"),
                Column("late", _("Late by (business time)")),
            ],
            rows=breaches,
            empty=_("No covered resolution out of target."),
            note=(
                ""
                if payload["breaches_listed_all"]
                else _("The %(shown)s latest (most business time) of %(total)s.")
                % {"shown": len(breaches), "total": payload["breached"]}
            ),
        ),
        "days": Table(
            key="days",
            title=_("Day by day"),
            columns=[
                Column("day", _("Day")),
                Column("in_scope", _("Resolutions so far"), "count"),
                Column("breached", _("Breached so far"), "count"),
                Column("breaches_left", _("Breaches left"), "count"),
                Column("credit_percent", _("Credit (%)")),
            ],
            rows=payload["days"],
            empty=_("The month has no day yet."),
        ),
    }


def burndown_chart(payload: dict[str, Any]) -> Chart:
    """Day by day: the breaches spent so far and those left before the commitment is missed."""
    days = payload["days"]
    # The whole month on the axis: the days to come stay empty while it runs.
    month = Month.parse(payload["month"])
    labels = [str(day.day) for day in month.days]
    rest: list[float | None] = [None] * (len(labels) - len(days))
    chart = Chart(
        key="burndown",
        title=_("Error budget, day by day"),
        kind="line",
        labels=labels,
        series=[
            Series(_("Breaches so far"), [d["breached"] for d in days] + rest, VERMILION),
            Series(_("Breaches left"), [d["breaches_left"] for d in days] + rest, BLUE),
        ],
    )
    if days:
        last = days[-1]
        day = date.fromisoformat(last["day"]).day
        chart.summary = _(
            "By day %(day)s: %(breached)s breached of %(in_scope)s resolutions, %(left)s more "
            "breaches left before the commitment is missed."
        ) % {
            "day": day,
            "breached": last["breached"],
            "in_scope": last["in_scope"],
            "left": last["breaches_left"],
        }
    return chart
