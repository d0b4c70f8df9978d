"""SLA engine services. (Being built: see the SLA issue.)"""

from __future__ import annotations

from datetime import datetime

from cases.models import Case


def case_clocks_sync(*, case: Case, now: datetime) -> None:
    """Bring the case's SLA clocks in line with its current state.

    Contract: every case service calls this after it changed a case, inside its transaction,
    with the case row locked. It creates, pauses, resumes, stops or re-targets the clocks
    (response, resolution, update) from the case's severity, status, customer tier,
    first_response_at, last_customer_update_at and resolved_at, and saves ``case.next_due_at``.
    It is idempotent.
    """
