"""The weekly report's opening summary, sentence by sentence, for the known fortnight
(tests/reports/conftest.py: 2026-W10 and the week before) and for weeks built around it."""

from __future__ import annotations

import copy
from datetime import date
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from cases.models import Severity, Status
from reports.narrative import Sentence, narrative_sentences, payload_links
from reports.pdf import report_pdf_html
from reports.selectors import ReportFilters
from reports.services import week_report
from reviews.models import ActionStatus
from tests.conftest import client_for
from tests.reports.conftest import HOUR, NOW, W10, Fortnight, at
from tests.reports.factories import met_clock, resolved_case
from tests.reviews.factories import CorrectiveActionFactory, ReviewFactory

pytestmark = pytest.mark.django_db

ALL = ReportFilters()


@pytest.fixture(autouse=True)
def _now(time_machine) -> None:  # type: ignore[no-untyped-def]
    time_machine.move_to(NOW, tick=False)


def sentences_of(payload: dict[str, Any]) -> dict[str, Sentence]:
    return {s.key: s for s in narrative_sentences(payload, links=payload_links(payload))}


def w10(filters: ReportFilters = ALL) -> dict[str, Any]:
    return week_report(week=W10, filters=filters, now=NOW).payload


def test_the_known_week_reads_as_written_by_hand(fortnight: Fortnight) -> None:
    found = sentences_of(w10())
    c1, c9 = fortnight.cases["c1"].reference, fortnight.cases["c9"].reference
    assert [s.key for s in found.values()] == [
        "change",
        "trend_breaches",
        "strategic",
        "at_risk",
        "fastest_s1",
    ]
    # Breaches 1 -> 4 is the largest move (3 cases); response compliance 100% -> 50% over 4
    # deadlines amounts to 2.
    assert found["change"].text == (
        "The largest change against last week: SLA breaches worsened from 1 to 4."
    )
    # One breach in the 11 weeks before (W09's update breach of c5): an average of 1/11.
    assert found["trend_breaches"].text == (
        "4 SLA breaches this week, the most in 12 weeks (average 0.1)."
    )
    assert found["strategic"].text == (
        f"1 case of a strategic customer breached its SLA; the worst: {c9}, S2 for Acme."
    )
    # As things stood at the end of the week: Gamma's fourth case came on Monday 9 March, so
    # Acme and Gamma both had 3 escalations then (ties by name).
    assert found["at_risk"].text == "3 customers at risk, first of all Beta, Acme, Gamma."
    assert found["fastest_s1"].text == (
        f"Success story: {c1}, an S1 for Acme, resolved in 5.0 h of business time, the "
        "fastest S1 this week."
    )


def test_each_sentence_links_to_the_figure_or_cases_behind_it(
    fortnight: Fortnight, erin: Any
) -> None:
    found = sentences_of(w10())
    c1, c9 = fortnight.cases["c1"].reference, fortnight.cases["c9"].reference
    assert found["change"].url == "/reports/weekly/2026-W10/cases/?metric=breaches"
    assert found["trend_breaches"].url == "/reports/weekly/2026-W10/#trends-title"
    assert found["strategic"].url == (
        "/reports/weekly/2026-W10/cases/?metric=breached_cases&dimension=tier&group=strategic"
    )
    assert found["at_risk"].url == reverse("reviews:risk")
    assert found["fastest_s1"].url == reverse("cases:detail", kwargs={"reference": c1})
    client = client_for(erin)
    pages = {key: client.get(s.url) for key, s in found.items()}
    assert {key: page.status_code for key, page in pages.items()} == dict.fromkeys(found, 200)
    assert c9 in pages["strategic"].content.decode()
    assert pages["change"].context["listing"].count == 4


def test_a_recurring_cause_and_overdue_actions_get_their_sentences(
    fortnight: Fortnight, alice: Any
) -> None:
    c1, c2 = fortnight.cases["c1"], fortnight.cases["c2"]
    # Bug came up in W09 too (one case), besides c1 and c2 in W10.
    earlier = resolved_case(
        raised_at=at(2, 24, 9), resolved_at=at(2, 25, 9), team=c1.team, customer=c1.customer,
        severity=Severity.S3, root_cause=c1.root_cause, raised_by=alice,
    )  # fmt: skip
    met_clock(earlier, "resolution", stopped_at=at(2, 25, 9), elapsed=2 * HOUR)
    review = ReviewFactory(case=c2, created_at=at(3, 5, 13))
    common = {"review": review, "owner": alice, "created_at": at(3, 1, 9)}
    CorrectiveActionFactory(due_on=date(2026, 3, 4), **common)
    # Done, but only after the week ended: it was overdue at its end.
    CorrectiveActionFactory(
        due_on=date(2026, 3, 2), status=ActionStatus.DONE, completed_at=at(3, 10, 9), **common
    )
    # Not overdue at the end of the week: done in time, due only on Monday, cancelled before.
    CorrectiveActionFactory(
        due_on=date(2026, 3, 3), status=ActionStatus.DONE, completed_at=at(3, 6, 9), **common
    )
    CorrectiveActionFactory(due_on=date(2026, 3, 9), **common)
    CorrectiveActionFactory(
        due_on=date(2026, 3, 2), status=ActionStatus.CANCELLED, updated_at=at(3, 4, 9),
        **{k: v for k, v in common.items()},
    )  # fmt: skip
    found = sentences_of(w10())
    assert found["recurring_cause"].text == (
        "Recurring root cause: Bug, behind 2 cases resolved this week and 3 in 2 of the last "
        "4 weeks."
    )
    assert found["recurring_cause"].url == (
        f"/reports/weekly/2026-W10/cases/?metric=resolved&root_cause={c1.root_cause_id}"
    )
    assert found["overdue_actions"].text == (
        "2 corrective actions overdue at the end of the week, the oldest due on 2 Mar 2026 "
        f"(review of {c2.reference})."
    )
    assert found["overdue_actions"].url == reverse(
        "reviews:review", kwargs={"reference": c2.reference}
    )


