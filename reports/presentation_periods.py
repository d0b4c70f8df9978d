"""How a period's report and the people page read: headline cards and tables, shared by the
page and the CSV files (the weekly report's columns and formats, ``reports.presentation``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from reports.charts import Chart
from reports.charts import _fmt as chart_value
from reports.people import PersonFigures
from reports.presentation import (
    HEADLINES,
    TREND_COLUMNS,
    Card,
    Column,
    Headline,
    Table,
    backlog_age_table,
    breakdown_tables,
    compared,
    figure_text,
    headline_card,
    headline_table,
    hours,
    trend_table,
)

# Satisfaction is counted per ISO week (reviews.selectors.satisfaction_by_week): not here.
PERIOD_HEADLINES = tuple(h for h in HEADLINES if h.key != "csat_average")


def period_cards(payload: dict[str, Any]) -> list[Card]:
    """One card per headline figure: the period's, and the previous period's beside it with the
    verdict in words first ("worse", "better"; a volume is neither)."""
    now, before = payload["headline"], payload["previous"]
    cards = []
    for h in PERIOD_HEADLINES:
        label = str(h.label)
        if h.key == "backlog":
            label = _("Open now") if payload["live"] else _("Open at the end")
        value, previous = now.get(h.key), before.get(h.key)
        change = _period_change(h, value, previous, payload["previous_label"])
        cards.append(
            headline_card(h, label, value, previous, change=change, detail=_detail(h.key, now))
        )
    return cards


def _period_change(h: Headline, value: float | None, previous: float | None, period: str) -> str:
    """The previous period's figure, the verdict first: "worse: 12 in October 2026"."""
    tone, _direction = compared(h, value, previous)
    if tone == "none":
        return ""
    change = _("%(previous)s in %(period)s") % {
        "previous": figure_text(h.kind, previous),
        "period": period,
    }
    verdict = {"better": _("better"), "worse": _("worse")}.get(tone)
    return f"{verdict}: {change}" if verdict else change


BACKLOG_TITLES = {
    "day": gettext_lazy("Open at the end of each day"),
    "week": gettext_lazy("Open at the end of each week"),
    "month": gettext_lazy("Open at the end of each month"),
}


def period_charts(charts: list[Chart], *, grain: str) -> list[Chart]:
    """The weekly report's charts (``reports.charts``) in a period's words: its buckets are
    days, weeks or months, and the last one is compared with the one before it."""
    for chart in charts:
        if chart.key == "backlog":
            chart.title = str(BACKLOG_TITLES[grain])
        if chart.key != "backlog_age":
            chart.summary = _chart_summary(chart)
    return charts


def _chart_summary(chart: Chart) -> str:
    parts = []
    for series in chart.series:
        known = [v for v in series.values if v is not None]
        text = _("%(series)s: %(value)s in the last part, from %(label)s") % {
            "series": series.label,
            "value": chart_value(series.values[-1] if series.values else None, chart.unit),
            "label": chart.labels[-1] if chart.labels else "—",
        }
        if len(known) > 1:
            text += "; " + _("between %(low)s and %(high)s over the period") % {
                "low": chart_value(min(known), chart.unit),
                "high": chart_value(max(known), chart.unit),
            }
        parts.append(text)
    return ". ".join(parts) + "."


def _detail(key: str, figures: dict[str, Any]) -> str:
    if key in ("response_compliance", "resolution_compliance"):
        kind = key.removesuffix("_compliance")
        met, missed = figures[f"{kind}_met"], figures[f"{kind}_missed"]
        if not met + missed:
            return _("no deadlines in this period")
        return _("%(met)s of %(all)s deadlines") % {"met": met, "all": met + missed}
    return ""


def period_tables(payload: dict[str, Any]) -> dict[str, Table]:
    """Every table of a period's report, by key (the key names its CSV file too)."""
    empty = _("Nothing in this period.")
    tables = [
        # No change column: a card's change is the previous period's figure again.
        headline_table(
            period_cards(payload),
            [Column("value", payload["label"]), Column("previous", payload["previous_label"])],
        ),
        trend_table(
            payload["trend"], _("Over the period"), [Column("label", _("From")), *TREND_COLUMNS]
        ),
        *breakdown_tables(payload["breakdowns"]),
        backlog_age_table(payload["backlog_age"]),
    ]
    return {t.key: replace(t, empty=empty) if t.key != "backlog_age" else t for t in tables}


def people_table(people: Sequence[PersonFigures]) -> Table:
    return Table(
        "people",
        _("People"),
        [
            Column("name", _("Person")),
            Column("handled", _("Cases handled"), "count"),
            Column("response_p50_h", _("Median time to first response"), "hours"),
            Column("breaches", _("Breaches"), "count"),
            Column("reopen_rate", _("Reopen rate"), "pct"),
            Column("reopened", _("Reopened"), "count"),
        ],
        [
            {
                "user_id": p.user_id,
                "name": p.name,
                "handled": p.handled,
                "response_p50_h": hours(p.response_p50),
                "breaches": p.breaches,
                "reopen_rate": p.reopen_rate,
                "reopened": p.reopened,
            }
            for p in people
        ],
        empty=_("Nobody owns a case with a figure in this period."),
    )
