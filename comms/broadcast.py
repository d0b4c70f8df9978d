"""One update written once and posted on many cases: a major incident's update to every child.

``broadcast_start`` (the person's action, one transaction):

1. Checks the author may work the parent (a manager, its owner, its team's operators) and the
   text (``text_clean``), and locks the parent.
2. Posts the update on the parent itself as a customer-facing update (``case_add_note``: its
   contact is mailed, its update clock restarts), and records on the parent's timeline that it
   goes to N affected cases.
3. Creates the ``Broadcast`` and one pending ``BroadcastTarget`` per open child, with one
   INSERT for all of them, and after commit hands the target ids to workers in batches of
   ``BATCH`` (task ``comms.tasks.broadcast_deliver``).

``broadcast_targets_deliver`` (the worker), a batch in one transaction:

1. Claims the batch's pending targets: ``SELECT ... FOR UPDATE SKIP LOCKED`` on the target
   rows only, still ``pending``. A second run of the same batch (a task delivered twice, a
   re-dispatch, two workers) skips the rows the first holds and, once it committed, finds them
   sent; a worker killed mid-batch rolls back with its claims, posts, mail and count, and the
   targets stay pending for the sweep. Nothing is half done, nothing done twice.
2. Posts the update on each child through the service people use (``case_add_note``,
   customer-facing): one timeline event, ``CustomerUpdatePosted`` announced, so the child's
   contacts are mailed through the outbox (``comms.outgoing``) and its update clock restarts.
   The author posts it where they may contribute to the child, the system elsewhere (the
   incident's other teams' cases).
3. A child the service refuses (closed since) gets an internal note with the text and why it
   was not mailed; a child whose contacts have no address gets the update with no mail. Either
   is ``skipped``, with the reason.
4. Saves the targets' outcomes (one UPDATE) and counts them into ``Broadcast.done`` (an F
   expression, last, so the broadcast's row is locked only for the commit); the last batch
   stamps ``finished_at``. One commit per batch, not per child: on this disk a commit is a
   WAL flush.

``broadcasts_redispatch`` (beat, the safety net after a lost task): targets still pending
``COMMS_BROADCAST_REDISPATCH_SECONDS`` after they were handed out are handed out again.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Case as SqlCase
from django.db.models import F, QuerySet, Value, When
from django.utils import timezone

from cases.models import Case, CaseEvent, EventKind, Status
from cases.permissions import can_contribute, can_work
from cases.services import case_add_note
from cases.services.common import case_lock, case_touch_and_sync
from cases.timeline import event_record
from comms.models import Broadcast, BroadcastState, BroadcastTarget, Delivery
from escalation.celery import app
from escalation.errors import DomainError
from escalation.text import TEXT_MAX, text_clean

BROADCAST_TASK = "comms.tasks.broadcast_deliver"
# Targets per task: enough to keep a task's overhead small, few enough that 500 children spread
# over every worker process.
BATCH = 25
REDISPATCH_LIMIT = 5_000
NO_ADDRESS = "No contact of this case has an email address: on the timeline, not mailed."


def broadcast_start(
    *, parent: Case, author: User, body: str, children: QuerySet[Case] | None = None
) -> Broadcast:
    """Post ``body`` on ``parent`` and hand it out to each open case of ``children`` (None: the
    parent's children), as the module docstring says."""
    if not can_work(author, parent):
        raise PermissionDenied("Only those who work this case may send its update.")
    body = text_clean(body, field="body", label="The update", max_length=TEXT_MAX, required=True)
    with transaction.atomic():
        parent = case_lock(parent)
        source = parent.children.all() if children is None else children
        child_ids = list(
            source.filter(status__in=Status.OPEN)
            .exclude(pk=parent.pk)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        if not child_ids:
            raise DomainError(
                f"{parent.reference} has no open affected cases to send the update to.",
                field="body",
            )
        update = case_add_note(case=parent, by=author, body=body, customer_facing=True)
        now = timezone.now()
        broadcast = Broadcast.objects.create(
            parent=parent,
            author=author,
            body=body,
            parent_event=update,
            created_at=now,
            total=len(child_ids),
        )
        targets = BroadcastTarget.objects.bulk_create(
            BroadcastTarget(broadcast=broadcast, case_id=case_id, dispatched_at=now)
            for case_id in child_ids
        )
        count = len(child_ids)
        event_record(
            case=parent,
            actor=author,
            kind=EventKind.INCIDENT,
            to_value=f"Update sent to {count} affected case{'s' if count != 1 else ''}",
            data={"broadcast": broadcast.pk, "update": update.pk, "total": count},
        )
        target_ids = [t.pk for t in targets]
        # Robust: with the broker down the update still commits; the sweep hands it out later.
        transaction.on_commit(lambda: broadcast_dispatch(target_ids), robust=True)
    return broadcast


def broadcast_dispatch(target_ids: Sequence[int]) -> None:
    """Hand target ids to the workers, ``BATCH`` per task."""
    for start in range(0, len(target_ids), BATCH):
        app.send_task(BROADCAST_TASK, args=[list(target_ids[start : start + BATCH])])


@dataclass
class DeliverResult:
    sent: int = 0
    skipped: int = 0
    # Already handled by another run, or gone.
    passed: int = 0


def broadcast_targets_deliver(*, target_ids: Sequence[int]) -> DeliverResult:
    """Post each pending target's update on its case, each once, in one transaction (see the
    module docstring). Targets another run handled or holds, and ids that are gone, are passed
    over."""
    result = DeliverResult()
    with transaction.atomic():
        targets = list(
            BroadcastTarget.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(pk__in=target_ids, state=BroadcastState.PENDING)
            .select_related("case", "broadcast__author", "broadcast__parent")
            .order_by("pk")
        )
        now = timezone.now()
        # One instance per broadcast, so its author's roles and teams are read once a batch.
        broadcasts: dict[int, Broadcast] = {}
        counted: Counter[int] = Counter()
        for target in targets:
            broadcast = broadcasts.setdefault(target.broadcast_id, target.broadcast)
            _target_post(target=target, broadcast=broadcast, now=now)
            counted[broadcast.pk] += 1
            if target.state == BroadcastState.SENT:
                result.sent += 1
            else:
                result.skipped += 1
        BroadcastTarget.objects.bulk_update(targets, ["state", "reason", "event", "done_at"])
        # Last, so each broadcast's row is locked only for the commit.
        for broadcast_id, count in sorted(counted.items()):
            Broadcast.objects.filter(pk=broadcast_id).update(
                done=F("done") + count,
                finished_at=SqlCase(
                    When(done__gte=F("total") - count, then=Value(now)),
                    default=F("finished_at"),
                ),
            )
    result.passed = len(set(target_ids)) - len(targets)
    return result


def _target_post(*, target: BroadcastTarget, broadcast: Broadcast, now: datetime) -> None:
    """Post the update on the claimed ``target``'s case and set its outcome (not saved)."""
    child = target.case
    author = broadcast.author
    by = author if author.is_active and can_contribute(author, child) else None
    target.state, target.reason, target.done_at = BroadcastState.SENT, "", now
    try:
        target.event = case_add_note(case=child, by=by, body=broadcast.body, customer_facing=True)
    except DomainError as refusal:
        target.state, target.reason = BroadcastState.SKIPPED, refusal.message[:300]
        target.event = _not_sent_record(
            case=child, by=by, broadcast=broadcast, reason=refusal.message, now=now
        )
        return
    if not Delivery.objects.filter(event=target.event).exists():
        target.state, target.reason = BroadcastState.SKIPPED, NO_ADDRESS


def _not_sent_record(
    *, case: Case, by: User | None, broadcast: Broadcast, reason: str, now: datetime
) -> CaseEvent:
    """The update on the timeline of a case that may not be updated (closed): an internal note
    with its text and why the customer was not told."""
    case = case_lock(case)
    note = event_record(
        case=case,
        actor=by,
        kind=EventKind.NOTE,
        reason=f"Update of {broadcast.parent.reference}, not sent to the customer: {reason}",
        body=broadcast.body,
        data={"broadcast": broadcast.pk},
    )
    case_touch_and_sync(case, now=now, fields=[])
    return note


def broadcasts_redispatch(*, now: datetime) -> int:
    """Hand out again the targets still pending ``COMMS_BROADCAST_REDISPATCH_SECONDS`` after
    they were handed out (their task was lost: a worker killed, a broker flushed); how many.

    Claimed with ``SKIP LOCKED`` and stamped in one transaction, so two sweeps hand out each
    once, and a target a worker is posting right now (its row locked by the claim) is left to
    it."""
    stale = now - timedelta(seconds=settings.COMMS_BROADCAST_REDISPATCH_SECONDS)
    with transaction.atomic():
        ids = list(
            BroadcastTarget.objects.select_for_update(skip_locked=True)
            .filter(state=BroadcastState.PENDING, dispatched_at__lte=stale)
            .order_by("dispatched_at", "pk")
            .values_list("pk", flat=True)[:REDISPATCH_LIMIT]
        )
        if ids:
            BroadcastTarget.objects.filter(pk__in=ids).update(dispatched_at=now)
            transaction.on_commit(lambda: broadcast_dispatch(ids), robust=True)
    return len(ids)
