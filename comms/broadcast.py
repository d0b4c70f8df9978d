"""One update written once and posted on many cases: a major incident's update to every child.

``broadcast_start`` (the person's action, one transaction):

1. Checks the author may work the parent (a manager, its owner, its team's operators) and the
   text (``text_clean``), and locks the parent.
2. Posts the update on the parent itself as a customer-facing update (``case_add_note``: its
   contact is mailed, its update clock restarts), and records on the parent's timeline that it
   goes to N affected cases.
3. Creates the ``Broadcast`` and one pending ``BroadcastTarget`` per open child, with one
   INSERT for all of them, and after commit hands the target ids to workers in batches of
   ``BATCH`` (task ``comms.tasks.broadcast_deliver``). With no open child the update is
   posted on the parent alone ("no open affected cases") and the broadcast is finished.

``broadcast_targets_deliver`` (the worker), a batch in one transaction:

1. Claims the batch's pending targets: ``SELECT ... FOR UPDATE SKIP LOCKED`` on the target
   rows only, still ``pending``. A second run of the same batch (a task delivered twice, a
   re-dispatch, two workers) skips the rows the first holds and, once it committed, finds them
   sent; a worker killed mid-batch rolls back with its claims, posts, mail and count, and the
   targets stay pending for the sweep. Nothing is half done, nothing done twice.
2. Posts the update on the batch's children through the set-based form of the service people
   use (``cases.services.triage.cases_add_customer_updates``, the checks and effects of
   ``case_add_note(customer_facing=True)``): one INSERT of the timeline events, one UPDATE of
   the cases, ``CaseChanged`` and ``CustomerUpdatePosted`` announced for the set, so the
   clocks re-align (``sla.services.cases_clocks_sync``) and the contacts' mail is queued
   (``comms.outgoing.updates_mail_queue``) once per batch, not once per child. The author
   posts it where they may contribute to the child, the system elsewhere (the incident's
   other teams' cases).
3. A child the service refuses (closed since) gets an internal note with the text and why it
   was not mailed; a child whose contacts have no address gets the update with no mail. Either
   is ``skipped``, with the reason. Anything else raised (a bug, bad data) rolls back the
   batch's posts to a savepoint and each target is posted again alone, in a savepoint of its
   own: the one that fails alone is ``failed``, with the error, logged with its case's
   reference and shown on the parent's panel, and not handed out again; the others go out.
   The database's own errors (``RETRIED``) are left to the task's retry instead.
4. Saves the targets' outcomes (one UPDATE) and counts them into ``Broadcast.done`` (an F
   expression, last, so the broadcast's row is locked only for the commit); the last batch
   stamps ``finished_at``. One commit per batch, not per child: on this disk a commit is a
   WAL flush.

``broadcasts_redispatch`` (beat, the safety net after a lost task): targets still pending
``COMMS_BROADCAST_REDISPATCH_SECONDS`` after they were handed out are handed out again.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import groupby

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.db import InterfaceError, OperationalError, transaction
from django.db.models import Case as SqlCase
from django.db.models import F, QuerySet, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.models import Case, CaseEvent, EventKind, Status
from cases.permissions import can_contribute, can_work
from cases.services import case_add_note
from cases.services.common import case_lock, case_touch_and_sync
from cases.services.triage import CustomerUpdate, cases_add_customer_updates
from cases.timeline import event_record
from comms.models import Broadcast, BroadcastState, BroadcastTarget, Delivery
from escalation.celery import app
from escalation.errors import DomainError
from escalation.text import TEXT_MAX, text_clean

logger = logging.getLogger(__name__)

BROADCAST_TASK = "comms.tasks.broadcast_deliver"
# The database's own trouble (a lost connection, a deadlock): the task's retry runs the batch
# again, so these are not a target's failure.
RETRIED = (OperationalError, InterfaceError)
# Targets per task: enough to keep a task's overhead small, few enough that 500 children spread
# over every worker process.
BATCH = 25
REDISPATCH_LIMIT = 5_000
NO_ADDRESS = "No contact of this case has an email address: on the timeline, not mailed."
NO_CHILDREN = "Update posted on this case only: no open affected cases"


def broadcast_start(
    *, parent: Case, author: User, body: str, children: QuerySet[Case] | None = None
) -> Broadcast:
    """Post ``body`` on ``parent`` and hand it out to each open case of ``children`` (None: the
    parent's children), as the module docstring says."""
    if not can_work(author, parent):
        raise PermissionDenied(_("Only those who work this case may send its update."))
    body = text_clean(body, field="body", label=_("The update"), max_length=TEXT_MAX, required=True)
    with transaction.atomic():
        parent = case_lock(parent)
        source = parent.children.all() if children is None else children
        child_ids = list(
            source.filter(status__in=Status.OPEN)
            .exclude(pk=parent.pk)
            .order_by("pk")
            .values_list("pk", flat=True)
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
            # Nothing to hand out: done as soon as it is posted on the parent.
            finished_at=None if child_ids else now,
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
            to_value=(
                f"Update sent to {count} affected case{'s' if count != 1 else ''}"
                if count
                else NO_CHILDREN
            ),
            data={"broadcast": broadcast.pk, "update": update.pk, "total": count},
        )
        target_ids = [t.pk for t in targets]
        if not target_ids:
            return broadcast
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
    failed: int = 0
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
            .order_by("broadcast_id", "pk")
        )
        now = timezone.now()
        # One instance per broadcast, so its author's roles and teams are read once a batch.
        broadcasts: dict[int, Broadcast] = {}
        for target in targets:
            target.broadcast = broadcasts.setdefault(target.broadcast_id, target.broadcast)
        try:
            with transaction.atomic():
                # One broadcast at a time: a case has one target in each (a re-dispatch may
                # mix broadcasts in a batch).
                for _, group in groupby(targets, key=lambda t: t.broadcast_id):
                    _targets_post(targets=list(group), now=now)
        except RETRIED:
            raise
        except Exception:
            # Something unexpected (not a refusal) in one target would roll the whole batch
            # back, and the sweep would hand it out again for ever: each target alone instead.
            logger.warning(
                "broadcast batch of %d targets failed; posting them one by one",
                len(targets),
                exc_info=True,
            )
            for target in targets:
                _target_post_alone(target=target, now=now)
        counted: Counter[int] = Counter()
        for target in targets:
            counted[target.broadcast_id] += 1
            if target.state == BroadcastState.SENT:
                result.sent += 1
            elif target.state == BroadcastState.FAILED:
                result.failed += 1
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


