"""Reads of the major incidents: the panel of a case page (as parent or as child), the list of
incidents, the open parents the queue's bulk bar offers."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.http import Http404

from cases.extensions import clock_reads
from cases.models import Case
from cases.visibility import case_visible_to
from comms.models import Broadcast, BroadcastState, BroadcastTarget
from escalation.roles import AnyUser
from incidents.models import IncidentState, IncidentTask, MajorIncident

# Children rows a page of the panel ("more" fetches the next).
CHILDREN_PAGE = 50
# Failed targets listed on the panel (more are counted in the admin's list of targets).
FAILED_SHOWN = 20


@dataclass
class Panel:
    """What the incident panel of one case page shows. ``incident`` set: the case is a
    parent; ``parent`` set: the case is a child (of a parent the viewer may open)."""

    case: Case
    incident: MajorIncident | None = None
    parent: Case | None = None
    # The first page of the children the viewer may open (``ChildrenPage``); the counts are
    # over every child.
    children: list[Case] | None = None
    children_next_page: int | None = None
    children_total: int = 0
    hidden_children: int = 0
    affected_customers: int = 0
    tasks: list[IncidentTask] | None = None
    broadcast: Broadcast | None = None
    # The latest broadcast's targets that failed (with their case's reference and error).
    failed_targets: list[BroadcastTarget] | None = None
    next_update_due: datetime | None = None


def incident_panel_case(*, viewer: AnyUser, reference: str) -> Case:
    """The case whose incident panel is asked for; Http404 for one the viewer may not see."""
    pk = Case.pk_from_reference(reference)
    if pk is None:
        raise Http404("No such case.")
    columns = (
        *("id", "title", "status", "severity", "parent_id", "update_every_minutes"),
        *("owner_id", "team_id", "raised_by_id", "category_id", "customer_id"),
    )
    try:
        return case_visible_to(viewer=viewer).only(*columns).get(pk=pk)
    except Case.DoesNotExist:
        raise Http404("No such case.") from None


def incident_of(case: Case) -> MajorIncident | None:
    return (
        MajorIncident.objects.select_related("lead", "comms_lead", "declared_by")
        .filter(case_id=case.pk)
        .first()
    )


def incident_children(*, parent: Case) -> QuerySet[Case]:
    return (
        Case.objects.filter(parent=parent)
        .select_related("customer", "owner")
        .order_by("customer__name", "id")
    )


@dataclass
class ChildrenPage:
    children: list[Case]
    next_page: int | None
    # The SLA states of the page's children (and of ``also``), by case id.
    states: Mapping[int, list[Any]]


def incident_children_page(
    *, viewer: AnyUser, parent: Case, page: int, now: datetime, also: Sequence[Case] = ()
) -> ChildrenPage:
    """Page ``page`` (from 1) of the children of ``parent`` the viewer may open,
    ``CHILDREN_PAGE`` a page, each with its SLA states (``sla_clocks``): two queries, whatever
    the page or the number of children. ``also``: more cases whose states to read with them."""
    start = (max(page, 1) - 1) * CHILDREN_PAGE
    rows = list(
        incident_children(parent=parent).filter(pk__in=case_visible_to(viewer=viewer).values("pk"))[
            start : start + CHILDREN_PAGE + 1
        ]
    )
    more = len(rows) > CHILDREN_PAGE
    children = rows[:CHILDREN_PAGE]
    reads = clock_reads()
    states = reads.states_for([*also, *children], now) if reads is not None else {}
    for child in children:
        child.sla_clocks = states.get(child.pk, [])  # type: ignore[attr-defined]
    return ChildrenPage(
        children=children, next_page=max(page, 1) + 1 if more else None, states=states
    )


def incident_panel(*, viewer: AnyUser, case: Case, now: datetime) -> Panel:
    """The panel: for a parent its roles, tasks, children (those the viewer may open, with
    their SLA states; the others counted), affected customers and the latest broadcast; for a
    child its parent. A bounded number of queries, whatever the number of children."""
    panel = Panel(case=case)
    if case.parent_id is not None:
        panel.parent = (
            case_visible_to(viewer=viewer)
            .only("id", "title", "status")
            .filter(pk=case.parent_id)
            .first()
        )
        return panel
    incident = incident_of(case)
    if incident is None:
        return panel
    panel.incident = incident
    # The counts over every child in one aggregate; the rows one page of them.
    visible = case_visible_to(viewer=viewer).filter(pk=OuterRef("pk"))
    counts = Case.objects.filter(parent=case).aggregate(
        total=Count("id"),
        shown=Count("id", filter=Q(Exists(visible))),
        customers=Count("customer_id", distinct=True),
    )
    panel.children_total = counts["total"]
    panel.hidden_children = counts["total"] - counts["shown"]
    panel.affected_customers = counts["customers"]
    page = incident_children_page(viewer=viewer, parent=case, page=1, now=now, also=[case])
    panel.children, panel.children_next_page = page.children, page.next_page
    states = page.states
    panel.tasks = list(
        IncidentTask.objects.filter(incident=incident).select_related("owner", "done_by")
    )
    panel.broadcast = Broadcast.objects.filter(parent=case).order_by("-created_at", "-id").first()
    if panel.broadcast is not None:
        panel.failed_targets = list(
            BroadcastTarget.objects.filter(broadcast=panel.broadcast, state=BroadcastState.FAILED)
            .select_related("case")
            .only("id", "reason", "case__id")
            .order_by("id")[:FAILED_SHOWN]
        )
    update_states = [s for s in states.get(case.pk, []) if getattr(s, "kind", None) == "update"]
    running = [s for s in update_states if getattr(s, "state", None) != "met"]
    panel.next_update_due = running[0].due_at if running else None
    return panel


def incidents_list(*, viewer: AnyUser) -> QuerySet[MajorIncident]:
    """Every major incident the viewer may open, active first, newest first, each with the
    count of its children and of their customers."""
    return (
        MajorIncident.objects.filter(case__in=case_visible_to(viewer=viewer))
        .select_related("case", "lead", "comms_lead")
        .annotate(
            children_count=Count("case__children", distinct=True),
            customers_count=Count("case__children__customer", distinct=True),
        )
        .order_by("state", "-declared_at", "-id")
    )


def open_parents(*, viewer: AnyUser) -> QuerySet[MajorIncident]:
    """The active incidents (for the queue's "add to major incident")."""
    return (
        MajorIncident.objects.filter(
            state=IncidentState.ACTIVE, case__in=case_visible_to(viewer=viewer)
        )
        .select_related("case")
        .order_by("-declared_at", "-id")
    )
