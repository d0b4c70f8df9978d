"""A demo major incident: the newest open S1 or S2 case declared one, with a few other open
cases of the same product as its children and a short checklist, through the services people
use (so the timelines say so). Once: nothing is added when a major incident exists."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.contrib.auth.models import User

from cases.models import Case, Severity, Status
from incidents.checklist import task_add
from incidents.models import MajorIncident
from incidents.services import incident_declare, incident_link_many

CHILDREN = 4
TASKS = ("Bridge call opened", "Status page updated", "Engineering fix deployed")


def seed_major_incident(*, by: User, now: datetime) -> int:
    """Declare the demo incident; how many children it got (0: none declared)."""
    if MajorIncident.objects.exists():
        return 0
    open_cases = Case.objects.filter(
        status__in=Status.OPEN, parent__isnull=True, update_every_minutes__isnull=True
    )
    parent = (
        open_cases.filter(severity__in=[Severity.S1, Severity.S2]).order_by("-raised_at").first()
    )
    if parent is None:
        return 0
    others = open_cases.exclude(pk=parent.pk).order_by("-raised_at")
    children = list(
        others.filter(product=parent.product).values_list("pk", flat=True)[:CHILDREN]
    ) or list(others.values_list("pk", flat=True)[:CHILDREN])
    if not children:  # a tiny demo database: no incident without affected cases
        return 0
    incident = incident_declare(case=parent, by=by, lead=by, comms_lead=by)
    result = incident_link_many(
        incident=incident, references=[Case(pk=pk).reference for pk in children], by=by
    )
    for n, title in enumerate(TASKS):
        task_add(
            incident=incident, by=by, title=title, owner=by, due_at=now + timedelta(minutes=30 * n)
        )
    return len(result.linked)
