"""Customer satisfaction for the report, from the reviews app's survey answers."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from reports.definitions import ReportFilters
from reports.weeks import Period
from reviews.selectors import satisfaction_by_week


def satisfaction_series(
    *, periods: Sequence[Period], filters: ReportFilters
) -> list[dict[str, Any]]:
    """Customer satisfaction per period: the mean 1-5 score of the survey answers received in
    it and their number, from the reviews app, filtered by the report's team and tier.
    """
    answers = satisfaction_by_week(
        start=periods[0].start,
        end=periods[-1].end,
        filters={"team": filters.team_id, "tier": filters.tier},
    )
    weeks = {row["label"]: row for row in answers["weeks"]}
    series = []
    for period in periods:
        row = weeks.get(str(period.week), {"average": None, "count": 0, "satisfied_share": None})
        series.append(
            {
                "csat_average": row["average"],
                "csat_responses": row["count"],
                "csat_satisfied": row["satisfied_share"],
            }
        )
    return series
