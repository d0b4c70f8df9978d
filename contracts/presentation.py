"""What a statement shows, from its payload: the sentences of the error budget, its tables
(the page, the CSV files and the PDF show the same ones) and the burn-down chart."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django.utils.formats import number_format

from contracts.months import Month
from reports.charts import BLUE, VERMILION, Chart, Series
from reports.presentation import Column, Table, format_duration


def money(payload: dict[str, Any], amount: str) -> str:
    """``EUR 1,200.00``."""
    value = number_format(Decimal(amount), decimal_pos=2, force_grouping=True)
    return f"{payload['contract']['currency']} {value}"


def severities_text(payload: dict[str, Any]) -> str:
    return "/".join(payload["contract"]["severities"])


def _breaches(n: int, severities: str) -> str:
    return f"{n} more {severities} breach{'es' if n != 1 else ''}"


def budget_sentences(payload: dict[str, Any]) -> list[str]:
    """The error budget in words: how many more breaches the month takes, and what the next
    ones cost ("2 more S1/S2 breaches this month cost 5% credit (EUR 600.00)")."""
    severities = severities_text(payload)
    month = "this month" if payload["live"] else "that month"
    committed = payload["contract"]["committed_percent"]
    sentences = []
    if payload["missed"]:
        sentences.append(
            f"The commitment of {committed}% is missed: {payload['compliance']}% of "
            f"{payload['in_scope']} resolutions in target, {payload['points_below']} points "
            f"below, {payload['credit_percent']}% credit "
            f"({money(payload, payload['credit_amount'])})."
        )
    elif payload["breaches_left"] == 0:
        sentences.append(
            f"No breach left in the budget: one more {severities} breach {month} misses the "
            f"commitment of {committed}%."
        )
    else:
        sentences.append(
            f"{_breaches(payload['breaches_left'], severities)} {month} "
            f"keep{'s' if payload['breaches_left'] == 1 else ''} the commitment of {committed}%."
        )
    if not payload["live"]:
        return sentences
    owed = Decimal(payload["credit_percent"]) > 0
    for step in payload["next_costs"][:3]:
        one = step["more"] == 1
        credit = f"{step['credit_percent']}% credit ({money(payload, step['credit_amount'])})"
        # With credit owed already, a further breach raises it to the figure, not by it.
        verb = (
            ("brings" if one else "bring") + " the credit to"
            if owed
            else ("costs" if one else "cost")
        )
        effect = f"{verb} {credit}"
        sentences.append(f"{_breaches(step['more'], severities)} {month} {effect}.")
    if payload["next_costs"]:
        sentences.append(
            "Counted as if no other covered case were resolved meanwhile: each resolution in "
            "target makes room."
        )
    return sentences


def statement_tables(payload: dict[str, Any]) -> dict[str, Table]:
    contract = payload["contract"]
    summary_rows = [
        ("Customer", payload["customer"]["name"]),
        ("Month", payload["month"]),
        ("Covered severities", severities_text(payload)),
        ("Committed compliance (%)", contract["committed_percent"]),
        ("Resolutions in scope", payload["in_scope"]),
        ("In target", payload["met"]),
        ("Breached", payload["breached"]),
        ("Compliance (%)", payload["compliance"]),
        ("Points below the commitment", payload["points_below"]),
        ("Credit (% of the fee)", payload["credit_percent"]),
        (f"Monthly fee ({contract['currency']})", contract["monthly_fee"]),
        (f"Credit owed ({contract['currency']})", payload["credit_amount"]),
        ("Breaches left in the budget", payload["breaches_left"]),
        ("State", "frozen" if not payload["live"] else f"live, as of {payload['as_of']}"),
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
            title="Statement",
            columns=[Column("figure", "Figure"), Column("value", "Value")],
            rows=[{"figure": f, "value": v} for f, v in summary_rows],
        ),
        "breaches": Table(
            key="breaches",
            title="Resolutions out of target",
            columns=[
                Column("reference", "Case", "case"),
                Column("title", "Title"),
                Column("severity", "Severity", "severity"),
                Column("breached_at", "Deadline passed", "datetime"),
                Column("resolved_at", "Resolved", "datetime"),
                Column("late", "Late by (business time)"),
            ],
            rows=breaches,
            empty="No covered resolution out of target.",
            note=(
                ""
                if payload["breaches_listed_all"]
                else f"The {len(breaches)} latest (most business time) of {payload['breached']}."
            ),
        ),
        "days": Table(
            key="days",
            title="Day by day",
            columns=[
                Column("day", "Day"),
                Column("in_scope", "Resolutions so far", "count"),
                Column("breached", "Breached so far", "count"),
                Column("breaches_left", "Breaches left", "count"),
                Column("credit_percent", "Credit (%)"),
            ],
            rows=payload["days"],
            empty="The month has no day yet.",
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
        title="Error budget, day by day",
        kind="line",
        labels=labels,
        series=[
            Series("Breaches so far", [d["breached"] for d in days] + rest, VERMILION),
            Series("Breaches left", [d["breaches_left"] for d in days] + rest, BLUE),
        ],
    )
    if days:
        last = days[-1]
        day = date.fromisoformat(last["day"]).day
        chart.summary = (
            f"By day {day}: {last['breached']} breached of {last['in_scope']} "
            f"resolutions, {last['breaches_left']} more breaches left before the commitment "
            "is missed."
        )
    return chart
