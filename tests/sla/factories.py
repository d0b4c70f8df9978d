"""Calendars, policies and the escalation ladder for the SLA tests."""

from __future__ import annotations

from datetime import time

import factory

from cases.models import Severity, Tier
from sla.models import BusinessCalendar, SlaPolicy, WorkingHours


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
