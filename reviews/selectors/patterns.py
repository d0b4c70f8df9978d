"""Patterns across escalations, aggregated in the database: recurring root causes, products and
categories on the rise, customers who keep escalating, and customers at risk."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal

from django.db.models import Avg, Count, F, Q
from django.db.models.functions import Coalesce
from django.db.models.lookups import GreaterThan
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import ngettext

from cases.models import Case, Customer, Severity
from reviews.models import SatisfactionSurvey
from sla.models import SlaBreach

SHORT_DAYS = 30
LONG_DAYS = 90
RECUR_MIN = 2  # a root cause recurs when it was found at least this often in LONG_DAYS
REPEAT_MIN = 2  # a customer escalates repeatedly with at least this many cases in SHORT_DAYS
RISING_MIN = 2  # ignore a "rise" to fewer cases than this in a week: that is noise

# A customer is at risk for any of these, in the last SHORT_DAYS days (satisfaction: LONG_DAYS).
RISK_ESCALATIONS = 3
RISK_BREACHES = 2
RISK_SATISFACTION_BELOW = 3.0


@dataclass(frozen=True)
class RootCauseCount:
    root_cause_id: int
    name: str
    group: str
    last_short: int
    last_long: int


@dataclass(frozen=True)
class GroupCount:
    name: str
    last_short: int
    last_long: int


@dataclass(frozen=True)
class Rising:
    id: int
    name: str
    this_week: int
    previous_four: int

    @property
    def weekly_average(self) -> float:
        return self.previous_four / 4

    @property
    def change(self) -> str:
        if not self.previous_four:
            return "new"
        return f"+{(self.this_week / self.weekly_average - 1) * 100:.0f}%"


@dataclass(frozen=True)
class RepeatCustomer:
    id: int
    name: str
    tier: str
    last_short: int
    last_long: int


@dataclass
class CustomerRisk:
    id: int
    name: str
    tier: str = ""
    escalations: int = 0
    breaches: int = 0
    open_s1: int = 0
    satisfaction: float | None = None
    answers: int = 0
    reasons: list[str] = field(default_factory=list)


def recurring_root_causes(*, now: datetime | None = None) -> list[RootCauseCount]:
    """Root causes of cases resolved in the last LONG_DAYS days found at least RECUR_MIN times,
    with their counts over SHORT_DAYS and LONG_DAYS days and their parent group."""
    now = now or timezone.now()
    rows = (
        Case.objects.filter(
            resolved_at__gte=now - timedelta(days=LONG_DAYS), root_cause__isnull=False
        )
        .values("root_cause_id", "root_cause__name", "root_cause__parent__name")
        .annotate(
            last_short=Count("id", filter=Q(resolved_at__gte=now - timedelta(days=SHORT_DAYS))),
            last_long=Count("id"),
        )
        .filter(last_long__gte=RECUR_MIN)
        .order_by("-last_short", "-last_long", "root_cause__name")
    )
    return [
        RootCauseCount(
            root_cause_id=r["root_cause_id"],
            name=r["root_cause__name"],
            group=r["root_cause__parent__name"] or r["root_cause__name"],
            last_short=r["last_short"],
            last_long=r["last_long"],
        )
        for r in rows
    ]


def root_cause_groups(*, now: datetime | None = None) -> list[GroupCount]:
    """The same counts by top-level group (a cause without parent is its own group)."""
    now = now or timezone.now()
    rows = (
        Case.objects.filter(
            resolved_at__gte=now - timedelta(days=LONG_DAYS), root_cause__isnull=False
        )
        .values(group=Coalesce("root_cause__parent__name", "root_cause__name"))
        .annotate(
            last_short=Count("id", filter=Q(resolved_at__gte=now - timedelta(days=SHORT_DAYS))),
            last_long=Count("id"),
        )
        .order_by("-last_short", "-last_long", "group")
    )
    return [GroupCount(r["group"], r["last_short"], r["last_long"]) for r in rows]


def rising(
    *, dimension: Literal["product", "category"], now: datetime | None = None
) -> list[Rising]:
    """Products (or categories) with more escalations in the last 7 days than their weekly
    average over the 4 weeks before, and at least RISING_MIN of them this week."""
    now = now or timezone.now()
    week_start = now - timedelta(days=7)
    rows = (
        Case.objects.filter(
            raised_at__gte=week_start - timedelta(days=28),
            raised_at__lt=now,
            **{f"{dimension}__isnull": False},
        )
        .values(f"{dimension}_id", f"{dimension}__name")
        .annotate(
            this_week=Count("id", filter=Q(raised_at__gte=week_start)),
            previous_four=Count("id", filter=Q(raised_at__lt=week_start)),
        )
        # this week > average of the four before  <=>  4 * this week > the four weeks' sum
        .filter(GreaterThan(F("this_week") * 4, F("previous_four")), this_week__gte=RISING_MIN)
        .order_by("-this_week", f"{dimension}__name")
    )
    return [
        Rising(
            id=r[f"{dimension}_id"],
            name=r[f"{dimension}__name"],
            this_week=r["this_week"],
            previous_four=r["previous_four"],
        )
        for r in rows
    ]


def repeat_customers(*, now: datetime | None = None, limit: int = 50) -> list[RepeatCustomer]:
    """Customers with at least REPEAT_MIN escalations raised in the last SHORT_DAYS days."""
    now = now or timezone.now()
    rows = (
        Case.objects.filter(raised_at__gte=now - timedelta(days=LONG_DAYS), raised_at__lt=now)
        .values("customer_id", "customer__name", "customer__tier")
        .annotate(
            last_short=Count("id", filter=Q(raised_at__gte=now - timedelta(days=SHORT_DAYS))),
            last_long=Count("id"),
        )
        .filter(last_short__gte=REPEAT_MIN)
        .order_by("-last_short", "-last_long", "customer__name")[:limit]
    )
    return [
        RepeatCustomer(
            id=r["customer_id"],
            name=r["customer__name"],
            tier=r["customer__tier"],
            last_short=r["last_short"],
            last_long=r["last_long"],
        )
        for r in rows
    ]


def customers_at_risk(
    *, now: datetime | None = None, limit: int | None = None
) -> list[CustomerRisk]:
    """Customers at risk, each with the reasons why, most reasons first: as things stand, or
    as they stood at ``now`` (a week's report asks about the end of its week, and must say the
    same when it is read months later).

    1. Escalations: at least RISK_ESCALATIONS cases raised in the SHORT_DAYS days before.
    2. Breaches: at least RISK_BREACHES cases with an SLA breach in the SHORT_DAYS days before.
    3. Any open S1 case (at a past moment: raised before it and not resolved by then).
    4. Satisfaction: average answer below RISK_SATISFACTION_BELOW over LONG_DAYS days before.
    One grouped query per measure, then one for the names: five queries whatever the size.
    """
    risks = _risks_measured(now=now)
    if not risks:
        return []
    for customer in Customer.objects.filter(pk__in=risks).only("id", "name", "tier"):
        risks[customer.pk].name = customer.name
        risks[customer.pk].tier = customer.get_tier_display()
    ranked = sorted(
        risks.values(),
        key=lambda r: (-len(r.reasons), -r.open_s1, -r.breaches, -r.escalations, r.name),
    )
    return ranked[:limit] if limit is not None else ranked


def _risks_measured(*, now: datetime | None) -> dict[int, CustomerRisk]:
    """The customers that meet any of the four measures, by id, with the reasons (unnamed)."""
    moment = now or timezone.now()
    since = moment - timedelta(days=SHORT_DAYS)
    risks: dict[int, CustomerRisk] = {}

    def risk(customer_id: int) -> CustomerRisk:
        return risks.setdefault(customer_id, CustomerRisk(id=customer_id, name=""))

    escalations = (
        Case.objects.filter(raised_at__gte=since, raised_at__lt=moment)
        .values_list("customer_id")
        .annotate(n=Count("id"))
        .filter(n__gte=RISK_ESCALATIONS)
    )
    for customer_id, n in escalations:
        r = risk(customer_id)
        r.escalations = n
        r.reasons.append(
            ngettext("%(n)s escalation in %(days)s days", "%(n)s escalations in %(days)s days", n)
            % {"n": n, "days": SHORT_DAYS}
        )
    breaches = (
        SlaBreach.objects.filter(breached_at__gte=since, breached_at__lt=moment)
        .values_list("case__customer_id")
        .annotate(n=Count("case_id", distinct=True))
        .filter(n__gte=RISK_BREACHES)
    )
    for customer_id, n in breaches:
        r = risk(customer_id)
        r.breaches = n
        r.reasons.append(
            ngettext(
                "%(n)s case breached its SLA in %(days)s days",
                "%(n)s cases breached their SLA in %(days)s days",
                n,
            )
            % {"n": n, "days": SHORT_DAYS}
        )
    # Open now by status (the partial index of open cases); open at a past moment as the
    # reports count it.
    open_then = (
        Case.objects.open()
        if now is None
        else Case.objects.filter(
            Q(raised_at__lt=moment), Q(resolved_at__isnull=True) | Q(resolved_at__gte=moment)
        )
    )
    open_s1 = (
        open_then.filter(severity=Severity.S1)
        .values_list("customer_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    for customer_id, n in open_s1:
        r = risk(customer_id)
        r.open_s1 = n
        r.reasons.append(ngettext("%(n)s open S1 case", "%(n)s open S1 cases", n) % {"n": n})
    unhappy = (
        SatisfactionSurvey.objects.filter(
            answered_at__gte=moment - timedelta(days=LONG_DAYS), answered_at__lt=moment
        )
        .values_list("case__customer_id")
        .annotate(average=Avg("score"), n=Count("id"))
        .filter(average__lt=RISK_SATISFACTION_BELOW)
    )
    for customer_id, average, n in unhappy:
        r = risk(customer_id)
        r.satisfaction, r.answers = float(average), n
        r.reasons.append(
            ngettext(
                "satisfaction %(score)s/5 from %(n)s answer in %(days)s days",
                "satisfaction %(score)s/5 from %(n)s answers in %(days)s days",
                n,
            )
            % {"score": number_format(r.satisfaction, 1), "n": n, "days": LONG_DAYS}
        )
    return risks
