"""Assigning many cases at once, set-based: ``case_assign``'s rules, checks, timeline events and
announcements, written with a few statements for the whole set instead of a handful per case.

For a caller that already holds the row locks of the cases in its transaction (the SLA engine's
batches): no lock, savepoint or query per case.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

from django.contrib.auth.models import User
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.events import CaseAssigned, CaseChanged, announce_many
from cases.models import Case, CaseEvent, EventKind, Team
from cases.services.common import require_not_closed
from cases.services.triage import (
    _assign_check,
    _assignment_target,
    assignment_event,
)
from cases.timeline import event_build, events_save
from escalation.bulk import objects_update
from escalation.text import REASON_MAX, text_clean

ASSIGNED_FIELDS = ("owner", "team", "level", "updated_at")
_ASSIGNED = frozenset(ASSIGNED_FIELDS)


class AssignerMark(NamedTuple):
    """How much a ``CasesAssigner`` held at a moment (``mark``)."""

    events: int
    assigned: int
    changed: frozenset[int]


class CasesAssigner:
    """``case_assign`` by the system (``by`` None) for many cases locked by the caller.

    ``assign`` checks and applies one assignment in memory (a refusal raises ``DomainError``
    and changes nothing) and adds its event to ``timeline``, where the caller may add its own
    events in order; ``save`` writes them all: the timeline (one insert), the cases (one
    update per distinct target, see ``escalation.bulk``), then announces ``CaseChanged`` and
    ``CaseAssigned`` for the set (``cases.events.announce_many``).
    """

    def __init__(self, *, event_kind: EventKind = EventKind.ASSIGNED) -> None:
        self.event_kind = event_kind
        self.timeline: list[CaseEvent] = []
        self._changed: dict[int, Case] = {}
        self._assigned: list[CaseAssigned] = []
        # Translated once for the set, not once per case.
        self._labels = (_("Reason"), _("reassigned"))

    def mark(self) -> AssignerMark:
        return AssignerMark(len(self.timeline), len(self._assigned), frozenset(self._changed))

    def undo_since(self, mark: AssignerMark, *, cases: Sequence[Case]) -> None:
        """Forget what was added since ``mark`` (a step that failed before anything was
        written); the caller restores the fields of ``cases``, the cases that step changed."""
        del self.timeline[mark.events :]
        del self._assigned[mark.assigned :]
        for case in cases:
            if case.pk not in mark.changed:
                self._changed.pop(case.pk, None)

    def assign(
        self,
        *,
        case: Case,
        owner: User | None = None,
        team: Team | None = None,
        level: str | None = None,
        reason: str,
        data: dict[str, Any] | None = None,
    ) -> Case:
        """Give the locked ``case`` to ``owner`` and/or ``team`` as ``case_assign`` would; the
        case, changed in memory."""
        reason = text_clean(
            reason, field="reason", label=self._labels[0], max_length=REASON_MAX, required=True
        )
        _assign_check(owner=owner, team=team, level=level)
        require_not_closed(case, self._labels[1])
        old_owner, old_team, old_level = case.owner, case.team, case.level
        new_owner, new_team, new_level = _assignment_target(
            case, owner=owner, team=team, level=level
        )
        now = timezone.now()
        case.owner, case.team, case.level = new_owner, new_team, new_level
        case.updated_at = now
        self.timeline.append(
            event_build(
                **assignment_event(
                    case,
                    by=None,
                    kind=self.event_kind,
                    was=(old_owner, old_team, old_level),
                    reason=reason,
                    data=data,
                )
            )
        )
        self._changed[case.pk] = case
        if new_owner is not None and case.owner_id != (old_owner.pk if old_owner else None):
            self._assigned.append(
                CaseAssigned(
                    case=case,
                    at=now,
                    by=None,
                    owner=new_owner,
                    reason=reason,
                    escalated=self.event_kind == EventKind.ESCALATED,
                )
            )
        return case

    def save(self) -> None:
        """Write the timeline and the assignments, then announce them (in the caller's
        transaction)."""
        events_save(self.timeline)
        cases = list(self._changed.values())
        objects_update(cases, ASSIGNED_FIELDS)
        announce_many(
            CaseChanged,
            [CaseChanged(case=c, at=c.updated_at, fields=_ASSIGNED) for c in cases],
        )
        announce_many(CaseAssigned, self._assigned)
        self.timeline, self._changed, self._assigned = [], {}, []
