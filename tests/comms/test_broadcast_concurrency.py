"""Two workers given the same batch of a broadcast at once (a task delivered twice, a
re-dispatch racing a slow worker): each child gets the update once, one mail, counted once."""

from __future__ import annotations

from collections import Counter

import pytest

from cases.models import CaseEvent, EventKind, Status
from comms import broadcast as broadcasting
from comms.broadcast import broadcast_start, broadcast_targets_deliver
from comms.models import Broadcast, BroadcastState, BroadcastTarget, Delivery
from sla.models import OutgoingMail
from tests.cases.factories import case_in
from tests.factories import ContactFactory
from tests.threads import in_threads

pytestmark = pytest.mark.django_db(transaction=True)


def test_two_runs_of_the_same_batch_at_once_post_each_update_once(
    service_desk, bob, monkeypatch
) -> None:
    monkeypatch.setattr(broadcasting, "broadcast_dispatch", lambda ids: None)
    monkeypatch.setattr("sla.outbox.mail_dispatch", lambda ids: None)
    parent = case_in(Status.IN_PROGRESS, team=service_desk)
    children = []
    for _ in range(30):
        child = case_in(Status.IN_PROGRESS, team=service_desk, parent=parent)
        child.contact = ContactFactory(customer=child.customer)
        child.save(update_fields=["contact"])
        children.append(child)
    sent = broadcast_start(parent=parent, author=bob, body="Fixed at 10:40.")
    batch = list(sent.targets.values_list("pk", flat=True))

    errors = in_threads(
        lambda: broadcast_targets_deliver(target_ids=batch),
        lambda: broadcast_targets_deliver(target_ids=list(reversed(batch))),
    )

    assert errors == []
    per_child = Counter(
        CaseEvent.objects.filter(case__in=children, kind=EventKind.UPDATE).values_list(
            "case_id", flat=True
        )
    )
    once = Counter({c.pk: 1 for c in children})
    assert per_child == once
    deliveries = Delivery.objects.filter(case__in=children)
    assert Counter(deliveries.values_list("case_id", flat=True)) == once
    assert OutgoingMail.objects.filter(deliveries__case__in=children).count() == len(children)
    assert set(BroadcastTarget.objects.values_list("state", flat=True)) == {BroadcastState.SENT}
    sent = Broadcast.objects.get()
    assert (sent.done, sent.total) == (30, 30) and sent.finished_at is not None
