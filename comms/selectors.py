"""Reads of comms' outgoing side: a case's CC contacts, its updates' deliveries and their state,
the reply templates a writer may choose from."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.http import Http404

from cases.models import Case, CaseEvent, Contact, EventKind
from cases.permissions import user_team_ids
from cases.visibility import case_visible_to
from comms.models import CaseCc, Delivery, ReplyTemplate
from escalation.roles import AnyUser, is_manager
from sla.models import MailStatus


class DeliveryState:
    """What the timeline says of one delivery (the state of its outbox row)."""

    SENT = "sent"
    SENDING = "sending"
    RETRYING = "retrying"
    FAILED = "failed"

    LABELS = {
        SENT: "delivered",
        SENDING: "sending",
        RETRYING: "failed, retrying",
        FAILED: "failed",
    }


@dataclass(frozen=True)
class DeliveryView:
    """One recipient of an update as the case page shows it."""

    pk: int
    event_id: int
    mail_id: int
    recipient: str
    cc: bool
    state: str
    error: str

    @property
    def label(self) -> str:
        return DeliveryState.LABELS[self.state]

    @property
    def failed(self) -> bool:
        return self.state in (DeliveryState.RETRYING, DeliveryState.FAILED)

    @property
    def pending(self) -> bool:
        """Not settled yet: the outbox is still sending or will try again."""
        return self.state in (DeliveryState.SENDING, DeliveryState.RETRYING)


def _state(status: str, attempts: int) -> str:
    if status == MailStatus.SENT:
        return DeliveryState.SENT
    if status == MailStatus.FAILED:
        return DeliveryState.FAILED
    # A row being sent counts its current try among its attempts.
    failed_tries = attempts - 1 if status == MailStatus.SENDING else attempts
    return DeliveryState.RETRYING if failed_tries > 0 else DeliveryState.SENDING


def _views(deliveries: QuerySet[Delivery]) -> list[DeliveryView]:
    rows = deliveries.values_list(
        "pk",
        "event_id",
        "mail_id",
        "recipient",
        "cc",
        "mail__status",
        "mail__attempts",
        "mail__last_error",
    )
    return [
        DeliveryView(
            pk=pk,
            event_id=event_id,
            mail_id=mail_id,
            recipient=recipient,
            cc=cc,
            state=_state(status, attempts),
            error=error if status != MailStatus.SENT else "",
        )
        for pk, event_id, mail_id, recipient, cc, status, attempts, error in rows
    ]


def deliveries_by_update(*, events: Iterable[CaseEvent]) -> dict[int, list[DeliveryView]]:
    """The deliveries of the updates among ``events``, by event id, the contact first: one
    query for the whole timeline, none without updates."""
    ids = [e.pk for e in events if e.kind == EventKind.UPDATE]
    found: defaultdict[int, list[DeliveryView]] = defaultdict(list)
    if not ids:
        return found
    for view in _views(Delivery.objects.filter(event_id__in=ids).order_by("event_id", "cc", "id")):
        found[view.event_id].append(view)
    return found


def update_deliveries(*, case: Case, event_id: int) -> list[DeliveryView]:
    """The deliveries of one update of ``case``, the contact first. One query."""
    return _views(Delivery.objects.filter(case=case, event_id=event_id).order_by("cc", "id"))


def case_failed_deliveries(*, case: Case) -> list[DeliveryView]:
    """The case's deliveries that failed (for good, or waiting for their next try), newest
    first. One query."""
    failing = (
        Q(mail__status=MailStatus.FAILED)
        | Q(mail__status=MailStatus.PENDING, mail__attempts__gt=0)
        | Q(mail__status=MailStatus.SENDING, mail__attempts__gt=1)
    )
    return _views(Delivery.objects.filter(failing, case=case).order_by("-created_at", "-id"))


def case_cc_contacts(*, case: Case) -> list[CaseCc]:
    return list(CaseCc.objects.filter(case=case).select_related("contact"))


def case_cc_candidates(*, case: Case) -> QuerySet[Contact]:
    """The customer's contacts with an address that could be added as CC: not the case's
    contact, not already CC."""
    return (
        Contact.objects.filter(customer_id=case.customer_id)
        .exclude(email="")
        .exclude(pk=case.contact_id or 0)
        .exclude(cc_cases__case=case)
        .order_by("name", "pk")
    )


def case_for_comms(*, viewer: AnyUser, reference: str) -> Case:
    """The case with what comms' panels show of it; Http404 when there is none or the viewer
    may not see it (indistinguishable on purpose)."""
    pk = Case.pk_from_reference(reference)
    if pk is None:
        raise Http404("No such case.")
    case = (
        case_visible_to(viewer=viewer)
        .select_related("customer", "contact", "owner")
        .filter(pk=pk)
        .first()
    )
    if case is None:
        raise Http404("No such case.")
    return case


def reply_templates_for(*, viewer: AnyUser, case: Case) -> QuerySet[ReplyTemplate]:
    """The templates offered in ``case``'s update box: every team's, the case's team's and
    the viewer's teams'."""
    teams = set(user_team_ids(viewer))
    if case.team_id is not None:
        teams.add(case.team_id)
    return ReplyTemplate.objects.filter(Q(team=None) | Q(team__in=teams)).select_related("team")


def reply_templates_managed(*, viewer: AnyUser) -> QuerySet[ReplyTemplate]:
    """Every template, for the managers' page (none for anyone else)."""
    if not is_manager(viewer):
        return ReplyTemplate.objects.none()
    return ReplyTemplate.objects.select_related("team", "updated_by").order_by(
        "team__name", "name", "pk"
    )