def test_a_team_report_leaves_out_what_the_team_has_none_of(fortnight: Fortnight) -> None:
    """Field support resolved no S1 and had no strategic breach: no such sentences; its
    customers at risk are only those it works for."""
    found = sentences_of(w10(ReportFilters(team_id=fortnight.teams["fs"].pk)))
    assert "fastest_s1" not in found and "strategic" not in found
    assert found["at_risk"].text == "2 customers at risk, first of all Acme, Gamma."
    assert "team=" in found["change"].url


def test_a_quiet_week_has_no_sentence_rather_than_zeros(db: None) -> None:
    assert narrative_sentences(w10(), links=payload_links(w10())) == []


def test_a_frozen_week_keeps_its_summary_whatever_happens_later(fortnight: Fortnight) -> None:
    before = sentences_of(w10())
    # A faster S1 resolved within W10, recorded after the week was frozen.
    late = resolved_case(
        raised_at=at(3, 6, 9), resolved_at=at(3, 6, 10), team=fortnight.teams["sd"],
        customer=fortnight.customers["beta"], severity=Severity.S1,
    )  # fmt: skip
    met_clock(late, "resolution", stopped_at=at(3, 6, 10), elapsed=HOUR)
    fortnight.cases["c9"].status = Status.RESOLVED
    fortnight.cases["c9"].save()
    assert sentences_of(w10()) == before


def test_a_snapshot_frozen_before_the_summary_existed_shows_what_its_figures_allow(
    fortnight: Fortnight,
) -> None:
    payload = copy.deepcopy(w10())
    del payload["narrative_facts"]
    assert list(sentences_of(payload)) == ["change", "trend_breaches", "strategic"]


def test_the_best_improving_team_and_the_compliance_trend(fortnight: Fortnight) -> None:
    payload = copy.deepcopy(w10())
    sd = next(r for r in payload["breakdowns"]["team"] if r["label"] == "Service desk")
    sd["previous"]["breaches"] = 6  # 6 -> 2: four fewer breaches
    for week, rate in zip(payload["trend"][-4:-1], (90.0, 80.0, 70.0), strict=True):
        week["resolution_compliance"] = rate
    found = sentences_of(payload)
    assert found["best_team"].text == (
        "Most improved team: Service desk, SLA breaches from 6 to 2."
    )
    assert found["best_team"].url == (
        f"/reports/weekly/2026-W10/cases/?metric=breaches&dimension=team&group={sd['key']}"
    )
    assert found["trend_compliance"].text == (
        "Resolution SLA met for 75.0% of deadlines, 5.0 points below the 3-week average of 80.0%."
    )


def test_singular_counts_read_in_the_singular(fortnight: Fortnight) -> None:
    payload = copy.deepcopy(w10())
    payload["headline"]["breaches"] = 1
    payload["narrative_facts"]["at_risk"]["count"] = 1
    payload["narrative_facts"]["at_risk"]["customers"] = [{"id": 1, "name": "Beta", "reasons": 1}]
    found = sentences_of(payload)
    # As many as W09 had: not the most, above the average.
    assert found["trend_breaches"].text == (
        "1 SLA breach this week, above the average of 0.1 over the previous 11 weeks."
    )
    assert found["at_risk"].text == "1 customer at risk: Beta."


def test_the_page_opens_with_the_summary_and_the_pdf_carries_it(
    fortnight: Fortnight, erin: Any, settings: Any
) -> None:
    page = client_for(erin).get(reverse("reports:weekly", kwargs={"week": W10}))
    html = page.content.decode()
    assert html.index('id="summary"') < html.index('id="headline"')
    strategic = sentences_of(w10())["strategic"]
    assert f'href="{strategic.url.replace("&", "&amp;")}"' in html
    printed = report_pdf_html(w10(), filter_text="All teams, all customers")
    assert f'href="{settings.SITE_URL}{strategic.url.replace("&", "&amp;")}"' in printed


def test_the_page_of_a_week_without_summary_has_no_empty_section(erin: Any) -> None:
    page = Client()
    page.force_login(erin)
    html = page.get(reverse("reports:weekly", kwargs={"week": W10})).content.decode()
    assert 'id="summary"' not in html


def test_breaches_after_a_quiet_quarter_are_not_compared_with_an_average_of_zero(
    fortnight: Fortnight,
) -> None:
    payload = copy.deepcopy(w10())
    for week in payload["trend"][:-1]:
        week["breaches"] = 0
    assert sentences_of(payload)["trend_breaches"].text == (
        "4 SLA breaches this week, after none in the previous 11 weeks."
    )
