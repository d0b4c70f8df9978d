"""What the clocks of one escalation batch share (``sla.escalation``): the steps already on
record, the watchers and the rules' lookups, read once; the records, timeline events, clock
changes, reassignments, messages and breaches the batch produces, written together at its end
with a few statements for the whole batch (``Batch.finish``)."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any, NamedTuple

from django.contrib.auth.models import User
from django.db.models import Max

from cases.models import Case, CaseEvent, EventKind
from cases.services.assign_many import AssignerMark, CasesAssigner
from cases.timeline import event_build
from escalation.bulk import objects_insert, objects_update
from escalation.metrics import steps_committed
from sla.facts import facts_save
from sla.models import CaseClock, EscalationRecord, NotificationKind, SlaBreach
from sla.notifications import Message, Text, notifications_send, notifications_together
from sla.rules import Lookups, Rule, Target

# The fields of a clock the engine changes (sla.escalation); the clock sync owns the others.
ENGINE_FIELDS = (
    "warned_at",
    "breached_at",
    "breach_handled_at",
    "escalation_count",
    "reescalate_at",
    "dispatched_at",
    "climb_at",
    "climb_count",
)


class Mark(NamedTuple):
    """How much a batch held before a step (``Batch.mark``)."""

    records: int
    outbox: int
    breaches: int
    touched: int
    assigner: AssignerMark


class Batch:
    """What the clocks of one batch share, read once after the locks are held: the steps
    already recorded, the watchers, and the rules' lookups. New records are inserted together
    when the batch ends."""

    def __init__(self, case_ids: list[int]) -> None:
        self.lookups = Lookups()
        self.case_ids = case_ids
        self.recorded: set[tuple[int, str, int, str]] = set()
        # When each case was last escalated or climbed: the acknowledge window's start.
        self.escalated_at: dict[int, datetime] = {}
        for case_id, kind, cycle, step, at in EscalationRecord.objects.filter(
            case_id__in=case_ids
        ).values_list("case_id", "clock_kind", "cycle", "step", "created_at"):
            self.recorded.add((case_id, kind, cycle, step))
            if step != "warning":
                self.escalated_at[case_id] = max(at, self.escalated_at.get(case_id, at))
        self._acted: dict[int, datetime] | None = None
        self.watchers: dict[int, list[Any]] = defaultdict(list)
        links = Case.watchers.through.objects.filter(case_id__in=case_ids)
        for link in links.select_related("user"):
            self.watchers[link.case_id].append(link.user)
        self.records: list[EscalationRecord] = []
        self.outbox: list[Message] = []
        self.breaches: list[SlaBreach] = []
        self.assigner = CasesAssigner(event_kind=EventKind.ESCALATED)
        self.touched: dict[int, CaseClock] = {}

    def event(self, **fields: Any) -> None:
        """A timeline event (``cases.timeline.event_build``'s fields), written at the end in
        order with the reassignments' events."""
        self.assigner.timeline.append(event_build(**fields))

    def touch(self, clock: CaseClock) -> None:
        """Save the clock's engine fields at the end (before the clocks are re-synced)."""
        self.touched[clock.pk] = clock

    def notify(
        self, *, recipients: list[User | None], case: Case, kind: NotificationKind, subject: Text
    ) -> None:
        """Tell people; the rows and mail of the whole batch go out together at its end."""
        self.outbox.append(
            Message(
                recipients=recipients,
                kind=kind,
                subject=subject,
                body=f"{case.reference} {case.title}",
                case=case,
            )
        )

    def acted_since_escalation(self, case: Case) -> bool:
        """Whether a person has acted on the case (any timeline event with an actor: an
        acknowledgement, a note, a customer update, a status change, an assignment...) since
        its last escalation or climb: what stops the ladder. Read for the whole batch, once,
        when the first climb comes due."""
        if self._acted is None:
            self._acted = dict(
                CaseEvent.objects.filter(case_id__in=self.case_ids, actor__isnull=False)
                .values("case_id")
                .annotate(last=Max("created_at"))
                .values_list("case_id", "last")
            )
        since = self.escalated_at.get(case.pk)
        last = self._acted.get(case.pk)
        return since is not None and last is not None and last >= since

    def mark(self) -> Mark:
        return Mark(
            len(self.records),
            len(self.outbox),
            len(self.breaches),
            len(self.touched),
            self.assigner.mark(),
        )

    def undo_since(self, mark: Mark, *, cases: list[Case]) -> None:
        """Forget what a step that failed added since ``mark`` (nothing of it was written; the
        caller restores the fields of its clocks and ``cases``)."""
        for record in self.records[mark.records :]:
            self.recorded.discard((record.case_id, record.clock_kind, record.cycle, record.step))
        del self.records[mark.records :]
        del self.outbox[mark.outbox :]
        del self.breaches[mark.breaches :]
        for pk in list(self.touched)[mark.touched :]:
            del self.touched[pk]
        self.assigner.undo_since(mark.assigner, cases=cases)

    def finish(self) -> None:
        """Write what the batch did, in the order of the single-case services, a few statements
        for the whole batch: the escalation records first (their unique constraint is the last
        word on each step), the clocks' engine fields, the timeline and the reassignments (the
        clocks re-synced and the new owners told, ``CasesAssigner.save``), the notifications
        and their mail, the breach facts."""
        steps_committed(records=self.records, clocks=self.touched.values())
        objects_insert(self.records)
        objects_update(list(self.touched.values()), ENGINE_FIELDS)
        with notifications_together():  # the new owners' (CaseAssigned) and the batch's own
            self.assigner.save()
            notifications_send(self.outbox)
        facts_save(breaches=self.breaches)
        self.records, self.outbox, self.breaches, self.touched = [], [], [], {}

    def record(
        self,
        case: Case,
        clock: CaseClock,
        *,
        step: str,
        rule: Rule,
        now: datetime,
        target: Target | None = None,
    ) -> bool:
        """Note this step as taken; False if it was taken before."""
        key = (case.pk, clock.kind, clock.cycle, step)
        if key in self.recorded:
            return False
        self.recorded.add(key)
        if step != "warning":
            self.escalated_at[case.pk] = now
        self.records.append(
            EscalationRecord(
                case_id=case.pk,
                clock_kind=clock.kind,
                cycle=clock.cycle,
                step=step,
                rule=rule,
                created_at=now,
                from_team_id=case.team_id,
                from_owner_id=case.owner_id,
                to_team_id=target.team.pk if target and target.team else None,
                to_owner_id=target.owner.pk if target and target.owner else None,
            )
        )
        return True
