"""What the clocks of one escalation batch share (``sla.escalation``): the steps already on
record, the watchers and the rules' lookups, read once; the records, messages and breaches the
batch produces, saved together at its end."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

from django.contrib.auth.models import User

from cases.models import Case
from sla.facts import facts_save
from sla.models import CaseClock, EscalationRecord, NotificationKind, SlaBreach
from sla.notifications import Message, notifications_send
from sla.rules import Lookups, Rule, Target


class Batch:
    """What the clocks of one batch share, read once after the locks are held: the steps
    already recorded, the watchers, and the rules' lookups. New records are inserted together
    when the batch ends."""

    def __init__(self, case_ids: list[int]) -> None:
        self.lookups = Lookups()
        self.recorded = set(
            EscalationRecord.objects.filter(case_id__in=case_ids).values_list(
                "case_id", "clock_kind", "cycle", "step"
            )
        )
        self.watchers: dict[int, list[Any]] = defaultdict(list)
        links = Case.watchers.through.objects.filter(case_id__in=case_ids)
        for link in links.select_related("user"):
            self.watchers[link.case_id].append(link.user)
        self.records: list[EscalationRecord] = []
        self.outbox: list[Message] = []
        self.breaches: list[SlaBreach] = []

    def notify(
        self, *, recipients: list[User | None], case: Case, kind: NotificationKind, subject: str
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

    def mark(self) -> tuple[int, int, int]:
        return len(self.records), len(self.outbox), len(self.breaches)

    def undo_since(self, mark: tuple[int, int, int]) -> None:
        """Forget the records, messages and breaches of a step that failed."""
        records, outbox, breaches = mark
        for record in self.records[records:]:
            self.recorded.discard((record.case_id, record.clock_kind, record.cycle, record.step))
        del self.records[records:]
        del self.outbox[outbox:]
        del self.breaches[breaches:]

    def finish(self) -> None:
        notifications_send(self.outbox)
        EscalationRecord.objects.bulk_create(self.records)
        facts_save(breaches=self.breaches)

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
                to_team=target.team if target else None,
                to_owner=target.owner if target else None,
            )
        )
        return True
