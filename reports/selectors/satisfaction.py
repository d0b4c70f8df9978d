"""Customer satisfaction for the report, from the reviews app's survey answers."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from reports.definitions import ReportFilters
from reports.weeks import Period
from reviews.selectors import satisfaction_by_week


def satisfaction_series(*, periods: Sequence[Period], filters: ReportFilters) -> dict[str, Any]:
    """Customer satisfaction per period: the mean 1-5 score of the survey answers received in
    it and their number, from the reviews app, filtered by the report's team and tier.
    """
    blank = [{"csat_average": None, "csat_responses": 0, "csat_satisfied": None} for _ in periods]
    answers = satisfaction_by_week(
        start=periods[0].start,
        end=periods[-1].end,
        filters={"team": filters.team_id, "tier": filters.tier},
    )
    weeks = {row["label"]: row for row in answers["weeks"]}
    series = []
    for period, empty in zip(periods, blank, strict=True):
        row = weeks.get(str(period.week))
        if row is None:
            series.append(empty)
            continue
        series.append(
            {
                "csat_average": row["average"],
                "csat_responses": row["count"],
                "csat_satisfied": row["satisfied_share"],
            }
        )
    return {"collected": True, "note": "", "series": series}
