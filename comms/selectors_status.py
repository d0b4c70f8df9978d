"""Reads of the customer's status page: what the customer may see of a case, and nothing else.

The public timeline is built from an allow-list of event kinds (customer-facing updates and the
customer's own messages); every other kind, internal notes first, never reaches the page, and
only named fields of those events are passed on (no ``data`` wholesale, no reasons).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.http import Http404
from django.utils.translation import gettext as _

from cases.models import Case, CaseEvent, CustomerChannel, EventKind, Status
from cases.visibility import case_visible_to
from escalation.roles import AnyUser
from escalation.users import display_name
from sla.models import CaseClock, ClockKind

PUBLIC_KINDS = (EventKind.UPDATE, EventKind.CUSTOMER_MESSAGE)
# The sender of a status-page message when the case names no contact with an address; the page
# calls its writer "you".
ANONYMOUS_SENDER = "status page"


@dataclass(frozen=True)
class PublicEntry:
    """One entry of the public timeline: ``from_customer`` tells the customer's own messages
    from the support team's updates."""

    at: datetime
    from_customer: bool
    author: str
    via: str
    body: str
    files: tuple[str, ...] = ()


def _entry(event: CaseEvent) -> PublicEntry:
    if event.kind == EventKind.UPDATE:
        author = display_name(event.actor, nobody=_("Support team"))
        return PublicEntry(
            at=event.created_at, from_customer=False, author=author, via="", body=event.body
        )
    data = event.data if isinstance(event.data, dict) else {}
    via = str(data.get("via", ""))
    sender = str(data.get("sender") or event.to_value)
    files = tuple(
        str(item.get("name", "")) for item in data.get("attachments", []) if isinstance(item, dict)
    )
    return PublicEntry(
        at=event.created_at,
        from_customer=True,
        author=sender if sender != ANONYMOUS_SENDER else "you",
        via=str(CustomerChannel(via).label) if via in CustomerChannel.values else "",
        body=event.body,
        files=files,
    )


def status_page_timeline(*, case: Case) -> list[PublicEntry]:
    """The case's public timeline, oldest first (one query)."""
    events = (
        CaseEvent.objects.filter(case=case, kind__in=PUBLIC_KINDS)
        .select_related("actor")
        .only("created_at", "kind", "to_value", "body", "data", "actor")
        .order_by("created_at", "id")
    )
    return [_entry(event) for event in events]


def status_next_update_due(*, case: Case) -> datetime | None:
    """When the customer's next update is due: the deadline of the case's running, unpaused
    customer-update clock; None while the case waits on the customer, once it is finished, or
    when it has no such clock."""
    if case.status in Status.FINISHED or case.status == Status.WAITING:
        return None
    clock = (
        CaseClock.objects.filter(
            case=case, kind=ClockKind.UPDATE, stopped_at__isnull=True, paused_at__isnull=True
        )
        .only("due_at")
        .first()
    )
    return clock.due_at if clock is not None else None


def status_link_case(*, viewer: AnyUser, reference: str) -> Case:
    """The case whose status link a member of staff looks at; Http404 when there is no such case
    or the viewer may not see it."""
    pk = Case.pk_from_reference(reference)
    if pk is None:
        raise Http404("No such case.")
    try:
        return case_visible_to(viewer=viewer).only("pk", "status").get(pk=pk)
    except Case.DoesNotExist:
        raise Http404("No such case.") from None
