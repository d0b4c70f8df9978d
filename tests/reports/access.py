"""Who may open the reports: managers and executives; operators and people without a role are
refused (403), anonymous visitors sent to log in."""

from __future__ import annotations

from django.utils import timezone

from reports.weeks import IsoWeek
from tests.access import EXECUTIVE, MANAGER, Rule

READERS = frozenset({MANAGER, EXECUTIVE})


def last_week(world: object) -> dict[str, str]:
    return {"week": str(IsoWeek.containing(timezone.now()).previous())}


def last_week_table(world: object) -> dict[str, str]:
    return {**last_week(world), "table": "by_team"}


RULES = {
    "reports:index": Rule(allowed=READERS),
    "reports:weekly": Rule(allowed=READERS, kwargs=last_week),
    "reports:weekly_cases": Rule(allowed=READERS, kwargs=last_week, query="?metric=breaches"),
    "reports:weekly_csv": Rule(allowed=READERS, kwargs=last_week_table),
    "reports:weekly_pdf": Rule(allowed=READERS, kwargs=last_week),
}
