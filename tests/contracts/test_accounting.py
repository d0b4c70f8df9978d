from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

from contracts.accounting import Terms, breaches_left, next_costs, percent_text, standing

TERMS = Terms(
    committed_percent=Decimal("95"),
    credit_percent_per_point=Decimal("5"),
    credit_cap_percent=Decimal("30"),
    monthly_fee=Decimal("12000"),
)


def test_two_breaches_of_forty_meet_ninety_five_percent_with_no_credit() -> None:
    month = standing(TERMS, in_scope=40, breached=2)
    assert month.compliance == 95
    assert month.points_below == 0
    assert month.credit_percent == 0
    assert month.breaches_left == 0
    assert not month.missed
    assert month.at_risk  # no breach left in the budget


def test_three_breaches_of_forty_are_two_and_a_half_points_below_and_credit_three_points() -> None:
    month = standing(TERMS, in_scope=40, breached=3)
    assert month.compliance == Fraction(185, 2)  # 92.5%
    assert month.points_below == Fraction(5, 2)
    # 2.5 points: every point or part of one earns 5%.
    assert month.credit_percent == Decimal("15")
    assert month.credit_amount == Decimal("1800.00")
    assert month.missed


def test_credit_is_capped() -> None:
    month = standing(TERMS, in_scope=40, breached=20)
    assert month.credit_percent == Decimal("30")
    assert month.credit_amount == Decimal("3600.00")


def test_budget_counts_further_breaches_as_further_resolutions() -> None:
    # 100 resolutions, 1 breached: 99 / (100 + k) >= 0.95 holds up to k = 4.
    assert breaches_left(TERMS, in_scope=100, breached=1) == 4
    assert standing(TERMS, in_scope=104, breached=5).compliance == Fraction(9900, 104)
    assert not standing(TERMS, in_scope=104, breached=5).missed
    assert standing(TERMS, in_scope=105, breached=6).missed


def test_next_costs_name_the_breach_that_raises_the_credit() -> None:
    steps = next_costs(TERMS, in_scope=100, breached=1)
    # The 5th further breach: 99 / 105 = 94.29%, 0.71 points below, one point: 5%.
    assert (steps[0].more, steps[0].credit_percent, steps[0].credit_amount) == (
        5,
        Decimal("5"),
        Decimal("600.00"),
    )
    assert steps[-1].credit_percent == Decimal("30")
    assert [s.credit_percent for s in steps] == sorted({s.credit_percent for s in steps})


def test_a_month_without_resolutions_owes_nothing_and_is_not_at_risk() -> None:
    month = standing(TERMS, in_scope=0, breached=0)
    assert month.compliance is None
    assert month.credit_percent == 0
    assert not month.at_risk


def test_percent_text_drops_trailing_zeros() -> None:
    assert percent_text(Fraction(185, 2)) == "92.5"
    assert percent_text(Decimal("95.00")) == "95"
    assert percent_text(Fraction(100, 3)) == "33.33"
