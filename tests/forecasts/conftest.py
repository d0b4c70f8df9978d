"""A synthetic history for the forecast tests: finished cases whose clocks breached or not as
the test says, written in bulk (thousands of rows, no services: a state to learn from)."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.utils import timezone

from cases.models import Case, Customer, Severity, Status, Team, Tier
from sla.models import CaseClock, ClockKind
from tests.factories import CategoryFactory, CustomerFactory, ProductFactory, UserFactory

HOUR = timedelta(hours=1)
# The model reads the hour and weekday a clock started: the tests run at one moment, so what
# they learn and score does not depend on the time of day the suite runs.
NOW = datetime(2026, 11, 18, 10, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def fixed_moment():  # type: ignore[no-untyped-def]
    with time_machine.travel(NOW, tick=True):
        yield


def history(
    *,
    count: int,
    breaches: Callable[[Case, random.Random], bool],
    team: Team | None = None,
    severities: tuple[str, ...] = tuple(Severity.values),
    customer: Customer | None = None,
    end: datetime | None = None,
    seed: int = 1,
) -> list[Case]:
    """``count`` resolved cases raised over the weeks before ``end``, one resolution clock each
    (target 4 h, 24x7): a breached clock ran 1.1-2.5 targets, a met one 0.1-0.95."""
    rng = random.Random(seed)
    end = end or timezone.now()
    customer = customer or CustomerFactory(name="History Ltd", tier=Tier.PREMIUM)
    product, category = ProductFactory(name="Ledger"), CategoryFactory(name="Outage")
    raiser = UserFactory(username="history-raiser")
    cases = []
    for i in range(count):
        raised = end - timedelta(days=60) + timedelta(minutes=int(rng.uniform(0, 50 * 24 * 60)))
        cases.append(
            Case(
                title=f"History {i}",
                description="-",
                customer=customer,
                product=product,
                category=category,
                severity=severities[i % len(severities)],
                status=Status.CLOSED,
                team=team,
                raised_by=raiser,
                raised_at=raised,
                updated_at=raised,
            )
        )
    cases = Case.objects.bulk_create(cases)
    clocks = []
    target = 4 * 3600
    for case in cases:
        breached = breaches(case, rng)
        ran = int(target * (rng.uniform(1.1, 2.5) if breached else rng.uniform(0.1, 0.95)))
        stop = case.raised_at + timedelta(seconds=ran)
        clocks.append(
            CaseClock(
                case=case,
                kind=ClockKind.RESOLUTION,
                target_seconds=target,
                started_at=case.raised_at,
                due_at=case.raised_at + timedelta(seconds=target),
                warn_at=case.raised_at + timedelta(seconds=target * 3 // 4),
                breached_at=case.raised_at + timedelta(seconds=target) if breached else None,
                stopped_at=stop,
                met=not breached,
                elapsed_seconds=ran,
                late_seconds=max(0, ran - target),
            )
        )
    CaseClock.objects.bulk_create(clocks)
    Case.objects.filter(pk__in=[c.pk for c in cases]).update(resolved_at=timezone.now() - HOUR)
    return cases


def severity_decides(case: Case, rng: random.Random) -> bool:
    """S1 breaches 80% of the time, S2 50%, S3 25%, S4 5%."""
    chance = {"S1": 0.8, "S2": 0.5, "S3": 0.25, "S4": 0.05}[case.severity]
    return rng.random() < chance


@pytest.fixture
def premium() -> Customer:
    return CustomerFactory(name="Acme Premium", tier=Tier.PREMIUM)


def running_clock(case: Case, *, share: float = 0.5, target: timedelta = 4 * HOUR) -> CaseClock:
    """A running resolution clock (24x7) with ``share`` of its ``target`` used, like the
    history's."""
    now = timezone.now()
    started = now - target * share
    return CaseClock.objects.create(
        case=case,
        kind=ClockKind.RESOLUTION,
        target_seconds=int(target.total_seconds()),
        started_at=started,
        due_at=started + target,
        warn_at=started + target * 0.75,
    )
