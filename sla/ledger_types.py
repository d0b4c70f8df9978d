"""What a clock's ledger is made of and how it is said: the segments, breaches and ledger of
one clock (``sla.ledger`` builds them), the wording of business time, moments and closed hours,
and the sentence that sums a clock up."""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from cases.templatetags.case_display import stamp
from sla import clock as bh
from sla.models import CaseClock
from sla.selectors import ClockState, duration_words

_ZERO = timedelta(0)


class SegmentKind(models.TextChoices):
    RUNNING = "running", gettext_lazy("Running")
    PAUSED = "paused", gettext_lazy("Paused, waiting on the customer")
    CLOSED = "closed", gettext_lazy("Outside business hours")
    STOPPED = "stopped", gettext_lazy("Stopped")


# Why business hours were closed, as one word (the segment's label).
CLOSED_NAMES = {
    bh.NIGHT: gettext_lazy("night"),
    bh.WEEKEND: gettext_lazy("weekend"),
    bh.HOLIDAY: gettext_lazy("holiday"),
    bh.BREAK: gettext_lazy("break"),
}


def _closed_words(kind: str, n: int) -> str:
    if kind == bh.NIGHT:
        return ngettext("%(count)s night", "%(count)s nights", n) % {"count": n}
    if kind == bh.WEEKEND:
        return ngettext("%(count)s weekend", "%(count)s weekends", n) % {"count": n}
    if kind == bh.HOLIDAY:
        return ngettext("%(count)s holiday", "%(count)s holidays", n) % {"count": n}
    return ngettext("%(count)s break", "%(count)s breaks", n) % {"count": n}


@dataclass(frozen=True)
class EventRef:
    """The timeline event behind a segment or a breach."""

    id: int
    kind: str
    kind_label: str
    created_at: datetime
    actor: str
    text: str


def closed_hours_words(closed: bh.ClosedHours) -> str:
    """'12 nights, 2 weekends, 3 d 4 h': the closed hours of a long running segment."""
    parts = [_closed_words(kind, n) for kind, n in closed.kinds]
    return f"{', '.join(parts)}, {duration_words(closed.total)}"


@dataclass(frozen=True)
class Segment:
    """One stretch of a clock's course. ``end`` is None for the stretch still going (a running
    or paused clock's last, or the stop of a stopped one). ``business`` is the business time
    inside it: counted against the target while running, added to the deadline while paused
    (and while stopped, for a stop a reopening undid), none outside business hours.
    ``ledger_kind`` is the ledger entry that opened it ("" for the rest of a running stretch
    after closed hours); ``recorded`` is False when it was taken from the clock's own fields."""

    kind: str
    start: datetime
    end: datetime | None
    business: timedelta
    cause: str
    ledger_kind: str
    recorded: bool
    attempt: int
    policy_name: str
    target_seconds: int
    event: EventRef | None = None
    closed: bh.ClosedHours | None = None
    closed_kind: str = ""

    @property
    def label(self) -> str:
        if self.kind == SegmentKind.CLOSED and self.closed_kind:
            return f"{SegmentKind.CLOSED.label} ({CLOSED_NAMES[self.closed_kind]})"
        return str(SegmentKind(self.kind).label)

    @property
    def business_words(self) -> str:
        """'2 h 5 min' running, '1 h paused' paused; '' where business time has no say
        (outside business hours, a stop still in force)."""
        if self.kind == SegmentKind.CLOSED or (self.kind == SegmentKind.STOPPED and not self.end):
            return ""
        words = business_words(self.business) if self.business else "none"
        return words if self.kind == SegmentKind.RUNNING else f"{words} paused"

    @property
    def closed_words(self) -> str:
        return closed_hours_words(self.closed) if self.closed is not None else ""

    @property
    def counts_as_paused(self) -> bool:
        return self.kind == SegmentKind.PAUSED or (
            self.kind == SegmentKind.STOPPED and self.end is not None
        )

    @property
    def row_kind(self) -> str:
        return self.kind


@dataclass(frozen=True)
class Breach:
    """A deadline that passed while the clock ran, under the policy it ran against then.
    ``recorded`` is False for a deadline passed that the SLA engine has not recorded yet."""

    cycle: int
    attempt: int
    breached_at: datetime
    policy_name: str
    calendar_name: str
    target_seconds: int
    recorded: bool = True
    event: EventRef | None = None

    @property
    def row_kind(self) -> str:
        return "breach"

    @property
    def target_words(self) -> str:
        return business_words(timedelta(seconds=self.target_seconds))


