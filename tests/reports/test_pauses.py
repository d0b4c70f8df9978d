"""Pause analytics against the hand-computed month of ``tests/reports/pauses_world.py``."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.urls import reverse

from cases.models import Case, Team
from reports import pauses
from reports.forms_pauses import PauseRangeForm
from reports.pauses import (
    Narrowing,
    PauseFigure,
    PauseTerms,
    pause_cases,
    pause_figures,
    shortly_before_breach,
)
from reports.weeks import Span
from sla.models import CaseClock, ClockKind
from tests.conftest import client_for
from tests.portable import PATHS, PORTABLE, take_portable_path
from tests.reports.pauses_world import HOUR, NOW, PauseWorld, at, pause_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(service_desk: Team, other_team: Team, alice: Any, charlie: Any) -> PauseWorld:
    return pause_world(sd=service_desk, fs=other_team, alice=alice, charlie=charlie)


def default_terms(**changes: Any) -> PauseTerms:
    form = PauseRangeForm({**changes}, now=NOW)
    assert form.is_valid(), form.errors
    return form.terms()


def references(figure: str, terms: PauseTerms, narrowing: Narrowing | None = None) -> list[str]:
    cases = pause_cases(
        cases=Case.objects.all(),
        figure=figure,
        terms=terms,
        narrowing=narrowing or Narrowing(),
        now=NOW,
    )
    return [c.reference for c in cases]


def test_the_default_range_is_the_last_four_finished_iso_weeks() -> None:
    span = default_terms().span
    assert (span.start, span.end, span.live) == (at(2, 2), at(3, 2), False)


def test_waiting_time_per_team_counts_only_the_part_of_each_pause_inside_the_range(
    world: PauseWorld,
) -> None:
    figures = pause_figures(terms=default_terms(), now=NOW)
    teams = {(r["name"], r["seconds"] // HOUR, r["cases"], r["pauses"]) for r in figures["teams"]}
    # SD: A 24 + 5 + 3, B 12 of its 72, D 1; FS: C from Friday 15:00 to Monday 00:00.
    assert teams == {("Service desk", 45, 3, 5), ("Field support", 57, 1, 1)}
    assert figures["waiting"] == {"seconds": 102 * HOUR, "cases": 4, "pauses": 6}


def test_waiting_time_per_owner_is_the_current_owners_most_first(world: PauseWorld) -> None:
    owners = pause_figures(terms=default_terms(), now=NOW)["owners"]
    assert [(r["name"], r["seconds"] // HOUR, r["cases"]) for r in owners] == [
        ("Charlie", 57, 1),
        ("Alice", 33, 2),
        ("", 12, 1),  # B has no owner
    ]


def test_a_pause_still_going_counts_up_to_now_in_a_range_not_over(world: PauseWorld) -> None:
    terms = default_terms(start="2026-03-02", end="2026-03-08")
    assert terms.span.live and terms.span.end == NOW
    figures = pause_figures(terms=terms, now=NOW)
    # C since Monday 00:00 (34 h), E since Monday 09:00 (25 h), to Tuesday 10:00.
    assert figures["waiting"] == {"seconds": 59 * HOUR, "cases": 2, "pauses": 2}


def test_pauses_begun_with_less_than_the_threshold_left_are_shortly_before_a_breach(
    world: PauseWorld,
) -> None:
    figure = shortly_before_breach(terms=default_terms(), now=NOW)
    # Begun in the range: A three times, C, D. Shortly: A's second (18.3 % left) and C's (8.3 %
    # left in business hours, though 68 wall-clock hours from its deadline). A's third began
    # late, D's with 87.5 % left.
    assert (figure.begun, figure.begun_cases, figure.pauses) == (5, 3, 2)
    assert figure.case_ids == {world.a.pk, world.c.pk}


def test_the_threshold_of_shortly_before_a_breach_is_the_forms(world: PauseWorld) -> None:
    assert shortly_before_breach(terms=default_terms(shortly="10"), now=NOW).case_ids == {
        world.c.pk
    }
    assert shortly_before_breach(terms=default_terms(shortly="61"), now=NOW).pauses == 3


def test_what_is_left_at_a_pause_agrees_with_the_clocks_own_count(world: PauseWorld) -> None:
    clock = CaseClock.objects.get(case=world.c, kind=ClockKind.RESOLUTION)
    terms = default_terms(shortly="9")  # 2 h of 24 h is 8.33 %: in
    assert shortly_before_breach(terms=terms, now=NOW).case_ids == {world.c.pk}
    terms = default_terms(shortly="8")  # out
    assert world.c.pk not in shortly_before_breach(terms=terms, now=NOW).case_ids
    assert clock.remaining_seconds_at_pause == 2 * HOUR


def test_cases_paused_three_times_or_more_are_repeated(world: PauseWorld) -> None:
    terms = default_terms()
    assert pause_figures(terms=terms, now=NOW)["repeated"] == 1
    assert references(PauseFigure.REPEATED, terms) == [world.a.reference]
    assert pause_figures(terms=default_terms(repeated="2"), now=NOW)["repeated"] == 1
    # Counted up to the end of the range: from 9 Feb on, A's first pause is before it.
    assert pause_figures(terms=default_terms(start="2026-02-11"), now=NOW)["repeated"] == 1
    assert pause_figures(terms=default_terms(end="2026-02-11"), now=NOW)["repeated"] == 0


def test_a_deadline_met_that_the_pause_kept_from_breaching_is_saved(world: PauseWorld) -> None:
    figures = pause_figures(terms=default_terms(), now=NOW)
    assert figures["saved"] == {"paused": 3, "saved": 1, "met_anyway": 1, "missed": 1}
    terms = default_terms()
    assert references(PauseFigure.SAVED, terms) == [world.b.reference]
    assert references(PauseFigure.MISSED, terms) == [world.a.reference]
    assert references(PauseFigure.PAUSED_CLOCKS, terms) == [
        world.b.reference,
        world.a.reference,
        world.d.reference,
    ]


def test_the_waiting_list_narrows_to_a_team_an_owner_or_the_unassigned(
    world: PauseWorld, service_desk: Team, alice: Any
) -> None:
    terms = default_terms()
    assert references(PauseFigure.WAITING, terms) == [
        world.b.reference,
        world.a.reference,
        world.d.reference,
        world.c.reference,
    ]
    sd = Narrowing(team=service_desk.pk, by_team=True)
    assert references(PauseFigure.WAITING, terms, sd) == [
        world.b.reference,
        world.a.reference,
        world.d.reference,
    ]
    mine = Narrowing(owner=alice.pk, by_owner=True)
    assert references(PauseFigure.WAITING, terms, mine) == [world.a.reference, world.d.reference]
    nobody = Narrowing(owner=None, by_owner=True)
    assert references(PauseFigure.WAITING, terms, nobody) == [world.b.reference]
    assert references(PauseFigure.WAITING, terms, Narrowing(by_team=True)) == []


def test_the_list_shows_each_cases_waiting_in_the_range_and_pauses_so_far(
    world: PauseWorld,
) -> None:
    cases = pause_cases(
        cases=Case.objects.all(),
        figure=PauseFigure.WAITING,
        terms=default_terms(),
        narrowing=Narrowing(),
        now=NOW,
    )
    assert {c.reference: (c.waiting_seconds // HOUR, c.pause_count) for c in cases} == {
        world.a.reference: (32, 3),
        world.b.reference: (12, 1),
        world.c.reference: (57, 1),
        world.d.reference: (1, 1),
    }


# --- The pages -------------------------------------------------------------------------------


@time_machine.travel(NOW, tick=False)
def test_the_manager_sees_the_figures_with_their_definitions(world: PauseWorld, bob: Any) -> None:
    response = client_for(bob).get(reverse("reports:pauses"))
    assert response.status_code == 200
    text = response.content.decode()
    assert "102 h" in text.replace("102.0 h", "102 h")
    assert "How these figures are counted" in text
    assert "less than 20% of its target left" in text
    assert "paused 3 times or more" in text
    assert "33.3%" in text  # one saved of three that paused
    assert f"{reverse('reports:pauses_cases')}?start=2026-02-02" in text


@time_machine.travel(NOW, tick=False)
def test_each_team_row_links_to_its_cases(world: PauseWorld, bob: Any, service_desk: Team) -> None:
    client = client_for(bob)
    page = client.get(reverse("reports:pauses")).content.decode()
    assert f"figure=waiting&amp;team={service_desk.pk}" in page
    query = f"?start=2026-02-02&end=2026-03-01&figure=waiting&team={service_desk.pk}"
    response = client.get(reverse("reports:pauses_cases") + query)
    assert response.status_code == 200
    text = response.content.decode()
    assert [r in text for r in (world.a.reference, world.b.reference, world.d.reference)] == [
        True,
        True,
        True,
    ]
    assert world.c.reference not in text
    assert "Service desk" in text


@time_machine.travel(NOW, tick=False)
@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("?start=2026-02-10&end=2026-02-01", "The range must end on or after its first day."),
        ("?start=2026-04-01&end=2026-04-02", "The range must not start in the future."),
        ("?start=2025-01-01&end=2026-03-01", "The range may cover at most 366 days."),
        ("?start=yesterday", "Enter a valid date."),
        ("?shortly=0", "Ensure this value is greater than or equal to 1."),
        ("?repeated=1", "Ensure this value is greater than or equal to 2."),
    ],
)
def test_a_bad_range_or_threshold_is_shown_in_the_form(bob: Any, query: str, message: str) -> None:
    response = client_for(bob).get(reverse("reports:pauses") + query)
    assert response.status_code == 400
    assert message in response.content.decode()


@time_machine.travel(NOW, tick=False)
@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("", "This field is required."),
        ("?figure=everything", "Select a valid choice."),
        ("?figure=waiting&team=999999", "There is no such team."),
        ("?figure=waiting&owner=x", "There is no such owner."),
        ("?figure=saved&team=none", "Only the waiting time is counted per team and owner."),
    ],
)
def test_a_bad_list_request_is_a_400_with_its_reason(bob: Any, query: str, message: str) -> None:
    response = client_for(bob).get(reverse("reports:pauses_cases") + query)
    assert response.status_code == 400
    assert message in response.content.decode()


@time_machine.travel(NOW, tick=False)
def test_a_page_past_the_last_is_not_found(world: PauseWorld, bob: Any) -> None:
    response = client_for(bob).get(reverse("reports:pauses_cases") + "?figure=saved&page=2")
    assert response.status_code == 404


@time_machine.travel(NOW, tick=False)
def test_the_list_pages_by_fifty(bob: Any, service_desk: Team) -> None:
    from tests.reports.factories import CaseEventFactory, ReportCaseFactory

    for n in range(51):
        case = ReportCaseFactory(team=service_desk, raised_at=at(2, 3, 9) + timedelta(minutes=n))
        CaseEventFactory(case=case, kind="status", to_value="waiting", created_at=case.raised_at)
    client = client_for(bob)
    first = client.get(reverse("reports:pauses_cases") + "?figure=waiting").content.decode()
    second = client.get(reverse("reports:pauses_cases") + "?figure=waiting&page=2")
    assert "Rows 1–50 of 51" in first
    assert second.status_code == 200
    assert "Rows 51–51 of 51" in second.content.decode()


@time_machine.travel(NOW, tick=False)
def test_executives_operators_and_people_without_a_role_are_refused(
    alice: Any, charlie: Any, erin: Any, nora: Any
) -> None:
    for person in (alice, charlie, erin, nora):
        for name in ("reports:pauses", "reports:pauses_cases"):
            assert client_for(person).get(reverse(name)).status_code == 403


def test_a_range_of_one_day_counts_that_day(world: PauseWorld) -> None:
    terms = default_terms(start="2026-02-12", end="2026-02-12")
    assert terms.span == Span(start=at(2, 12), end=at(2, 13), live=False)
    assert pause_figures(terms=terms, now=NOW)["waiting"]["seconds"] == 5 * HOUR


def _queries(client: Any, url: str) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.get(reverse("healthz"))
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


@time_machine.travel(NOW, tick=False)
def test_the_pages_make_as_many_queries_for_forty_cases_as_for_two(
    bob: Any, service_desk: Team, other_team: Team
) -> None:
    from tests.reports.factories import CaseEventFactory, ReportCaseFactory

    def more(n: int) -> None:
        for k in range(n):
            team = service_desk if k % 2 else other_team
            case = ReportCaseFactory(team=team, raised_at=at(2, 3, 9) + timedelta(minutes=k))
            CaseEventFactory(case=case, kind="status", to_value="waiting", created_at=at(2, 4, 9))
            CaseClock.objects.create(
                case=case,
                kind=ClockKind.RESOLUTION,
                target_seconds=HOUR,
                started_at=case.raised_at,
                due_at=case.raised_at,
                warn_at=case.raised_at,
            )

    client = client_for(bob)
    urls = [
        reverse("reports:pauses"),
        reverse("reports:pauses_cases") + "?figure=waiting",
        reverse("reports:pauses_cases") + "?figure=shortly",
    ]
    more(2)
    few = [_queries(client, url) for url in urls]
    more(38)
    assert [_queries(client, url) for url in urls] == few


def figures_seen(terms: PauseTerms) -> tuple[Any, ...]:
    figures = pause_figures(terms=terms, now=NOW)
    return (
        figures["teams"],
        figures["owners"],
        figures["waiting"],
        figures["shortly"],
        figures["repeated"],
        figures["saved"],
    )


@pytest.mark.skipif(PATHS == [PORTABLE], reason="the fast path is PostgreSQL's")
def test_the_fast_and_portable_paths_give_the_same_figures(
    world: PauseWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    """PostgreSQL counts the pauses with LATERAL queries; the portable ORM path (SQLite) must
    say the same for every figure, in a finished range and in a live one."""
    ranges = [
        default_terms(),
        default_terms(start="2026-03-02", end="2026-03-08"),
        default_terms(start="2026-02-11", repeated="2", shortly="61"),
    ]
    fast = [figures_seen(terms) for terms in ranges]
    take_portable_path(monkeypatch, pauses)
    assert [figures_seen(terms) for terms in ranges] == fast
    assert fast[0][3].begun > 0 and fast[0][4] == 1


def test_the_repeated_figure_counts_the_cases_of_its_list(world: PauseWorld) -> None:
    for terms in (default_terms(), default_terms(repeated="2", start="2026-02-11")):
        repeated = pause_figures(terms=terms, now=NOW)["repeated"]
        assert repeated == len(references(PauseFigure.REPEATED, terms))
