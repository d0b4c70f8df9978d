"""Writing to a case's timeline: the one way every app records what happened to a case."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from django.utils import timezone

from cases.models import Case, CaseEvent, EventKind


def event_record(
    *,
    case: Case,
    actor: User | None,
    kind: EventKind,
    from_value: str = "",
    to_value: str = "",
    reason: str = "",
    body: str = "",
    data: dict[str, Any] | None = None,
) -> CaseEvent:
    """Append one event. ``actor`` None means the system (SLA engine, scheduled tasks).

    Call it inside the transaction that makes the change, so the change and its record
    commit or roll back together.
    """
    return CaseEvent.objects.create(
        case=case,
        actor=actor,
        kind=kind,
        from_value=str(from_value)[:200],
        to_value=str(to_value)[:200],
        reason=reason,
        body=body,
        data=data or {},
        created_at=timezone.now(),
    )
