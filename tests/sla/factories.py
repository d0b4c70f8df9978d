"""Calendars, policies and the escalation ladder for the SLA tests."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import factory
from django.utils import timezone

from cases.models import Case, Severity, Tier
from sla.models import BusinessCalendar, CaseClock, ClockKind, SlaPolicy, WorkingHours
from sla.services import cases_sla_marks_refresh

HOUR = timedelta(hours=1)


class BusinessCalendarFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = BusinessCalendar
        django_get_or_create = ("name",)

    name = "24x7"
    time_zone = "Europe/Amsterdam"
    always_open = True


def office_calendar(name: str = "Office hours") -> BusinessCalendar:
    """Monday to Friday, 09:00-17:00 Amsterdam time."""
    calendar = BusinessCalendarFactory(name=name, always_open=False)
    WorkingHours.objects.bulk_create(
        WorkingHours(calendar=calendar, weekday=day, start=time(9), end=time(17))
        for day in range(5)
    )
    return calendar


class SlaPolicyFactory(factory.django.DjangoModelFactory):
    """Standard S3 on a 24x7 calendar: respond in 1 h, resolve in 8 h, update every 2 h."""

    class Meta:
        model = SlaPolicy
        django_get_or_create = ("tier", "severity")

    tier = Tier.STANDARD
    severity = Severity.S3
    calendar = factory.SubFactory(BusinessCalendarFactory)
    response_minutes = 60
    resolution_minutes = 480
    update_minutes = 120
    warn_percent = 75
    reescalate_minutes = 60


def clock_stored(
    case: Case,
    *,
    kind: str = ClockKind.RESOLUTION,
    due_in: timedelta,
    warn_in: timedelta,
    paused: bool = False,
    stopped: bool = False,
    met: bool | None = None,
    breached: bool = False,
) -> CaseClock:
    """A clock written straight to the table, not by the clock sync (a stopped one missed its
    target unless ``met`` says otherwise); the case's SLA marks are refreshed to match."""
    now = timezone.now()
    due: datetime = now + due_in
    stored = CaseClock.objects.create(
        case=case,
        kind=kind,
        target_seconds=3600,
        started_at=now - 2 * HOUR,
        due_at=due,
        warn_at=now + warn_in,
        paused_at=now if paused else None,
        stopped_at=now if stopped else None,
        breached_at=due if breached else None,
        met=met if met is not None else (False if stopped else None),
    )
    cases_sla_marks_refresh(case_ids=[case.pk])
    return stored


def breached(case: Case) -> Case:
    """``case`` with a running resolution clock an hour past its deadline."""
    clock_stored(case, due_in=-HOUR, warn_in=-2 * HOUR)
    return case
