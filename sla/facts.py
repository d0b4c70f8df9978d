"""The SLA record that nothing rewrites: breach facts and each clock's ledger of changes.

The clock sync and the SLA engine build these rows in memory while they change clocks and
save them in the same transaction (``facts_save``). Breaches are inserted once per clock cycle
(the unique constraint is the last word, so two writers never count one breach twice); ledger
entries are appended. Neither is ever updated or deleted by the application.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from escalation.bulk import objects_insert
from sla.models import CaseClock, ClockLedgerEntry, SlaBreach


def breach_fact(clock: CaseClock, *, now: datetime) -> SlaBreach:
    """The breach ``clock`` has just recorded (``breached_at`` set), under its policy as it is
    now, before any new target replaces it."""
    if clock.breached_at is None:
        raise ValueError(f"{clock} has no breach to record")
    policy = clock.policy
    return SlaBreach(
        case_id=clock.case_id,
        clock_kind=clock.kind,
        cycle=clock.cycle,
        attempt=clock.attempt,
        breached_at=clock.breached_at,
        recorded_at=now,
        policy_id=clock.policy_id,
        policy_name=str(policy) if policy is not None else "",
        calendar_name=policy.calendar.name if policy is not None else "",
        target_seconds=clock.target_seconds,
    )


def ledger_entry(clock: CaseClock, *, kind: str, at: datetime, cause: str) -> ClockLedgerEntry:
    policy = clock.policy
    return ClockLedgerEntry(
        case_id=clock.case_id,
        clock_kind=clock.kind,
        cycle=clock.cycle,
        attempt=clock.attempt,
        kind=kind,
        at=at,
        cause=cause[:200],
        policy_name=str(policy) if policy is not None else "",
        target_seconds=clock.target_seconds,
        due_at=clock.due_at,
    )


def facts_save(
    *, breaches: Iterable[SlaBreach] = (), entries: Iterable[ClockLedgerEntry] = ()
) -> None:
    """Insert new breach facts (a cycle's breach already on record stays as it was) and ledger
    entries: one statement each at most."""
    breaches = list(breaches)
    if breaches:
        objects_insert(breaches, ignore_conflicts=True)
    entries = list(entries)
    if entries:
        ClockLedgerEntry.objects.bulk_create(entries)
