"""Clock states as people see them (colour plus words), who takes an escalated case, and the
manager on duty."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.template.loader import render_to_string

from cases.models import Case, Status
from escalation.roles import Role
from sla.models import CaseClock, ClockKind, OnDuty
from sla.selectors import (
    clock_states_for,
    duration_words,
    manager_on_duty,
    team_members_by_open_cases,
)
from tests.factories import CaseFactory, UserFactory

pytestmark = pytest.mark.django_db

NOON = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
M = timedelta(minutes=1)
H = timedelta(hours=1)


def clock_of(case: Case, kind: str = ClockKind.RESPONSE, **fields) -> CaseClock:  # type: ignore[no-untyped-def]
    values = {
        "target_seconds": 3600,
        "started_at": NOON,
        "due_at": NOON + H,
        "warn_at": NOON + 45 * M,
        **fields,
    }
    return CaseClock.objects.create(case=case, kind=kind, **values)


@pytest.mark.parametrize(
    ("now", "fields", "state", "label"),
    [
        (NOON + 10 * M, {}, "on_track", "On track: 50 min left"),
        (NOON + 35 * M, {"warn_at": NOON + 30 * M}, "at_risk", "At risk: 25 min left"),
        (NOON + 3 * H, {}, "breached", "Breached 2 h ago"),
        (NOON + 62 * M, {}, "breached", "Breached 2 min ago"),
        (NOON + H, {}, "breached", "Breached under 1 min ago"),
        (
            NOON + 5 * H,
            {"paused_at": NOON + 20 * M, "remaining_seconds_at_pause": 2400},
            "paused",
            "Paused: 40 min left",
        ),
        (
            NOON + 5 * H,
            {"paused_at": NOON + 2 * H, "remaining_seconds_at_pause": -3900},
            "paused",
            "Paused: 1 h 5 min over",
        ),
        (NOON + 5 * H, {"stopped_at": NOON + 30 * M, "met": True}, "met", "Met"),
        (
            NOON + 5 * H,
            {"stopped_at": NOON + 2 * H, "met": False, "late_seconds": 3600},
            "breached",
            "Missed by 1 h",
        ),
    ],
)
def test_each_clock_state_reads_as_words(now, fields, state, label) -> None:  # type: ignore[no-untyped-def]
    case = CaseFactory()
    clock_of(case, **fields)
    [clock] = clock_states_for(cases=[case], now=now)[case.pk]
    assert (clock.state, clock.label) == (state, label)


def test_time_left_is_negative_once_breached(db: None) -> None:
    case = CaseFactory()
    clock_of(case)
    [clock] = clock_states_for(cases=[case.pk], now=NOON + 2 * H)[case.pk]
    assert clock.remaining == -H


def test_states_come_for_all_cases_in_one_query_in_clock_order(
    django_assert_num_queries,
) -> None:
    cases = CaseFactory.create_batch(12)
    for case in cases:
        clock_of(case, ClockKind.UPDATE)
        clock_of(case, ClockKind.RESOLUTION)
        clock_of(case, ClockKind.RESPONSE)
    bare = CaseFactory()
    with django_assert_num_queries(1):
        states = clock_states_for(cases=[*cases, bare], now=NOON)
    assert [s.kind for s in states[cases[0].pk]] == ["response", "resolution", "update"]
    assert states[bare.pk] == []


def test_the_badges_show_colour_and_words(db: None) -> None:
    case = CaseFactory()
    clock_of(case, warn_at=NOON + 30 * M)
    clock_of(case, ClockKind.RESOLUTION, stopped_at=NOON, met=True)
    states = clock_states_for(cases=[case], now=NOON + 35 * M)[case.pk]
    html = render_to_string("sla/_clock_badges.html", {"clock_states": states})
    assert "text-bg-warning" in html and "First response: At risk: 25 min left" in html
    assert "Resolution: Met" in html
    compact = render_to_string("sla/_clock_badges.html", {"clock_states": states, "compact": True})
    assert "Response: At risk: 25 min left" in compact and "Met" not in compact
    assert "No SLA" in render_to_string("sla/_clock_badges.html", {"clock_states": []})


def test_duration_words(db: None) -> None:
    assert duration_words(timedelta(seconds=59)) == "under 1 min"
    assert duration_words(timedelta(minutes=-25)) == "25 min"
    assert duration_words(timedelta(hours=2)) == "2 h"
    assert duration_words(timedelta(days=3, hours=4, minutes=5)) == "3 d 4 h"
    assert duration_words(timedelta(days=2)) == "2 d"


def test_the_members_come_fewest_open_cases_first_from_one_query(
    second_line, customer, django_assert_num_queries
) -> None:
    dave = second_line.members.get(username="dave")
    dina = second_line.members.get(username="dina")
    CaseFactory(owner=dave, customer=customer, status=Status.IN_PROGRESS)
    CaseFactory.create_batch(3, owner=dina, customer=customer, status=Status.RESOLVED)
    with django_assert_num_queries(1):
        members = list(team_members_by_open_cases(team=second_line))
    assert members[0] == dina
    assert [m for m in members if m != dina][0] == dave


def test_inactive_members_and_members_without_a_role_never_take_cases(second_line) -> None:
    for member in second_line.members.all():
        member.is_active = False
        member.save()
    newcomer = UserFactory(username="newcomer")  # no role
    second_line.members.add(newcomer)
    assert not team_members_by_open_cases(team=second_line).exists()


def test_the_latest_starting_shift_covering_now_is_on_duty(management) -> None:
    early = UserFactory(username="early", role=Role.MANAGER)
    late = UserFactory(username="late", role=Role.MANAGER)
    OnDuty.objects.create(user=early, starts_at=NOON - 8 * H, ends_at=NOON + 8 * H)
    OnDuty.objects.create(user=late, starts_at=NOON - H, ends_at=NOON + H)
    assert manager_on_duty(now=NOON) == late
    assert manager_on_duty(now=NOON + 2 * H) == early
    assert manager_on_duty(now=NOON + 9 * H).username == "bob"  # the management lead


def test_with_no_shift_and_no_management_team_nobody_is_on_duty(db: None) -> None:
    assert manager_on_duty(now=NOON) is None
