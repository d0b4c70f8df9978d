"""Where each count of the weekly report page leads: the list of the rows it counts.

A figure's link names it by its coordinates (metric, week, the report's filters and how its
table narrows it, see ``reports.selectors.DrillDown``); the drill-down page reads them back.
Rates link to the deadlines missed, whose page gives the met ones beside them.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any
from urllib.parse import urlencode

from django.urls import reverse
from django.utils.translation import gettext as _

from cases.models import Tier
from reports.definitions import HIGH_SEVERITIES
from reports.periods import ReportPeriod
from reports.presentation import Card, Table
from reports.selectors import AGE_BUCKETS, DIMENSIONS, METRICS, DrillDown, ReportFilters
from reports.weeks import IsoWeek

DIMENSIONS_BY_KEY = {d.key: d for d in DIMENSIONS}
# The column of a table (or a headline card) -> the metric whose rows it counts.
COLUMN_METRICS = {
    "raised": "raised",
    "resolved": "resolved",
    "backlog": "backlog",
    "breaches": "breaches",
    "reopened": "reopened",
    "response_compliance": "response_missed",
    "resolution_compliance": "resolution_missed",
}


def figure_url(week: IsoWeek | str, query: DrillDown) -> str:
    path = reverse("reports:weekly_cases", kwargs={"week": week})
    return f"{path}?{urlencode(query.as_params(), doseq=True)}"


class FigureLinks:
    """Builds the links of one report page (one week, one set of filters). A month's,
    quarter's or range's page (``reports.periods``) passes its period and its own list's view
    (``reports:period_cases``, whose URL names the period ``period``)."""

    def __init__(
        self,
        *,
        week: IsoWeek | ReportPeriod,
        filters: ReportFilters,
        view: str = "reports:weekly_cases",
    ) -> None:
        self.week = week
        self.filters = filters
        self.view = view
        self.kwarg = "week" if view == "reports:weekly_cases" else "period"
        # A page links some 400 figures to a dozen weeks' lists: reverse each week once.
        self._paths: dict[str, str] = {}

    def url(
        self, metric: str, *, week: IsoWeek | ReportPeriod | str | None = None, **narrowing: Any
    ) -> str:
        query = DrillDown(METRICS[metric], self.filters, **narrowing)
        key = str(week or self.week)
        path = self._paths.get(key)
        if path is None:
            path = self._paths[key] = reverse(self.view, kwargs={self.kwarg: key})
        return f"{path}?{urlencode(query.as_params(), doseq=True)}"

    def group_url(self, metric: str, dimension: str, group: Any, **extra: Any) -> str:
        return self.url(metric, dimension=DIMENSIONS_BY_KEY[dimension], groups=(group,), **extra)

    def cards(self, cards: list[Card], *, headline: dict[str, Any]) -> None:
        for card in cards:
            metric = COLUMN_METRICS.get(card.key)
            if metric is None:
                continue
            if headline.get(card.key) is not None:
                card.extra["url"] = self.url(metric)
            if card.key.endswith("_compliance"):
                kind = card.key.removesuffix("_compliance")
                card.extra["counts"] = [
                    (headline[f"{kind}_{outcome}"], word, self.url(f"{kind}_{outcome}"))
                    for outcome, word in (("met", _("met")), ("missed", _("missed")))
                ]

    def tables(self, tables: dict[str, Table]) -> None:
        for row in tables["trend"].rows:
            self.columns(row, week=row["week"])
        for key, dimension in DIMENSIONS_BY_KEY.items():
            for row in tables[f"by_{key}"].rows:
                self.columns(row, dimension=dimension, groups=(row["key"],))
        for key in ("improvements", "regressions"):
            for row in tables[key].rows:
                self._highlight(row)
        for row in tables["top_customers"].rows:
            self._customer(row)
        for row in tables["root_causes"].rows:
            row["links"] = {"cases": self.url("resolved", root_cause_id=row["root_cause_id"])}
        buckets = [label for label, _low, _high in AGE_BUCKETS]
        for row in tables["backlog_age"].rows:
            if row["bucket"] in buckets:
                age = buckets.index(row["bucket"])
                row["links"] = {"cases": self.url("backlog", age=age)}
        strategic = tables["strategic_breaches"]
        tables["strategic_breaches"] = replace(
            strategic,
            more_text=_("Every strategic customer's case with a breach this week"),
            more_url=self.group_url("breached_cases", "tier", Tier.STRATEGIC.value),
        )
        tables["longest_open"] = replace(
            tables["longest_open"],
            more_text=_("Every case open at the end of the week"),
            more_url=self.url("backlog"),
        )

    def columns(
        self, row: dict[str, Any], *, week: IsoWeek | str | None = None, **narrowing: Any
    ) -> None:
        # A rate with no deadline settled ("—") is no count: it has nothing to list.
        row["links"] = {
            column: self.url(metric, week=week, **narrowing)
            for column, metric in COLUMN_METRICS.items()
            if row.get(column) is not None
        }

    def _highlight(self, row: dict[str, Any]) -> None:
        # Snapshots frozen before highlights named their group have no links.
        if "dimension_key" not in row or row.get("key") not in COLUMN_METRICS:
            return
        metric = COLUMN_METRICS[row["key"]]
        dimension, group = row["dimension_key"], row["group_key"]
        row["links"] = {
            "after_text": self.group_url(metric, dimension, group),
            "before_text": self.url(
                metric,
                week=self.week.previous(),
                dimension=DIMENSIONS_BY_KEY[dimension],
                groups=(group,),
            ),
        }

    def _customer(self, row: dict[str, Any]) -> None:
        customer = row["customer_id"]
        severity = DIMENSIONS_BY_KEY["severity"]
        row["links"] = {
            "raised": self.url("raised", customer_id=customer),
            "high_severity": self.url(
                "raised",
                customer_id=customer,
                dimension=severity,
                groups=tuple(s.value for s in HIGH_SEVERITIES),
            ),
            "still_open": self.url("raised_open", customer_id=customer),
            "breached": self.url("breached_cases", customer_id=customer),
        }
