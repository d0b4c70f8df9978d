"""satisfaction_by_week: the weekly report's CSAT figures, aggregated in the database."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from cases.models import Severity
from reviews.selectors import satisfaction_by_week
from tests.factories import TeamFactory
from tests.reviews.factories import SurveyFactory, resolved_case

AMS = ZoneInfo("Europe/Amsterdam")
pytestmark = pytest.mark.django_db


def answer(score: int, at: datetime, **case_fields) -> None:  # type: ignore[no-untyped-def]
    SurveyFactory(case=resolved_case(**case_fields), score=score, answered_at=at)


def test_counts_average_and_share_of_satisfied_per_week_and_in_total() -> None:
    # ISO week 10 of 2025 starts Monday 3 March.
    answer(5, datetime(2025, 3, 3, 0, 30, tzinfo=AMS))  # just after local midnight
    answer(4, datetime(2025, 3, 5, 12, 0, tzinfo=AMS))
    answer(1, datetime(2025, 3, 9, 23, 30, tzinfo=AMS))  # Sunday night: still week 10
    answer(3, datetime(2025, 3, 17, 9, 0, tzinfo=AMS))  # week 12
    answer(5, datetime(2025, 3, 24, 9, 0, tzinfo=AMS))  # outside the range
    figures = satisfaction_by_week(start=date(2025, 3, 3), end=date(2025, 3, 24), filters={})
    assert (figures["count"], figures["average"], figures["satisfied_share"]) == (4, 3.25, 0.5)
    weeks = {w["label"]: (w["count"], w["average"], w["satisfied_share"]) for w in figures["weeks"]}
    assert weeks == {
        "2025-W10": (3, 3.33, 0.667),
        "2025-W11": (0, None, None),
        "2025-W12": (1, 3.0, 0.0),
    }
    assert figures["weeks"][0]["week_start"] == date(2025, 3, 3)


def test_unanswered_surveys_do_not_count() -> None:
    SurveyFactory()
    figures = satisfaction_by_week(start=date(2000, 1, 3), end=date(2100, 1, 4), filters=None)
    assert figures["count"] == 0 and figures["average"] is None


def test_filters_narrow_to_the_cases_of_a_team_or_severity() -> None:
    platform = TeamFactory(name="Platform")
    at = datetime(2025, 3, 4, 10, 0, tzinfo=AMS)
    answer(2, at, team=platform, severity=Severity.S1)
    answer(5, at, severity=Severity.S3)
    start, end = date(2025, 3, 3), date(2025, 3, 10)
    assert satisfaction_by_week(start=start, end=end, filters={"team": platform.pk})["count"] == 1
    by_severity = satisfaction_by_week(start=start, end=end, filters={"severity": "S3"})
    assert by_severity["average"] == 5.0
    assert satisfaction_by_week(start=start, end=end, filters={"team": ""})["count"] == 2


def test_an_unknown_filter_is_an_error_not_ignored() -> None:
    with pytest.raises(ValueError, match="unknown"):
        satisfaction_by_week(start=date(2025, 3, 3), end=date(2025, 3, 10), filters={"x": 1})


def test_the_figures_cost_two_queries(django_assert_num_queries) -> None:
    for day in range(3, 10):
        answer(4, datetime(2025, 3, day, 10, 0, tzinfo=AMS))
    with django_assert_num_queries(2):
        satisfaction_by_week(start=date(2025, 3, 3), end=date(2025, 3, 31), filters={})
