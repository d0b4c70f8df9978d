"""SLA configuration (calendars, policies) and the per-case clocks the engine keeps.

One module a subject; every model is importable from ``sla.models`` as before.
"""

from __future__ import annotations

from sla.models.clocks import CaseClock, ClockKind, ClockLedgerEntry, LedgerKind, SlaBreach
from sla.models.config import BusinessCalendar, Holiday, SlaPolicy, Weekday, WorkingHours
from sla.models.drafts import DraftKind, DraftState, ReplayState, SlaDraft, WhatIfReplay
from sla.models.notifications import (
    EscalationRecord,
    MailStatus,
    Notification,
    NotificationKind,
    NotifyHours,
    OnDuty,
    OutgoingAttachment,
    OutgoingMail,
)

__all__ = [
    "BusinessCalendar",
    "CaseClock",
    "ClockKind",
    "ClockLedgerEntry",
    "DraftKind",
    "DraftState",
    "EscalationRecord",
    "Holiday",
    "LedgerKind",
    "MailStatus",
    "Notification",
    "NotificationKind",
    "NotifyHours",
    "OnDuty",
    "OutgoingAttachment",
    "OutgoingMail",
    "ReplayState",
    "SlaBreach",
    "SlaDraft",
    "SlaPolicy",
    "Weekday",
    "WhatIfReplay",
    "WorkingHours",
]
