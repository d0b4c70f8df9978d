"""Running a major incident: declaring it on a parent case, linking the affected cases to it
as children, naming its leads, posting its updates, resolving it with its children.

Only escalation managers run an incident (``cases.permissions.can_triage``). Every service runs
in one transaction, locks the parent before any child (one order, no deadlock between two
managers), and writes its timeline events on the parent and on each child it concerns. The
checklist and the playbooks are ``incidents.checklist``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from cases.models import Case, Category, Contact, Customer, EventKind, RootCause, Status
from cases.permissions import can_triage
from cases.services import case_acknowledge, case_raise, case_resolve
from cases.services.common import case_lock, case_touch_and_sync, require
from cases.timeline import event_record
from cases.visibility import case_visible_to
from comms.broadcast import broadcast_start
from comms.models import Broadcast
from escalation.errors import DomainError
from escalation.roles import can_own
from escalation.users import display_name
from incidents.checklist import playbook_apply_locked, playbook_for
from incidents.locking import incident_event, incident_lock, require_active
from incidents.models import (
    CADENCE_MAX,
    CADENCE_MIN,
    CADENCE_MINUTES,
    IncidentState,
    MajorIncident,
)

# How many cases one link request takes (the queue's bulk bar, the API).
LINK_MAX = 500


def cadence_default(severity: str) -> int:
    return CADENCE_MINUTES.get(severity, CADENCE_MINUTES["S4"])


def _cadence_check(minutes: int) -> int:
    if not CADENCE_MIN <= minutes <= CADENCE_MAX:
        raise DomainError(
            f"The update cadence is {CADENCE_MIN} to {CADENCE_MAX} minutes.",
            field="cadence_minutes",
        )
    return minutes


def _person_check(user: User | None, *, field: str, label: str) -> User | None:
    if user is not None and not can_own(user):
        raise DomainError(
            f"{display_name(user)} cannot be the {label}: an active operator or manager.",
            field=field,
        )
    return user


def incident_declare(
    *,
    case: Case,
    by: User,
    lead: User | None = None,
    comms_lead: User | None = None,
    cadence_minutes: int | None = None,
) -> MajorIncident:
    """Make ``case`` the parent of a major incident. Its customer-update clock then runs on the
    cadence (``Case.update_every_minutes``); the active playbook of its category, if any, adds
    its tasks (``incidents.checklist.playbook_apply``)."""
    require(by, can_triage)
    _person_check(lead, field="lead", label="incident lead")
    _person_check(comms_lead, field="comms_lead", label="communications lead")
    with transaction.atomic():
        case = case_lock(case)
        if MajorIncident.objects.filter(case=case).exists():
            raise DomainError(f"{case.reference} is a major incident already.")
        if case.status not in Status.OPEN:
            raise DomainError(
                f"{case.reference} is {case.get_status_display().lower()}: "
                "only an open case can become a major incident."
            )
        if case.parent_id is not None:
            raise DomainError(
                f"{case.reference} is part of major incident "
                f"{Case(pk=case.parent_id).reference}: a child cannot be a parent."
            )
        minutes = _cadence_check(cadence_minutes or cadence_default(case.severity))
        now = timezone.now()
        incident = MajorIncident.objects.create(
            case=case,
            declared_at=now,
            declared_by=by,
            lead=lead,
            comms_lead=comms_lead,
            cadence_minutes=minutes,
        )
        case.update_every_minutes = minutes
        incident_event(
            case,
            by=by,
            text=f"Declared a major incident: customer updates every {minutes} minutes",
            action="declared",
            lead=lead.pk if lead else None,
            comms_lead=comms_lead.pk if comms_lead else None,
            cadence_minutes=minutes,
        )
        playbook = playbook_for(case)
        if playbook is not None:
            playbook_apply_locked(incident=incident, playbook=playbook, by=by, now=now)
        case_touch_and_sync(case, now=now, fields=["update_every_minutes"])
    return incident


def incident_declare_new(
    *,
    by: User,
    customer: Customer,
    title: str,
    description: str,
    severity: str,
    contact: Contact | None = None,
    category: Category | None = None,
    lead: User | None = None,
    comms_lead: User | None = None,
    cadence_minutes: int | None = None,
) -> MajorIncident:
    """Raise a new case (``case_raise``) and declare it, in one step."""
    with transaction.atomic():
        case = case_raise(
            raised_by=by,
            customer=customer,
            contact=contact,
            category=category,
            title=title,
            description=description,
            severity=severity,
        )
        return incident_declare(
            case=case, by=by, lead=lead, comms_lead=comms_lead, cadence_minutes=cadence_minutes
        )


def link_refusal(*, parent: Case, child: Case) -> str | None:
    """Why ``child`` cannot become a child of ``parent`` (None: it can)."""
    if child.pk == parent.pk:
        return f"{child.reference} is the major incident itself: a case is not its own child."
    if child.parent_id == parent.pk:
        return f"{child.reference} is part of this major incident already."
    if child.parent_id is not None:
        return (
            f"{child.reference} is part of major incident {Case(pk=child.parent_id).reference}: "
            "unlink it there first."
        )
    # Declaring sets the cadence on the parent: every parent has one.
    if child.update_every_minutes is not None:
        return f"{child.reference} is a major incident itself: a parent has no parent."
    if child.status == Status.CLOSED:
        return f"{child.reference} is closed: a closed case is not linked."
    return None


def _link_locked(*, incident: MajorIncident, parent: Case, child: Case, by: User) -> Case:
    child = case_lock(child)
    refusal = link_refusal(parent=parent, child=child)
    if refusal:
        raise DomainError(refusal, field="children")
    now = timezone.now()
    child.parent = parent
    event_record(
        case=child,
        actor=by,
        kind=EventKind.LINKED,
        to_value=f"Part of major incident {parent.reference}",
        data={"incident": incident.pk, "target": parent.pk},
    )
    event_record(
        case=parent,
        actor=by,
        kind=EventKind.LINKED,
        to_value=f"{child.reference} affected by this major incident",
        data={"incident": incident.pk, "source": child.pk},
    )
    case_touch_and_sync(child, now=now, fields=["parent"])
    return child


def incident_link(*, incident: MajorIncident, child: Case, by: User) -> Case:
    """Link one affected case to the incident."""
    require(by, can_triage)
    with transaction.atomic():
        incident, parent = incident_lock(incident)
        require_active(incident)
        child = _link_locked(incident=incident, parent=parent, child=child, by=by)
        case_touch_and_sync(parent, now=timezone.now(), fields=[])
    return child


@dataclass
class LinkResult:
    """Per reference: linked, or why not."""

    linked: list[str] = field(default_factory=list)
    refused: dict[str, str] = field(default_factory=dict)


def incident_link_many(
    *, incident: MajorIncident, references: Sequence[str], by: User
) -> LinkResult:
    """Link each case of ``references`` (the queue's bulk bar, the API), each on its own
    savepoint: a refused one is reported, the others are linked."""
    require(by, can_triage)
    refs = list(dict.fromkeys(r.strip() for r in references if r and r.strip()))
    if not refs:
        raise DomainError("Name at least one case.", field="children")
    if len(refs) > LINK_MAX:
        raise DomainError(f"At most {LINK_MAX} cases at once.", field="children")
    ids = {ref: Case.pk_from_reference(ref) for ref in refs}
    found = case_visible_to(viewer=by).in_bulk([pk for pk in ids.values() if pk is not None])
    result = LinkResult()
    with transaction.atomic():
        incident, parent = incident_lock(incident)
        require_active(incident)
        for ref, pk in ids.items():
            child = found.get(pk) if pk is not None else None
            if child is None:
                result.refused[ref] = f"{ref}: no such case."
                continue
            try:
                with transaction.atomic():
                    _link_locked(incident=incident, parent=parent, child=child, by=by)
            except DomainError as exc:
                result.refused[child.reference] = exc.message
                continue
            result.linked.append(child.reference)
        if result.linked:
            case_touch_and_sync(parent, now=timezone.now(), fields=[])
    return result


def incident_unlink(*, incident: MajorIncident, child: Case, by: User) -> Case:
    """Take a case out of the incident (linked in error)."""
    require(by, can_triage)
    with transaction.atomic():
        incident, parent = incident_lock(incident)
        child = case_lock(child)
        if child.parent_id != parent.pk:
            raise DomainError(f"{child.reference} is not part of this major incident.")
        now = timezone.now()
        child.parent = None
        for subject, key, other in ((child, "target", parent), (parent, "source", child)):
            event_record(
                case=subject,
                actor=by,
                kind=EventKind.LINKED,
                from_value=f"{child.reference} part of major incident {parent.reference}",
                to_value="unlinked",
                data={"incident": incident.pk, "unlinked": "incident", key: other.pk},
            )
        case_touch_and_sync(child, now=now, fields=["parent"])
        case_touch_and_sync(parent, now=now, fields=[])
    return child


def incident_set_roles(
    *,
    incident: MajorIncident,
    by: User,
    lead: User | None,
    comms_lead: User | None,
    cadence_minutes: int,
) -> MajorIncident:
    """Name the incident lead and the communications lead and set the update cadence."""
    require(by, can_triage)
    _person_check(lead, field="lead", label="incident lead")
    _person_check(comms_lead, field="comms_lead", label="communications lead")
    minutes = _cadence_check(cadence_minutes)
    with transaction.atomic():
        incident, parent = incident_lock(incident)
        require_active(incident)
        changes = []
        if incident.lead_id != (lead.pk if lead else None):
            changes.append(f"incident lead {display_name(lead, nobody='nobody')}")
        if incident.comms_lead_id != (comms_lead.pk if comms_lead else None):
            changes.append(f"communications lead {display_name(comms_lead, nobody='nobody')}")
        if incident.cadence_minutes != minutes:
            changes.append(f"customer updates every {minutes} minutes")
        if not changes:
            raise DomainError("Nothing changed.")
        now = timezone.now()
        incident.lead, incident.comms_lead, incident.cadence_minutes = lead, comms_lead, minutes
        incident.save(update_fields=["lead", "comms_lead", "cadence_minutes"])
        parent.update_every_minutes = minutes
        incident_event(
            parent,
            by=by,
            text=("Set " + ", ".join(changes))[:200],
            action="roles",
            lead=lead.pk if lead else None,
            comms_lead=comms_lead.pk if comms_lead else None,
            cadence_minutes=minutes,
        )
        case_touch_and_sync(parent, now=now, fields=["update_every_minutes"])
    return incident


def incident_post_update(*, incident: MajorIncident, by: User, body: str) -> Broadcast:
    """The incident's stakeholder update (``comms.broadcast.broadcast_start``): a
    customer-facing update on the parent (which restarts its update clock on the cadence),
    and the same text fanned out once to every open child's contact and timeline."""
    require(by, can_triage)
    with transaction.atomic():
        incident, parent = incident_lock(incident)
        require_active(incident)
        return broadcast_start(parent=parent, author=by, body=body)


@dataclass
class ResolveResult:
    resolved: list[str] = field(default_factory=list)
    refused: dict[str, str] = field(default_factory=dict)


def incident_resolve(
    *,
    incident: MajorIncident,
    by: User,
    summary: str,
    root_cause: RootCause | None,
    children: Sequence[Case] = (),
) -> ResolveResult:
    """Resolve the parent (``case_resolve``: its review opens as for any case) and, in the same
    step, each of ``children`` with the parent's summary and root cause (``case_resolve`` per
    child, each its own review). A child that cannot be resolved (finished already, or not one
    of the incident's) is reported and left as it was; a new one is acknowledged first."""
    require(by, can_triage)
    result = ResolveResult()
    with transaction.atomic():
        incident, parent = incident_lock(incident)
        require_active(incident)
        if parent.status == Status.NEW:
            parent = case_acknowledge(case=parent, by=by)
        parent = case_resolve(case=parent, by=by, summary=summary, root_cause=root_cause)
        for child in children:
            try:
                with transaction.atomic():
                    _child_resolve(parent=parent, child=child, by=by)
            except (DomainError, PermissionDenied) as exc:
                result.refused[child.reference] = str(exc)
                continue
            result.resolved.append(child.reference)
        now = timezone.now()
        incident.state = IncidentState.RESOLVED
        incident.resolved_at = now
        incident.save(update_fields=["state", "resolved_at"])
        incident_event(
            parent,
            by=by,
            text=f"Resolved the major incident with {len(result.resolved)} of its cases",
            action="resolved",
            children=result.resolved,
        )
    return result


def _child_resolve(*, parent: Case, child: Case, by: User) -> None:
    child = case_lock(child)
    if child.parent_id != parent.pk:
        raise DomainError(f"{child.reference} is not part of this major incident.")
    if child.status == Status.NEW:
        child = case_acknowledge(case=child, by=by)
    case_resolve(case=child, by=by, summary=parent.resolution_summary, root_cause=parent.root_cause)
