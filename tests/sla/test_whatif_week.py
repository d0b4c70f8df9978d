"""A week replayed by hand: clocks made by the real case services (time controlled), a draft
with other targets and other hours, and the compliance and flips worked out below.

Amsterdam in November 2026 is UTC+1 (no DST change in the window). Live: Standard S3 on
"Office hours" (Mon-Fri 09:00-17:00): first response 60 min, resolution 480 min (8 h).
Draft of that policy: first response 120 min, resolution 360 min (6 h), on "Long hours"
(Mon-Fri 08:00-18:00). The update clock has a 100-hour target both live and in the draft:
met everywhere (see each case).
"""

from __future__ import annotations

from datetime import datetime, time
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine

from cases import services
from cases.models import Case, RootCause, Severity, Status, Tier
from sla.drafts import draft_policy_edit, draft_start
from sla.models import BusinessCalendar, CaseClock, ClockKind, WorkingHours
from sla.whatif import replay_compute
from tests.cases.factories import root_cause
from tests.factories import CustomerFactory
from tests.sla.factories import SlaPolicyFactory, office_calendar

AMS = ZoneInfo("Europe/Amsterdam")
UPDATE_MINUTES = 6000


def local(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=AMS)


def long_hours() -> BusinessCalendar:
    calendar = BusinessCalendar.objects.create(name="Long hours", always_open=False)
    WorkingHours.objects.bulk_create(
        WorkingHours(calendar=calendar, weekday=day, start=time(8), end=time(18))
        for day in range(5)
    )
    return calendar


def step(moment: datetime, action: Any) -> Any:
    with time_machine.travel(moment, tick=False):
        return action()


def story(by: Any, customer: Any, moments: dict[str, datetime | tuple[datetime, ...]]) -> Case:
    """Raise a case, acknowledge it, wait on the customer over ``pauses``, resolve it."""
    case = step(
        moments["raised"],  # type: ignore[arg-type]
        lambda: services.case_raise(
            raised_by=by,
            customer=customer,
            title="Checkout fails",
            description="Orders stop at the payment step.",
            severity=Severity.S3,
        ),
    )
    step(moments["ack"], lambda: services.case_acknowledge(case=case, by=by))  # type: ignore[arg-type]
    for begins, ends in moments.get("pauses", ()):  # type: ignore[misc]
        step(begins, lambda: services.case_set_status(case=case, by=by, status=Status.WAITING))
        step(ends, lambda: services.case_set_status(case=case, by=by, status=Status.IN_PROGRESS))
    if "resolved" in moments:
        cause = RootCause.objects.filter(parent__isnull=False).first() or root_cause()
        step(
            moments["resolved"],  # type: ignore[arg-type]
            lambda: services.case_resolve(
                case=case, by=by, summary="Renewed the certificate", root_cause=cause
            ),
        )
    return case


@pytest.fixture
def week(bob: Any) -> dict[str, Any]:
    office = office_calendar()
    policy = SlaPolicyFactory(
        tier=Tier.STANDARD,
        severity=Severity.S3,
        calendar=office,
        response_minutes=60,
        resolution_minutes=480,
        update_minutes=UPDATE_MINUTES,
    )
    customer = CustomerFactory(tier=Tier.STANDARD)
    cases = {
        # A: response 09:00-10:30 = 1.5 h: breached live (> 1 h), met in the draft (<= 2 h).
        #    Resolution Mon 09:00 - Tue 11:00, waiting Mon 12:00-15:00 (3 business hours on
        #    both calendars). Live: Mon 8 h + Tue 2 h - 3 h = 7 h <= 8 h: met. Draft: Mon
        #    09:00-18:00 9 h + Tue 08:00-11:00 3 h - 3 h = 9 h > 6 h: breached.
        "A": story(
            bob,
            customer,
            {
                "raised": local(2, 9),
                "ack": local(2, 10, 30),
                "pauses": ((local(2, 12), local(2, 15)),),
                "resolved": local(3, 11),
            },
        ),
        # B: response 16:00-16:30 met on both. Resolution Wed 16:00 - Thu 17:30. Live: Wed 1 h
        #    + Thu 8 h = 9 h > 8 h: breached. Draft: Wed 2 h + Thu 08:00-17:30 9.5 h = 11.5 h
        #    > 6 h: breached. No flip.
        "B": story(
            bob,
            customer,
            {"raised": local(4, 16), "ack": local(4, 16, 30), "resolved": local(5, 17, 30)},
        ),
        # C: raised Fri 08:30, before the live opening. Response: live 09:00-09:45 45 min,
        #    draft 08:30-09:45 75 min: met on both. Resolution to 13:00: live 4 h, draft
        #    4.5 h: met on both.
        "C": story(
            bob,
            customer,
            {"raised": local(6, 8, 30), "ack": local(6, 9, 45), "resolved": local(6, 13)},
        ),
        # D: Thu 09:00, acknowledged 09:30 (met on both), resolved 16:00: 7 h. Live <= 8 h
        #    met; draft > 6 h breached.
        "D": story(
            bob, customer, {"raised": local(5, 9), "ack": local(5, 9, 30), "resolved": local(5, 16)}
        ),
        # E: still open on Monday Nov 9 at 11:00, acknowledged at 09:10 (response met on
        #    both, in the week of Nov 9). Its resolution clock runs: live due 09:00 + 8 h =
        #    17:00; draft due 09:00 + 6 h on 08-18 = 15:00: two hours earlier.
        "E": story(bob, customer, {"raised": local(9, 9), "ack": local(9, 9, 10)}),
    }
    draft = draft_start(by=bob, now=local(9, 10), policy=policy)
    draft = draft_policy_edit(
        draft_id=draft.pk,
        by=bob,
        now=local(9, 10),
        calendar=long_hours(),
        response_minutes=120,
        resolution_minutes=360,
        update_minutes=UPDATE_MINUTES,
        warn_percent=75,
    )
    return {"cases": cases, "draft": draft, "policy": policy}


