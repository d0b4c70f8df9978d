"""What the incident services share: locking an incident with its parent, and its events."""

from __future__ import annotations

from django.contrib.auth.models import User

from cases.models import Case, CaseEvent, EventKind
from cases.services.common import case_lock
from cases.timeline import event_record
from escalation.errors import DomainError
from incidents.models import IncidentState, MajorIncident


def incident_lock(incident: MajorIncident) -> tuple[MajorIncident, Case]:
    """The incident and its parent case, re-read under lock (parent first)."""
    case = case_lock(incident.case)
    locked = MajorIncident.objects.select_for_update().get(pk=incident.pk)
    locked.case = case
    return locked, case


def require_active(incident: MajorIncident) -> None:
    if incident.state != IncidentState.ACTIVE:
        raise DomainError(f"The major incident {incident.case.reference} is resolved.")


def incident_event(
    case: Case, *, by: User | None, text: str, body: str = "", **data: object
) -> CaseEvent:
    return event_record(
        case=case, actor=by, kind=EventKind.INCIDENT, to_value=text, body=body, data=data
    )
