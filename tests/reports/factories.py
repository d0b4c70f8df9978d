"""Factories for report tests: cases, timeline events and SLA clocks written directly, in the
state the case services and the SLA engine would have left them (see sla.models.CaseClock)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import factory
from django.contrib.auth import get_user_model

from cases.models import Case, CaseEvent, EventKind, Status
from sla.facts import breach_fact, facts_save
from sla.models import CaseClock, ClockKind
from tests.factories import CaseFactory


def reporter() -> Any:
    """One shared raiser: the suite's UserFactory hashes a password for every user it makes."""
    return get_user_model().objects.get_or_create(username="reporter")[0]


class ReportCaseFactory(CaseFactory):
    raised_by = factory.LazyFunction(reporter)


class CaseClockFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CaseClock

    case = factory.SubFactory(ReportCaseFactory)
    kind = ClockKind.RESOLUTION
    target_seconds = 8 * 3600
    started_at = factory.LazyAttribute(lambda c: c.case.raised_at)
    due_at = factory.LazyAttribute(lambda c: c.started_at + timedelta(seconds=c.target_seconds))
    warn_at = factory.LazyAttribute(
        lambda c: c.started_at + timedelta(seconds=c.target_seconds * 3 // 4)
    )


class CaseEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CaseEvent

    case = factory.SubFactory(ReportCaseFactory)
    kind = EventKind.NOTE
    created_at = factory.LazyAttribute(lambda e: e.case.raised_at)


def met_clock(
    case: Case, kind: str, *, stopped_at: datetime, elapsed: int, **extra: Any
) -> CaseClock:
    """A clock that stopped in time."""
    return CaseClockFactory(
        case=case,
        kind=kind,
        stopped_at=stopped_at,
        met=True,
        elapsed_seconds=elapsed,
        late_seconds=0,
        **extra,
    )


def breached_clock(
    case: Case,
    kind: str,
    *,
    breached_at: datetime,
    stopped_at: datetime | None = None,
    elapsed: int | None = None,
) -> CaseClock:
    """A clock whose deadline (``breached_at`` = ``due_at``) passed while it ran, with its
    breach fact; stopped late when ``stopped_at`` is given, still running otherwise."""
    target = 4 * 3600
    stopped = stopped_at is not None
    clock = CaseClockFactory(
        case=case,
        kind=kind,
        target_seconds=target,
        due_at=breached_at,
        warn_at=breached_at - timedelta(hours=1),
        breached_at=breached_at,
        stopped_at=stopped_at,
        met=False if stopped else None,
        elapsed_seconds=elapsed if stopped else None,
        late_seconds=(elapsed - target) if stopped and elapsed is not None else None,
        breach_handled_at=breached_at,
    )
    # The breach fact, as the engine records it when the deadline passes.
    facts_save(breaches=[breach_fact(clock, now=breached_at)])
    return clock


def resolved_case(*, raised_at: datetime, resolved_at: datetime, **kwargs: Any) -> Case:
    return ReportCaseFactory(
        raised_at=raised_at,
        resolved_at=resolved_at,
        first_response_at=raised_at,
        status=Status.RESOLVED,
        **kwargs,
    )


__all__ = [
    "CaseClockFactory",
    "CaseEventFactory",
    "ReportCaseFactory",
    "ClockKind",
    "breached_clock",
    "met_clock",
    "resolved_case",
]
