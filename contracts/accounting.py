"""The arithmetic of a contract month: compliance, credit, error budget. Pure, no ORM.

Scope (what ``in_scope`` counts): the *resolution* clocks (``sla.CaseClock``, kind
resolution) of the customer's cases of a covered severity that stopped during the month because
the case was resolved, breached or not. ``breached`` counts those that did not stop in target
(``met`` false: a deadline passed while the clock ran, which ``sla.SlaBreach`` also records).
A clock belongs to the month it stopped in: a case resolved on 2 December after breaching in
November counts in December.

Exact fractions throughout, so 37 of 40 is 92.5% and 2.5 points below 95%, never 2.4999.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

CENT = Decimal("0.01")
# At risk: the budget is nearly spent once at most this many further breaches keep the
# commitment, or less than this share of the month's budget is left.
AT_RISK_BREACHES_LEFT = 1
AT_RISK_BUDGET_SHARE = Fraction(1, 5)
# Further breaches the cost ladder looks at beyond those the budget allows.
LADDER_STEPS = 12


@dataclass(frozen=True)
class Terms:
    committed_percent: Decimal
    credit_percent_per_point: Decimal
    credit_cap_percent: Decimal
    monthly_fee: Decimal


@dataclass(frozen=True)
class Standing:
    """Where a month stands after ``in_scope`` clocks, ``breached`` of them out of target."""

    in_scope: int
    breached: int
    compliance: Fraction | None  # percent; None with nothing in scope
    points_below: Fraction
    credit_percent: Decimal
    credit_amount: Decimal
    breaches_left: int
    missed: bool
    at_risk: bool

    @property
    def met(self) -> int:
        return self.in_scope - self.breached


def compliance_percent(*, in_scope: int, breached: int) -> Fraction | None:
    return Fraction(100 * (in_scope - breached), in_scope) if in_scope else None


def credit_percent(terms: Terms, points_below: Fraction) -> Decimal:
    """Every point below, or part of one, earns ``credit_percent_per_point``, up to the cap."""
    points = math.ceil(points_below)
    return min(terms.credit_percent_per_point * points, terms.credit_cap_percent)


def credit_amount(terms: Terms, percent: Decimal) -> Decimal:
    return (terms.monthly_fee * percent / 100).quantize(CENT, rounding=ROUND_HALF_UP)


def breaches_left(terms: Terms, *, in_scope: int, breached: int) -> int:
    """How many more resolutions out of target (each one more clock in scope, breached) the
    month takes before compliance drops below the commitment, if no other resolution came.

    The largest k with (met) / (in_scope + k) >= committed / 100, i.e.
    k <= 100 * met / committed - in_scope; 0 when the commitment is already missed.
    """
    met = in_scope - breached
    room = Fraction(100 * met) / Fraction(terms.committed_percent) - in_scope
    return max(0, math.floor(room))


def standing(terms: Terms, *, in_scope: int, breached: int) -> Standing:
    compliance = compliance_percent(in_scope=in_scope, breached=breached)
    committed = Fraction(terms.committed_percent)
    below = max(Fraction(0), committed - compliance) if compliance is not None else Fraction(0)
    percent = credit_percent(terms, below)
    left = breaches_left(terms, in_scope=in_scope, breached=breached)
    missed = below > 0
    budget = breached + left
    nearly_spent = left <= AT_RISK_BREACHES_LEFT or Fraction(left, budget) < AT_RISK_BUDGET_SHARE
    return Standing(
        in_scope=in_scope,
        breached=breached,
        compliance=compliance,
        points_below=below,
        credit_percent=percent,
        credit_amount=credit_amount(terms, percent),
        breaches_left=left,
        missed=missed,
        # Only a budget some breach has started to spend is at risk: early in a month with no
        # breach every customer would be "at risk" of its first one.
        at_risk=missed or (breached > 0 and nearly_spent),
    )


@dataclass(frozen=True)
class Step:
    more: int  # further breaches from now
    credit_percent: Decimal
    credit_amount: Decimal


def cost_ladder(terms: Terms, *, in_scope: int, breached: int) -> list[Step]:
    """What each further breach would cost: the credit after 1, 2, ... more breaches (and no
    other resolution), up to the cap or ``LADDER_STEPS`` past the budget."""
    start = standing(terms, in_scope=in_scope, breached=breached)
    steps = []
    for more in range(1, start.breaches_left + LADDER_STEPS + 1):
        after = standing(terms, in_scope=in_scope + more, breached=breached + more)
        steps.append(Step(more, after.credit_percent, after.credit_amount))
        if after.credit_percent >= terms.credit_cap_percent:
            break
    return steps


def next_costs(terms: Terms, *, in_scope: int, breached: int) -> list[Step]:
    """The steps of the ladder where the credit goes up: "2 more breaches cost 5%"."""
    current = standing(terms, in_scope=in_scope, breached=breached).credit_percent
    rises = []
    for step in cost_ladder(terms, in_scope=in_scope, breached=breached):
        if step.credit_percent > current:
            rises.append(step)
            current = step.credit_percent
    return rises


def percent_text(value: Fraction | Decimal | None) -> str:
    """``92.5``, ``95``, ``33.33``: at most two decimals, no trailing zeros; "" for None."""
    if value is None:
        return ""
    exact = (
        Decimal(value.numerator) / Decimal(value.denominator)
        if isinstance(value, Fraction)
        else value
    )
    text = f"{exact.quantize(CENT, rounding=ROUND_HALF_UP):f}"
    return text.rstrip("0").rstrip(".") if "." in text else text
