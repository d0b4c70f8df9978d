"""A known month of pauses, so every pause figure can be checked by hand.

The range is the default one seen on Tuesday 3 March 2026 10:00 (Amsterdam, UTC+1 all month):
the four ISO weeks 2026-W06 to W09, Monday 2 February to Sunday 1 March. SD is the service
desk, FS field support; clocks are resolution clocks, 24x7 unless said otherwise.

  A  SD alice   target 60 h from Mon 9 Feb 10:00; paused Tue 10 Feb 10:00 - Wed 11 Feb 10:00
                (24 h; 36 h of 60 left: 60 %), Thu 12 Feb 11:00 - 16:00 (5 h; 49 h used, 11 h
                left: 18.3 %, shortly before a breach) and Fri 13 Feb 09:00 - 12:00 (3 h; already
                late, 6 h over); stopped Fri 13 Feb 14:00, 68 h elapsed: missed anyway.
  B  SD nobody  target 100 h from Thu 29 Jan 12:00; paused Fri 30 Jan 12:00 - Mon 2 Feb 12:00
                (72 h, 12 h of it in the range); stopped Mon 2 Feb 18:00, 30 h elapsed: met, and
                30 + 72 > 100: saved by the pause.
  C  FS charlie office hours (Mon-Fri 09-17), target 24 business hours from Wed 25 Feb 09:00;
                paused Fri 27 Feb 15:00 and still waiting: 22 h used, 2 h left (8.3 %: shortly,
                though its deadline was Monday 11:00, 68 wall-clock hours away). 57 h of
                waiting in the range (to Monday 2 March 00:00).
  D  SD alice   target 8 h from Mon 16 Feb 09:00; paused 10:00 - 11:00 (1 h left 7 h: 87.5 %);
                stopped 14:00, 4 h elapsed: met anyway (4 + 1 < 8).
  E  SD alice   never paused in the range (a pause begun Mon 2 Mar 09:00, after it, still
                going); clock stopped Tue 10 Feb, never paused: not among the paused clocks.
  F  FS charlie paused 10 - 12 January only: before the range.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from cases.models import Case, EventKind, Severity, Status, Team, Tier
from tests.factories import CustomerFactory
from tests.reports.factories import CaseClockFactory, CaseEventFactory, ReportCaseFactory
from tests.sla.factories import SlaPolicyFactory, office_calendar

AMS = ZoneInfo("Europe/Amsterdam")
HOUR = 3600
NOW = datetime(2026, 3, 3, 10, 0, tzinfo=AMS)


def at(month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=AMS)


@dataclass(frozen=True)
class PauseWorld:
    a: Case
    b: Case
    c: Case
    d: Case
    e: Case
    f: Case


def _pause(case: Case, began: datetime, ended: datetime | None, *, end_kind: str = "") -> None:
    CaseEventFactory(
        case=case,
        kind=EventKind.STATUS,
        from_value=Status.IN_PROGRESS,
        to_value=Status.WAITING,
        created_at=began,
    )
    if ended is not None:
        CaseEventFactory(
            case=case,
            kind=end_kind or EventKind.STATUS,
            from_value=Status.WAITING,
            to_value=Status.IN_PROGRESS if not end_kind else "",
            created_at=ended,
        )


def _case(team: Team, owner: Any, raised: datetime, status: str) -> Case:
    return ReportCaseFactory(
        team=team,
        owner=owner,
        raised_at=raised,
        status=status,
        severity=Severity.S3,
        customer=CustomerFactory(tier=Tier.STANDARD),
    )


def _stopped(case: Case, target_h: int, stopped: datetime, elapsed_h: int, paused_h: int) -> None:
    CaseClockFactory(
        case=case,
        target_seconds=target_h * HOUR,
        started_at=case.raised_at,
        due_at=case.raised_at + timedelta(hours=target_h + paused_h),
        warn_at=case.raised_at,
        stopped_at=stopped,
        met=elapsed_h <= target_h,
        elapsed_seconds=elapsed_h * HOUR,
        late_seconds=0 if elapsed_h <= target_h else (elapsed_h - target_h) * HOUR,
        paused_seconds=paused_h * HOUR,
    )


def pause_world(*, sd: Team, fs: Team, alice: Any, charlie: Any) -> PauseWorld:
    a = _case(sd, alice, at(2, 9, 10), Status.RESOLVED)
    _pause(a, at(2, 10, 10), at(2, 11, 10))
    _pause(a, at(2, 12, 11), at(2, 12, 16))
    _pause(a, at(2, 13, 9), at(2, 13, 12))
    _stopped(a, 60, at(2, 13, 14), 68, 32)

    b = _case(sd, None, at(1, 29, 12), Status.RESOLVED)
    _pause(b, at(1, 30, 12), at(2, 2, 12))
    _stopped(b, 100, at(2, 2, 18), 30, 72)

    c = _case(fs, charlie, at(2, 25, 9), Status.WAITING)
    _pause(c, at(2, 27, 15), None)
    office = SlaPolicyFactory(
        tier=Tier.PREMIUM, severity=Severity.S3, calendar=office_calendar(), resolution_minutes=1440
    )
    CaseClockFactory(
        case=c,
        policy=office,
        target_seconds=24 * HOUR,
        started_at=c.raised_at,
        due_at=at(3, 2, 11),
        warn_at=at(3, 2, 11),
        paused_at=at(2, 27, 15),
        remaining_seconds_at_pause=2 * HOUR,
    )

    d = _case(sd, alice, at(2, 16, 9), Status.RESOLVED)
    _pause(d, at(2, 16, 10), at(2, 16, 11))
    _stopped(d, 8, at(2, 16, 14), 4, 1)

    e = _case(sd, alice, at(2, 9, 9), Status.WAITING)
    _pause(e, at(3, 2, 9), None)
    _stopped(e, 8, at(2, 10, 9), 6, 0)

    f = _case(fs, charlie, at(1, 5, 9), Status.RESOLVED)
    _pause(f, at(1, 10, 9), at(1, 12, 9), end_kind=EventKind.RESOLVED)
    return PauseWorld(a=a, b=b, c=c, d=d, e=e, f=f)
