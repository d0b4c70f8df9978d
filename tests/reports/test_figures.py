"""Every figure of the report for the known fortnight (see conftest.py), computed by hand."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from cases.models import Tier
from reports.payload import report_compute
from reports.presentation import headline_cards
from reports.selectors import ReportFilters
from reviews.models import SatisfactionSurvey
from tests.reports.conftest import NOW, W09, W10, W11, Fortnight, at
from tests.reports.factories import ReportCaseFactory

pytestmark = pytest.mark.django_db

ALL = ReportFilters()


def figures(payload: dict, part: str = "headline") -> dict:
    return payload[part]


def test_the_headline_figures_of_the_week(fortnight: Fortnight) -> None:
    headline = report_compute(week=W10, filters=ALL, now=NOW)["headline"]
    assert headline == {
        "raised": 5,  # c1 c2 c3 c9 c10 (c6 is Monday 00:30 local: next week)
        "resolved": 4,  # c1 c2, and c4 c5 raised the week before
        "backlog": 5,  # c3 c7 c8 c9 c10
        "response_met": 2,  # c1 c2
        "response_missed": 2,  # c3 c9
        "response_compliance": 50.0,
        "resolution_met": 3,  # c1 c4 c5
        "resolution_missed": 1,  # c2
        "resolution_compliance": 75.0,
        "breaches": 4,  # c2 resolution, c3 response and update, c9 response
        # Business hours 2, 3 (c5's pause excluded), 5, 10: median between 3 and 5, p90 at
        # rank 2.7: 5 + 0.7 * (10 - 5).
        "resolve_p50": 4 * 3600.0,
        "resolve_p90": 8.5 * 3600.0,
        "reopened": 1,  # c7, reopened twice
        "csat_average": None,  # no survey answered
        "csat_responses": 0,
        "csat_satisfied": None,
    }


def test_the_week_before_is_computed_the_same_way(fortnight: Fortnight) -> None:
    payload = report_compute(week=W10, filters=ALL, now=NOW)
    previous = payload["previous"]
    assert previous["raised"] == 2  # c4 c5
    assert previous["resolved"] == 0  # c7's resolution was undone by its reopening
    assert previous["backlog"] == 4  # c4 c5 (resolved later), c7, c8
    assert (previous["response_met"], previous["response_missed"]) == (2, 0)
    assert previous["response_compliance"] == 100.0
    assert previous["resolution_compliance"] is None  # no resolution deadline settled
    assert previous["breaches"] == 1  # c5's customer update, Saturday
    assert previous["resolve_p50"] is None
    assert payload["trend"][-2] == {**previous, "week": "2026-W09", "frozen": False}


def test_a_case_raised_in_one_week_and_resolved_in_the_next_counts_in_each(
    fortnight: Fortnight,
) -> None:
    w09 = report_compute(week=W09, filters=ReportFilters(team_id=fortnight.teams["fs"].pk), now=NOW)
    w10 = report_compute(week=W10, filters=ReportFilters(team_id=fortnight.teams["fs"].pk), now=NOW)
    # c4 (Field support): raised in W09 and open at its end; resolved in W10, 2 business hours.
    assert (w09["headline"]["raised"], w09["headline"]["resolved"]) == (1, 0)
    assert w09["headline"]["backlog"] == 2  # c4, c7
    assert (w10["headline"]["raised"], w10["headline"]["resolved"]) == (1, 1)
    assert w10["headline"]["resolve_p50"] == 2 * 3600.0


def test_time_to_resolve_uses_business_time_without_the_pause(fortnight: Fortnight) -> None:
    # c5 waited on the customer across the week boundary: 3 business hours, not 4 days.
    only_beta_w10 = report_compute(week=W10, filters=ReportFilters(tier=Tier.PREMIUM), now=NOW)
    # Premium: c2 (10 h) and c5 (3 h).
    assert only_beta_w10["headline"]["resolve_p50"] == 6.5 * 3600
    assert only_beta_w10["previous"]["backlog"] == 1  # c5, paused but open at the end of W09


def test_breakdown_by_team(fortnight: Fortnight) -> None:
    rows = {
        r["label"]: r for r in report_compute(week=W10, filters=ALL, now=NOW)["breakdowns"]["team"]
    }
    desk, field = rows["Service desk"], rows["Field support"]
    assert {k: desk[k] for k in ("raised", "resolved", "backlog", "breaches", "reopened")} == {
        "raised": 4, "resolved": 3, "backlog": 3, "breaches": 2, "reopened": 0,
    }  # fmt: skip
    assert (desk["response_compliance"], desk["resolution_compliance"]) == (66.7, 66.7)
    assert desk["resolve_p50"] == 5 * 3600.0  # 3, 5, 10 hours
    assert desk["previous"]["raised"] == 1 and desk["previous"]["backlog"] == 2
    assert desk["previous"]["breaches"] == 1
    assert {k: field[k] for k in ("raised", "resolved", "backlog", "breaches", "reopened")} == {
        "raised": 1, "resolved": 1, "backlog": 2, "breaches": 2, "reopened": 1,
    }  # fmt: skip
    assert (field["response_compliance"], field["resolution_compliance"]) == (0.0, 100.0)
    assert list(rows) == ["Service desk", "Field support"]  # most raised first


def test_breakdowns_by_severity_tier_product_and_category(fortnight: Fortnight) -> None:
    breakdowns = report_compute(week=W10, filters=ALL, now=NOW)["breakdowns"]
    severity = {
        r["key"]: (r["raised"], r["backlog"], r["breaches"]) for r in breakdowns["severity"]
    }
    assert severity == {"S1": (1, 0, 0), "S2": (2, 1, 2), "S3": (1, 2, 2), "S4": (1, 2, 0)}
    tier = {r["label"]: (r["raised"], r["resolved"], r["backlog"]) for r in breakdowns["tier"]}
    assert tier == {"Strategic": (2, 2, 1), "Premium": (1, 2, 0), "Standard": (2, 0, 4)}
    assert [(r["label"], r["raised"], r["breaches"]) for r in breakdowns["product"]] == [
        ("Payments", 5, 4)
    ]
    assert [(r["label"], r["resolved"]) for r in breakdowns["category"]] == [("Outage", 4)]


def test_the_customers_with_the_most_escalations(fortnight: Fortnight) -> None:
    top = report_compute(week=W10, filters=ALL, now=NOW)["top_customers"]
    assert [
        (c["customer"], c["raised"], c["high_severity"], c["still_open"], c["breached"])
        for c in top
    ] == [("Acme", 2, 2, 1, 1), ("Gamma", 2, 0, 2, 1), ("Beta", 1, 1, 0, 1)]


def test_the_most_frequent_root_causes_with_their_group(fortnight: Fortnight) -> None:
    causes = report_compute(week=W10, filters=ALL, now=NOW)["root_causes"]
    assert (causes["resolved"], causes["with_cause"]) == (4, 3)
    assert [(r["group"], r["cause"], r["cases"], r["share"]) for r in causes["rows"]] == [
        ("Software", "Bug", 2, 66.7),
        ("Network", "Network", 1, 33.3),
    ]


def test_the_age_of_the_open_backlog(fortnight: Fortnight) -> None:
    ages = report_compute(week=W10, filters=ALL, now=NOW)["backlog_age"]
    # c10 23:59 Sunday; c9 2.3 days; c3 4.6 days; c7 18.6 days; c8 40 days.
    assert [(a["bucket"], a["cases"]) for a in ages] == [
        ("<1d", 1), ("1-3d", 1), ("3-7d", 1), ("7-30d", 1), (">30d", 1),
    ]  # fmt: skip


def test_breached_strategic_cases_and_cases_open_longest(fortnight: Fortnight) -> None:
    payload = report_compute(week=W10, filters=ALL, now=NOW)
    c = fortnight.cases
    breaches = payload["strategic_breaches"]
    assert breaches["total"] == 1
    assert [(r["reference"], r["breached"]) for r in breaches["rows"]] == [
        (c["c9"].reference, ["response"])
    ]
    assert datetime.fromisoformat(breaches["rows"][0]["breached_at"]) == at(3, 6, 17)
    assert [r["reference"] for r in payload["longest_open"]] == [
        c[k].reference for k in ("c8", "c7", "c3", "c9", "c10")
    ]
    assert payload["longest_open"][0]["age_days"] == 40.0


def test_highlights_rank_changes_against_the_week_before(fortnight: Fortnight) -> None:
    highlights = report_compute(week=W10, filters=ALL, now=NOW)["highlights"]
    # The only improvement: premium customers had c5 open at the end of W09, none now.
    assert [(i["dimension"], i["group"], i["key"], i["before"], i["after"], i["effect"])
            for i in highlights["improvements"]] == [
        ("Customer tier", "Premium", "backlog", 1, 0, 1.0)
    ]  # fmt: skip
    # The largest regressions: breaches 1 -> 4 on the one category and product.
    assert [(i["dimension"], i["key"], i["effect"]) for i in highlights["regressions"][:2]] == [
        ("Category", "breaches", -3.0),
        ("Product", "breaches", -3.0),
    ]
    assert len(highlights["regressions"]) == 5


def test_the_running_week_is_computed_up_to_now(fortnight: Fortnight) -> None:
    payload = report_compute(week=W11, filters=ALL, now=NOW)
    assert payload["live"] is True
    assert payload["headline"]["raised"] == 1  # c6, Monday 00:30
    assert payload["headline"]["backlog"] == 6  # W10's five and c6
    assert payload["end"] == NOW.isoformat()


def test_filters_by_team_and_tier_combine(fortnight: Fortnight) -> None:
    filters = ReportFilters(team_id=fortnight.teams["sd"].pk, tier=Tier.STRATEGIC)
    headline = report_compute(week=W10, filters=filters, now=NOW)["headline"]
    # Service desk and Acme: c1 (resolved) and c9 (open, response breached).
    assert (headline["raised"], headline["resolved"], headline["backlog"]) == (2, 1, 1)
    assert (headline["response_met"], headline["response_missed"], headline["breaches"]) == (
        1,
        1,
        1,
    )


def test_a_week_without_cases_shows_zeros_and_no_rates(db: None) -> None:
    payload = report_compute(week=W10, filters=ALL, now=NOW)
    headline = payload["headline"]
    assert headline["raised"] == headline["resolved"] == headline["backlog"] == 0
    assert headline["response_compliance"] is None and headline["resolve_p50"] is None
    assert payload["breakdowns"] == {
        k: [] for k in ("team", "severity", "tier", "product", "category")
    }
    assert payload["top_customers"] == [] and payload["longest_open"] == []
    assert len(payload["trend"]) == 12
    assert payload["highlights"] == {"improvements": [], "regressions": []}


def test_weeks_follow_the_amsterdam_clock_across_the_spring_change(db: None) -> None:
    # Week 13 of 2026 ends on Sunday 29 March, the night the clocks go forward.
    ReportCaseFactory(raised_at=at(3, 23, 0, 30))  # Monday 00:30 CET = Sunday 23:30 UTC
    ReportCaseFactory(raised_at=at(3, 29, 23, 30))  # Sunday 23:30 CEST = 21:30 UTC
    ReportCaseFactory(raised_at=datetime(2026, 3, 29, 22, 30, tzinfo=UTC))  # Monday 00:30 CEST
    now = at(4, 6, 6)
    w13 = report_compute(week=W10.shifted(3), filters=ALL, now=now)
    w14 = report_compute(week=W10.shifted(4), filters=ALL, now=now)
    assert w13["headline"]["raised"] == 2
    assert w14["headline"]["raised"] == 1
    assert w14["previous"]["raised"] == 2


def test_weeks_follow_the_amsterdam_clock_across_the_autumn_change(db: None) -> None:
    # Week 43 of 2026 has the extra hour (Sunday 25 October); it ends at 23:00 UTC.
    ReportCaseFactory(raised_at=datetime(2026, 10, 25, 22, 59, tzinfo=UTC))  # Sunday 23:59 CET
    ReportCaseFactory(raised_at=datetime(2026, 10, 25, 23, 0, tzinfo=UTC))  # Monday 00:00 CET
    ReportCaseFactory(raised_at=datetime(2026, 10, 18, 22, 30, tzinfo=UTC))  # Monday 00:30 CEST
    now = datetime(2026, 11, 2, 6, tzinfo=UTC)
    w43 = report_compute(week=W10.shifted(33), filters=ALL, now=now)
    assert str(W10.shifted(33)) == "2026-W43"
    assert w43["headline"]["raised"] == 2
    assert w43["trend"][-1]["raised"] == 2 and w43["trend"][-2]["raised"] == 0


def answer(case, *, score: int, answered_at: datetime) -> None:  # type: ignore[no-untyped-def]
    SatisfactionSurvey.objects.create(
        case=case,
        contact_email="contact@customer.example",
        token=f"t{SatisfactionSurvey.objects.count()}",
        created_at=answered_at,
        answered_at=answered_at,
        score=score,
    )


def test_customer_satisfaction_comes_from_the_survey_answers_of_the_week(
    fortnight: Fortnight,
) -> None:
    c = fortnight.cases
    answer(c["c1"], score=5, answered_at=at(3, 4, 10))
    answer(c["c2"], score=2, answered_at=at(3, 6, 10))
    answer(c["c4"], score=4, answered_at=at(3, 8, 23, 30))
    answer(c["c5"], score=3, answered_at=at(3, 9, 0, 30))  # Monday: next week
    unanswered = SatisfactionSurvey.objects.create(
        case=c["c5"], contact_email="x@customer.example", token="open", created_at=at(3, 4)
    )
    assert unanswered.score is None
    payload = report_compute(week=W10, filters=ALL, now=NOW)
    assert payload["satisfaction_collected"] is True
    assert payload["headline"]["csat_average"] == pytest.approx(3.67)  # (5 + 2 + 4) / 3
    assert payload["headline"]["csat_responses"] == 3
    assert payload["headline"]["csat_satisfied"] == pytest.approx(0.667)
    desk = report_compute(
        week=W10, filters=ReportFilters(team_id=fortnight.teams["sd"].pk), now=NOW
    )
    assert desk["headline"]["csat_average"] == 3.5  # c1 and c2
    card = {c.key: c for c in headline_cards(payload)}["csat_average"]
    assert (card.value, card.detail) == ("3.67 / 5", "3 answers, 67% gave 4 or 5")


def test_satisfaction_for_one_customer_tier_counts_only_that_tiers_answers(
    fortnight: Fortnight,
) -> None:
    c = fortnight.cases
    answer(c["c1"], score=5, answered_at=at(3, 4, 10))  # Acme, strategic
    answer(c["c2"], score=2, answered_at=at(3, 6, 10))  # Beta, premium
    answer(c["c4"], score=4, answered_at=at(3, 8, 23, 30))  # Acme, strategic
    payload = report_compute(week=W10, filters=ReportFilters(tier=Tier.STRATEGIC), now=NOW)
    assert payload["satisfaction_collected"] is True
    assert payload["headline"]["csat_average"] == 4.5
    assert payload["headline"]["csat_responses"] == 2
    premium = report_compute(week=W10, filters=ReportFilters(tier=Tier.PREMIUM), now=NOW)
    assert (premium["headline"]["csat_average"], premium["headline"]["csat_responses"]) == (2, 1)
    card = {c.key: c for c in headline_cards(payload)}["csat_average"]
    assert (card.value, card.detail) == ("4.50 / 5", "2 answers, 100% gave 4 or 5")