@dataclass(frozen=True)
class ClockLedger:
    """One clock of a case, explained. ``used``, ``paused`` and ``remaining`` are business
    time, the clock's own numbers (``remaining`` is negative once over the target);
    ``unplaced_paused`` is paused time from before the ledger was kept."""

    kind: str
    kind_label: str
    cycle: int
    attempt: int
    attempt_started_at: datetime | None
    policy_name: str
    calendar_name: str
    time_zone: str
    target_seconds: int
    started_at: datetime
    due_at: datetime
    paused_at: datetime | None
    stopped_at: datetime | None
    met: bool | None
    state: ClockState
    used: timedelta
    paused: timedelta
    remaining: timedelta
    unplaced_paused: timedelta
    summary: str
    segments: tuple[Segment, ...]
    breaches: tuple[Breach, ...] = field(default=())

    @property
    def breach(self) -> Breach | None:
        """This cycle's breach (one per cycle at most)."""
        return next((b for b in self.breaches if b.cycle == self.cycle), None)

    @property
    def earlier_breaches(self) -> int:
        return sum(1 for b in self.breaches if b.cycle < self.cycle)

    @property
    def target_words(self) -> str:
        return business_words(timedelta(seconds=self.target_seconds))

    @property
    def used_words(self) -> str:
        return business_words(self.used)

    @property
    def paused_words(self) -> str:
        return business_words(self.paused)

    @property
    def unplaced_words(self) -> str:
        return business_words(self.unplaced_paused)

    @property
    def remaining_words(self) -> str:
        if self.remaining >= _ZERO:
            return _("%(time)s left") % {"time": business_words(self.remaining)}
        return _("%(time)s over") % {"time": business_words(-self.remaining)}

    @property
    def rows(self) -> list[Segment | Breach]:
        """The segments in order, with this cycle's breach after the segment it fell in."""
        breach = self.breach
        rows: list[Segment | Breach] = list(self.segments)
        if breach is not None:
            starts = [s.start for s in self.segments]
            rows.insert(bisect.bisect_right(starts, breach.breached_at), breach)
        return rows


def business_words(delta: timedelta) -> str:
    """Business time in hours and minutes, '40 h', '2 h 3 min', '25 min' (the sign is the
    caller's): a day of business time is not a day on the calendar, so no days."""
    minutes = abs(int(delta.total_seconds())) // 60
    if minutes == 0:
        return _("under 1 min")
    hours, mins = divmod(minutes, 60)
    words = {"hours": hours, "mins": mins}
    if hours:
        return (_("%(hours)s h %(mins)s min") if mins else _("%(hours)s h")) % words
    return _("%(mins)s min") % words


def moment_words(value: datetime, *, now: datetime) -> str:
    """'19:47' today, else the case pages' stamp ('Mon 2 Mar 2026, 09:05'), local time."""
    local = timezone.localtime(value)
    if local.date() == timezone.localtime(now).date():
        return f"{local:%H:%M}"
    return stamp(value)


def ledger_with_summary(ledger: ClockLedger, *, clock: CaseClock, now: datetime) -> ClockLedger:
    """The clock in one sentence, e.g. "Breached 19:47 under Premium S2; since 19:50 running
    against Strategic S4, 14 h left"."""

    def when(value: datetime) -> str:
        return moment_words(value, now=now)

    policy, left = ledger.policy_name, ledger.remaining_words
    breach = ledger.breach
    since = ledger.attempt_started_at if ledger.attempt > 1 else None
    words: dict[str, str] = {"policy": policy, "left": left, "due": when(clock.due_at)}
    if clock.stopped_at is not None:
        words["stopped"] = when(clock.stopped_at)
    if clock.paused_at is not None:
        words["paused"] = when(clock.paused_at)
    if breach is not None:
        head = _("Breached %(when)s under %(policy)s") % {
            "when": when(breach.breached_at),
            "policy": breach.policy_name or policy,
        }
        moved = since is not None and ledger.attempt > breach.attempt
        if moved:
            assert since is not None
            head += "; " + _("since %(when)s") % {"when": when(since)}
        words["head"] = head
        if clock.stopped_at is not None:
            if moved:
                words["verdict"] = (
                    _("within the new target") if ledger.remaining >= _ZERO else f"{left}"
                )
                text = _("%(head)s against %(policy)s; stopped %(stopped)s, %(verdict)s") % words
            else:
                words["late"] = business_words(timedelta(seconds=clock.late_seconds or 0))
                text = _("%(head)s; stopped %(stopped)s, missed by %(late)s") % words
        elif clock.paused_at is not None:
            words["since"] = _("paused since %(when)s") % {"when": words["paused"]}
            if moved:
                text = _("%(head)s against %(policy)s, %(since)s, %(left)s") % words
            else:
                text = f"{head}; {words['since']}"
        elif moved:
            text = _("%(head)s running against %(policy)s, %(left)s, due %(due)s") % words
        else:
            text = f"{head}; {left}"
    elif clock.stopped_at is not None:
        if clock.met:
            words["spare"] = business_words(max(ledger.remaining, _ZERO))
            text = _("Met under %(policy)s: stopped %(stopped)s with %(spare)s to spare") % words
        else:
            text = _("Missed under %(policy)s: stopped %(stopped)s") % words
    elif clock.paused_at is not None:
        text = (
            _("Paused since %(paused)s, waiting on the customer: %(left)s against %(policy)s")
            % words
        )
    else:
        words["since"] = when(since or clock.started_at)
        text = _("Running against %(policy)s since %(since)s: %(left)s, due %(due)s") % words
    return replace(ledger, summary=text)