@pytest.mark.django_db
def test_a_hand_computed_week_replays_to_the_compliance_and_flips_worked_out(
    week: dict[str, Any],
) -> None:
    cases = week["cases"]
    result = replay_compute(draft=week["draft"], weeks=4, now=local(9, 11))
    by_start = {row["start"]: row for row in result["weeks"]}
    assert [row["start"] for row in result["weeks"]] == [
        "2026-10-19",
        "2026-10-26",
        "2026-11-02",
        "2026-11-09",
    ]
    # The week of Nov 2: A, B, C and D each stopped a response and a resolution clock (8), and
    # the update clocks of A, B, C and D stopped at their resolution, met on both (4 more).
    # Live breached: A's response, B's resolution (2 of 12: 83.3 %). Draft breached: A's, B's
    # and D's resolution (3 of 12: 75.0 %).
    assert by_start["2026-11-02"] == {
        "start": "2026-11-02",
        "clocks": 12,
        "cases": 4,
        "live_met": 10,
        "live_breached": 2,
        "draft_met": 9,
        "draft_breached": 3,
        "live_percent": 83.3,
        "draft_percent": 75.0,
    }
    # The week of Nov 9: E's response clock, met on both.
    assert by_start["2026-11-09"]["clocks"] == 1
    assert by_start["2026-11-09"]["draft_breached"] == by_start["2026-11-09"]["live_breached"] == 0
    assert by_start["2026-10-19"]["clocks"] == by_start["2026-10-26"]["clocks"] == 0
    assert [(f["reference"], f["kind"]) for f in result["to_met"]] == [
        (cases["A"].reference, ClockKind.RESPONSE)
    ]
    # Newest stop first: D (Thu) before A (Tue).
    assert [(f["reference"], f["kind"]) for f in result["to_breached"]] == [
        (cases["D"].reference, ClockKind.RESOLUTION),
        (cases["A"].reference, ClockKind.RESOLUTION),
    ]
    a_resolution = result["to_breached"][1]
    assert (a_resolution["live_elapsed"], a_resolution["draft_elapsed"]) == (7 * 3600, 9 * 3600)
    assert result["to_met_count"] == 1 and result["to_breached_count"] == 2
    assert result["approximate"] == 0
    # Open: E's resolution and update clocks run. Resolution: 2 h earlier. Update (100 h from
    # the acknowledgement at 09:10): the draft's 10-hour days reach it days sooner.
    moves = {m["kind"]: m for m in result["open"]["biggest"]}
    assert moves[ClockKind.RESOLUTION]["delta"] == -2 * 3600
    assert moves[ClockKind.UPDATE]["delta"] < -86400
    assert result["open"]["running"] == 2 and result["open"]["paused"] == 0
    assert result["open"]["moved"] == 2
    assert result["totals"]["clocks"] == 13


@pytest.mark.django_db
def test_the_replay_reads_the_clocks_it_judges_and_changes_none(week: dict[str, Any]) -> None:
    before = list(CaseClock.objects.order_by("pk").values())
    replay_compute(draft=week["draft"], weeks=4, now=local(9, 11))
    assert list(CaseClock.objects.order_by("pk").values()) == before


@pytest.mark.django_db
def test_a_draft_equal_to_the_live_policy_flips_nothing(week: dict[str, Any], bob: Any) -> None:
    same = draft_start(by=bob, now=local(9, 10), policy=week["policy"])
    result = replay_compute(draft=same, weeks=4, now=local(9, 11))
    assert result["to_met_count"] == result["to_breached_count"] == 0
    assert result["open"]["moved"] == 0
    week_row = next(row for row in result["weeks"] if row["start"] == "2026-11-02")
    assert week_row["live_percent"] == week_row["draft_percent"] == 83.3
