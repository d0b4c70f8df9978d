"""`seed_demo` leaves every finished week's report frozen, as the Monday task would have."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pytest
import time_machine
from django.core.management import call_command

from cases.models import Case
from reports.models import WeeklySnapshot
from reports.selectors import ReportFilters, first_case_week, week_list
from reports.weeks import IsoWeek

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)  # a Monday: 2026-W48 is live, W47 just ended

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def frozen():  # type: ignore[no-untyped-def]
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def seed_demo(cases: int) -> str:
    out = io.StringIO()
    call_command("seed_demo", cases=cases, stdout=out)
    return out.getvalue()


def snapshots() -> list[tuple[int, datetime]]:
    return list(WeeklySnapshot.objects.order_by("pk").values_list("pk", "computed_at"))


def test_seed_demo_leaves_no_finished_week_unfrozen_and_seeding_again_changes_none() -> None:
    out = seed_demo(40)
    first = first_case_week(filters=ReportFilters())
    assert first is not None
    weeks = (IsoWeek.containing(NOW).monday - first.monday).days // 7
    assert f"Weekly reports: {weeks} past weeks frozen in" in out
    listed = week_list(filters=ReportFilters(), now=NOW, page=1, per_page=500).rows
    assert len(listed) == weeks + 1
    assert [row.state for row in listed] == ["live"] + ["frozen"] * weeks
    assert WeeklySnapshot.objects.count() == weeks  # the whole organisation's report only
    assert not WeeklySnapshot.objects.filter(week_start=IsoWeek.containing(NOW).monday).exists()

    before = snapshots()
    again = seed_demo(40)
    assert "Demo cases: 0 created" in again and "Weekly reports" not in again
    assert snapshots() == before


def test_more_demo_cases_refreeze_the_weeks_they_land_in() -> None:
    seed_demo(20)
    seed_demo(50)
    raised = sum(
        WeeklySnapshot.objects.filter(filters_key="").values_list(
            "payload__headline__raised", flat=True
        )
    )
    live = Case.objects.filter(raised_at__gte=IsoWeek.containing(NOW).start()).count()
    assert raised + live == Case.objects.count() == 50