def _target_post_alone(*, target: BroadcastTarget, now: datetime) -> None:
    """Post one target in a savepoint of its own; one that fails even alone is marked failed
    with the error (logged with the case's reference) and is not handed out again."""
    try:
        with transaction.atomic():
            _targets_post(targets=[target], now=now)
    except RETRIED:
        raise
    except Exception as error:
        logger.exception(
            "broadcast %s: the update could not be posted on %s",
            target.broadcast_id,
            target.case.reference,
        )
        target.state, target.event, target.done_at = BroadcastState.FAILED, None, now
        target.reason = f"Not posted, an error: {type(error).__name__}: {error}"[:300]


def _targets_post(*, targets: Sequence[BroadcastTarget], now: datetime) -> None:
    """Post the update of the claimed ``targets`` (of one broadcast) on their cases, set-based
    (``cases_add_customer_updates``), and set their outcomes (not saved)."""
    updates = [
        CustomerUpdate(case=t.case, by=_poster(t.broadcast, t.case), body=t.broadcast.body)
        for t in targets
    ]
    outcomes = cases_add_customer_updates(updates=updates)
    posted = [o.pk for o in outcomes.values() if isinstance(o, CaseEvent)]
    mailed = set(Delivery.objects.filter(event__in=posted).values_list("event_id", flat=True))
    for target, update in zip(targets, updates, strict=True):
        outcome = outcomes[target.case_id]
        target.done_at = now
        if isinstance(outcome, DomainError):
            target.state, target.reason = BroadcastState.SKIPPED, outcome.message[:300]
            target.event = _not_sent_record(
                case=target.case,
                by=update.by,
                broadcast=target.broadcast,
                reason=outcome.message,
                now=now,
            )
        elif outcome.pk in mailed:
            target.state, target.reason, target.event = BroadcastState.SENT, "", outcome
        else:
            target.state, target.reason, target.event = BroadcastState.SKIPPED, NO_ADDRESS, outcome


def _poster(broadcast: Broadcast, child: Case) -> User | None:
    """Who posts on ``child``: the author where they may contribute, else the system."""
    author = broadcast.author
    return author if author.is_active and can_contribute(author, child) else None


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
