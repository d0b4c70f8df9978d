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
from django.utils.translation import gettext as _

from cases.events import CaseChanged, announce_many
from cases.models import (
    Case,
    CaseEvent,
    Category,
    Contact,
    Customer,
    EventKind,
    RootCause,
    Status,
)
from cases.permissions import can_triage
from cases.services import case_acknowledge, case_raise, case_resolve
from cases.services.common import case_lock, case_touch_and_sync, require
from cases.timeline import event_build, event_record, events_save
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
            _("The update cadence is %(low)s to %(high)s minutes.")
            % {"low": CADENCE_MIN, "high": CADENCE_MAX},
            field="cadence_minutes",
        )
    return minutes


def _person_check(user: User | None, *, field: str, label: str) -> User | None:
    if user is not None and not can_own(user):
        raise DomainError(
            _("%(person)s cannot be the %(role)s: an active operator or manager.")
            % {"person": display_name(user), "role": label},
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
    _person_check(lead, field="lead", label=_("incident lead"))
    _person_check(comms_lead, field="comms_lead", label=_("communications lead"))
    with transaction.atomic():
        case = case_lock(case)
        if MajorIncident.objects.filter(case=case).exists():
            raise DomainError(
                _("%(reference)s is a major incident already.") % {"reference": case.reference}
            )
        if case.status not in Status.OPEN:
            raise DomainError(
                _("%(reference)s is %(status)s: only an open case can become a major incident.")
                % {"reference": case.reference, "status": case.get_status_display().lower()}
            )
        if case.parent_id is not None:
            raise DomainError(
                _("%(reference)s is part of major incident %(parent)s: a child cannot be a parent.")
                % {"reference": case.reference, "parent": Case(pk=case.parent_id).reference}
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
    words = {"reference": child.reference}
    if child.pk == parent.pk:
        return _("%(reference)s is the major incident itself: a case is not its own child.") % words
    if child.parent_id == parent.pk:
        return _("%(reference)s is part of this major incident already.") % words
    if child.parent_id is not None:
        return _("%(reference)s is part of major incident %(parent)s: unlink it there first.") % {
            **words,
            "parent": Case(pk=child.parent_id).reference,
        }
    # Declaring sets the cadence on the parent: every parent has one.
    if child.update_every_minutes is not None:
        return _("%(reference)s is a major incident itself: a parent has no parent.") % words
    if child.status == Status.CLOSED:
        return _("%(reference)s is closed: a closed case is not linked.") % words
    return None


def _link_events(
    *, incident: MajorIncident, parent: Case, child: Case, by: User
) -> list[CaseEvent]:
    """Make the locked ``child`` a child of ``parent`` in memory; the two timeline events
    that record it (on the child, then on the parent), not saved yet."""
    refusal = link_refusal(parent=parent, child=child)
    if refusal:
        raise DomainError(refusal, field="children")
    child.parent = parent
    return [
        event_build(
            case=child,
            actor=by,
            kind=EventKind.LINKED,
            to_value=f"Part of major incident {parent.reference}",
            data={"incident": incident.pk, "target": parent.pk},
        ),
        event_build(
            case=parent,
            actor=by,
            kind=EventKind.LINKED,
            to_value=f"{child.reference} affected by this major incident",
            data={"incident": incident.pk, "source": child.pk},
        ),
    ]


def incident_link(*, incident: MajorIncident, child: Case, by: User) -> Case:
    """Link one affected case to the incident."""
    require(by, can_triage)
    with transaction.atomic():
        incident, parent = incident_lock(incident)
        require_active(incident)
        child = case_lock(child)
        events_save(_link_events(incident=incident, parent=parent, child=child, by=by))
        now = timezone.now()
        case_touch_and_sync(child, now=now, fields=["parent"])
        case_touch_and_sync(parent, now=now, fields=[])
    return child


@dataclass
class LinkResult:
    """Per reference: linked, or why not."""

    linked: list[str] = field(default_factory=list)
    refused: dict[str, str] = field(default_factory=dict)


def incident_link_many(
    *, incident: MajorIncident, references: Sequence[str], by: User
) -> LinkResult:
    """Link each case of ``references`` (the queue's bulk bar, the API): a refused one is
    reported, the others are linked, set-based.

    1. Lock the parent, then the children the manager may see, in primary-key order (one
       order for every service: no deadlock between two managers).
    2. Decide each reference in memory (``link_refusal``): two references to one case link it
       once, the second is refused as linked already.
    3. Write the batch with one UPDATE of the children's parent, one insert of the timeline
       events, and one announcement of the change (the clocks re-align for the whole batch).
    """
    require(by, can_triage)
    refs = list(dict.fromkeys(r.strip() for r in references if r and r.strip()))
    if not refs:
        raise DomainError(_("Name at least one case."), field="children")
    if len(refs) > LINK_MAX:
        raise DomainError(
            _("At most %(limit)s cases at once.") % {"limit": LINK_MAX}, field="children"
        )
    ids = {ref: Case.pk_from_reference(ref) for ref in refs}
    visible = case_visible_to(viewer=by).filter(pk__in=[pk for pk in ids.values() if pk])
    result = LinkResult()
    with transaction.atomic():
        incident, parent = incident_lock(incident)
        require_active(incident)
        locked = {
            case.pk: case
            for case in Case.objects.select_for_update()
            .filter(pk__in=visible.values("pk"))
            .order_by("pk")
        }
        children: list[Case] = []
        events: list[CaseEvent] = []
        for ref, pk in ids.items():
            child = locked.get(pk) if pk is not None else None
            if child is None:
                result.refused[ref] = f"{ref}: no such case."
                continue
            try:
                events += _link_events(incident=incident, parent=parent, child=child, by=by)
            except DomainError as exc:
                result.refused[child.reference] = exc.message
                continue
            children.append(child)
            result.linked.append(child.reference)
        if children:
            now = timezone.now()
            for child in children:
                child.updated_at = now
            Case.objects.filter(pk__in=[c.pk for c in children]).update(
                parent=parent, updated_at=now
            )
            events_save(events)
            announce_many(CaseChanged, [CaseChanged(case=c, at=now) for c in children])
            case_touch_and_sync(parent, now=now, fields=[])
    return result


def incident_unlink(*, incident: MajorIncident, child: Case, by: User) -> Case:
    """Take a case out of the incident (linked in error)."""
    require(by, can_triage)
    with transaction.atomic():
        incident, parent = incident_lock(incident)
        child = case_lock(child)
        if child.parent_id != parent.pk:
            raise DomainError(
                _("%(reference)s is not part of this major incident.")
                % {"reference": child.reference}
            )
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
    _person_check(lead, field="lead", label=_("incident lead"))
    _person_check(comms_lead, field="comms_lead", label=_("communications lead"))
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
            raise DomainError(_("Nothing changed."))
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
        raise DomainError(
            _("%(reference)s is not part of this major incident.") % {"reference": child.reference}
        )
    if child.status == Status.NEW:
        child = case_acknowledge(case=child, by=by)
    case_resolve(case=child, by=by, summary=parent.resolution_summary, root_cause=parent.root_cause)
