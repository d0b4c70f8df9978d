"""Who may open the month, quarter and range reports (readers of reports: managers and
executives) and the people page (managers only: executives are refused)."""

from __future__ import annotations

from django.utils import timezone

from reports.periods import MONTH, ReportPeriod
from tests.access import MANAGER, Rule
from tests.reports.access import READERS


def last_month(world: object) -> dict[str, str]:
    return {"period": str(ReportPeriod.containing(timezone.now(), MONTH).previous())}


def last_month_table(world: object) -> dict[str, str]:
    return {**last_month(world), "table": "by_team"}


RULES = {
    "reports:period": Rule(allowed=READERS, kwargs=last_month),
    "reports:period_cases": Rule(allowed=READERS, kwargs=last_month, query="?metric=breaches"),
    "reports:period_csv": Rule(allowed=READERS, kwargs=last_month_table),
    "reports:period_pdf": Rule(allowed=READERS, kwargs=last_month),
    "reports:period_range": Rule(allowed=READERS),
    "reports:people": Rule(allowed=frozenset({MANAGER})),
}
