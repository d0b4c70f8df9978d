"""Reads of the SLA engine: clock states for the queue and case page, who takes an escalated
case, and a user's notifications."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.contrib.auth.models import User
from django.db.models import Case as CaseWhen
from django.db.models import (
    CharField,
    Count,
    Exists,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    TextChoices,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cases.models import Case, Level, Status, Team
from cases.models.case import CaseSlaState
from cases.visibility import case_visible_to
from escalation.roles import Role, has_role, users_with_role
from sla.models import CaseClock, ClockKind, Notification, OnDuty

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


class ClockStateName(TextChoices):
    ON_TRACK = "on_track", gettext_lazy("On track")
    AT_RISK = "at_risk", gettext_lazy("At risk")
    BREACHED = "breached", gettext_lazy("Breached")
    MET = "met", gettext_lazy("Met")
    PAUSED = "paused", gettext_lazy("Paused")


# Colour of each state; the words of the label carry the meaning on their own as well.
STATE_CSS: dict[str, str] = {
    ClockStateName.ON_TRACK: "text-bg-success",
    ClockStateName.AT_RISK: "text-bg-warning",
    ClockStateName.BREACHED: "text-bg-danger",
    ClockStateName.MET: "text-bg-light border",
    ClockStateName.PAUSED: "text-bg-secondary",
}
KIND_ORDER: dict[str, int] = {ClockKind.RESPONSE: 0, ClockKind.RESOLUTION: 1, ClockKind.UPDATE: 2}
SHORT_KIND: dict[str, StrOrPromise] = {
    ClockKind.RESPONSE: gettext_lazy("Response"),
    ClockKind.RESOLUTION: gettext_lazy("Resolution"),
    ClockKind.UPDATE: gettext_lazy("Update"),
}


@dataclass(frozen=True)
class ClockState:
    """One clock as people see it. ``remaining`` is negative once the deadline has passed;
    while paused it is the business time that was left when the pause began. ``breached_at``
    is the first deadline of the cycle that passed while the clock ran (a breach stays one,
    whatever the clock does next)."""

    kind: str
    kind_label: str
    state: str
    due_at: datetime
    remaining: timedelta
    label: str
    breached_at: datetime | None = None

    @property
    def css(self) -> str:
        return STATE_CSS[self.state]

    @property
    def short_kind(self) -> str:
        return str(SHORT_KIND.get(self.kind, self.kind_label))


STATE_FIELDS = (
    "case_id",
    "kind",
    "due_at",
    "warn_at",
    "paused_at",
    "stopped_at",
    "met",
    "late_seconds",
    "remaining_seconds_at_pause",
    "breached_at",
)


def clock_states_for(*, cases: Iterable[Case | int], now: datetime) -> dict[int, list[ClockState]]:
    """The state of every clock of ``cases`` (one query), by case id, in the order first
    response, resolution, customer update. Cases without clocks get an empty list."""
    ids = [c if isinstance(c, int) else c.pk for c in cases]
    states: dict[int, list[ClockState]] = {pk: [] for pk in ids}
    clocks = CaseClock.objects.filter(case_id__in=ids).only(*STATE_FIELDS)
    for clock in sorted(clocks, key=lambda c: (c.case_id, KIND_ORDER.get(c.kind, 9))):
        states[clock.case_id].append(clock_state(clock, now=now))
    return states


def clock_state(clock: CaseClock, *, now: datetime) -> ClockState:
    """The state and words of one clock at ``now``.

    A clock that breached stays breached: paused ("Breached, paused"), or running against a
    new target set after the breach ("Breached; 14 h left on the new target"), or stopped
    ("Missed by ...").
    """
    left = clock.due_at - now
    ticking = clock.stopped_at is None and clock.paused_at is None
    breached_at = clock.breached_at or (clock.due_at if ticking and left <= timedelta(0) else None)
    if clock.stopped_at is not None:
        if clock.met and breached_at is None:
            state, label = ClockStateName.MET, _("Met")
            left = clock.due_at - clock.stopped_at
        else:
            late = timedelta(seconds=clock.late_seconds or 0)
            state = ClockStateName.BREACHED
            label = _("Missed by %(time)s") % {"time": duration_words(late)}
            left = -late
    elif clock.paused_at is not None:
        left = timedelta(seconds=clock.remaining_seconds_at_pause or 0)
        if breached_at is not None:
            state, label = ClockStateName.BREACHED, _("Breached, paused")
        else:
            state = ClockStateName.PAUSED
            label = (
                _("Paused: %(time)s left") % {"time": duration_words(left)}
                if left > timedelta(0)
                else _("Paused: %(time)s over") % {"time": duration_words(-left)}
            )
    elif breached_at is not None:
        state = ClockStateName.BREACHED
        label = (
            _("Breached %(time)s ago") % {"time": duration_words(now - breached_at)}
            if left <= timedelta(0)
            else _("Breached; %(time)s left on the new target") % {"time": duration_words(left)}
        )
    elif clock.warn_at <= now:
        state = ClockStateName.AT_RISK
        label = _("At risk: %(time)s left") % {"time": duration_words(left)}
    else:
        state = ClockStateName.ON_TRACK
        label = _("On track: %(time)s left") % {"time": duration_words(left)}
    return ClockState(
        kind=clock.kind,
        kind_label=str(ClockKind(clock.kind).label),
        state=state,
        due_at=clock.due_at,
        remaining=left,
        label=label,
        breached_at=breached_at,
    )


def duration_words(delta: timedelta) -> str:
    """'under 1 min', '25 min', '2 h 5 min', '3 d 4 h' (the sign is the caller's business)."""
    minutes = abs(int(delta.total_seconds())) // 60
    if minutes == 0:
        return _("under 1 min")
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    words = {"days": days, "hours": hours, "mins": mins}
    if days:
        return (_("%(days)s d %(hours)s h") if hours else _("%(days)s d")) % words
    if hours:
        return (_("%(hours)s h %(mins)s min") if mins else _("%(hours)s h")) % words
    return _("%(mins)s min") % words


# --- Who takes an escalated case ---------------------------------------------------------------


def team_members_by_open_cases(*, team: Team) -> QuerySet:
    """The active members of ``team`` who may hold cases (operators and managers), each
    annotated with ``open_cases``, fewest first; ties go to the longest-standing account.
    One aggregated query."""
    return (
        users_with_role(Role.OPERATOR, Role.MANAGER)
        .filter(teams=team)
        .annotate(open_cases=Count("owned_cases", filter=Q(owned_cases__status__in=Status.OPEN)))
        .order_by("open_cases", "pk")
    )


def manager_on_duty(*, now: datetime) -> User | None:
    """The escalation manager on duty at ``now``: the latest-starting shift covering it (of an
    active manager), else the lead of the first active management team."""
    shift = (
        OnDuty.objects.filter(starts_at__lte=now, ends_at__gt=now, user__is_active=True)
        .filter(Exists(users_with_role(Role.MANAGER).filter(pk=OuterRef("user_id"))))
        .select_related("user")
        .order_by("-starts_at", "-pk")
        .first()
    )
    if shift is not None:
        return shift.user
    team = (
        Team.objects.filter(level=Level.MANAGEMENT, is_active=True, lead__is_active=True)
        .filter(Exists(users_with_role(Role.MANAGER).filter(pk=OuterRef("lead_id"))))
        .select_related("lead")
        .order_by("name", "pk")
        .first()
    )
    return team.lead if team is not None else None


def management_team_for(*, user: User) -> Team | None:
    """The active management team the manager leads or belongs to, else the first one."""
    teams = Team.objects.filter(level=Level.MANAGEMENT, is_active=True).select_related("lead")
    own = teams.filter(Q(lead=user) | Q(members=user)).order_by("name", "pk").first()
    return own or teams.order_by("name", "pk").first()


# --- Notifications -----------------------------------------------------------------------------


def _own_notifications(user: User) -> QuerySet[Notification]:
    """The user's notifications about nothing in particular or about a case they may open now:
    one about a case since moved to a team of others is no longer listed (it would show the
    case's reference and title)."""
    mine = Notification.objects.filter(recipient_id=user.pk)
    if has_role(user, Role.MANAGER, Role.EXECUTIVE):
        return mine  # they may open every case
    # EXISTS per notification (a primary-key probe each), not IN over every case the user may
    # see: PostgreSQL hashed that whole set first, a scan of the cases on each bell (43 ms at
    # 100,000 cases, bench/RESULTS.md "Live pages").
    visible = case_visible_to(viewer=user).filter(pk=OuterRef("case_id"))
    return mine.filter(Q(case__isnull=True) | Exists(visible))


def notifications_for(*, user: User) -> QuerySet[Notification]:
    """The user's own notifications, newest first, with their case."""
    return _own_notifications(user).select_related("case")


def notification_unread_count(*, user: User) -> int:
    """One count on the partial index of unread notifications."""
    return _own_notifications(user).filter(read_at__isnull=True).count()


def notification_unread_state(*, user: User) -> tuple[int, int]:
    """How many unread notifications and the newest one's id (0: none), in one query on the
    partial index of unread notifications: the bell shows the count, and both together change
    whenever one arrives or is read (the live bell's mark)."""
    row = (
        _own_notifications(user)
        .filter(read_at__isnull=True)
        .aggregate(count=Count("pk"), newest=Max("pk"))
    )
    return row["count"], row["newest"] or 0


# --- A case's SLA state: what the dashboard counts and the queue filters by -------------------


def case_sla_state(*, now: datetime) -> Coalesce:
    """A case's SLA state from its clocks (an expression on Case), worst first, each clock
    judged as ``clock_state`` judges it: breached (a clock of the case has a breach on record,
    running, paused or stopped, or a running clock is past its deadline), at risk (past the
    warning point), on track, paused (every running clock paused), or none (no running clock).

    One correlated subquery reads the case's clocks once (one index probe on
    caseclock_one_per_kind) and folds them with MAX over 0/1 flags, where four EXISTS read them
    up to four times: a third of the time for ``?sla=breached`` on 100,000 open cases
    (bench/RESULTS.md). No clock: no row, hence ``none``.

    The queue filters by the same states through the marks the clock sync stores on the case
    (``cases.models.case.sla_state_condition``, written by ``sla.services.case_sla_marks``),
    range conditions on an index instead of this subquery per case: the two agree
    (tests/sla/test_stored_state.py).
    """

    def any_clock(condition: Q) -> Max:
        return Max(CaseWhen(When(condition, then=Value(1)), default=Value(0)))

    running = Q(stopped_at__isnull=True)
    ticking = running & Q(paused_at__isnull=True)
    folded = (
        CaseClock.objects.filter(case=OuterRef("pk"))
        .order_by()
        .values("case")
        .annotate(
            breached=any_clock(Q(breached_at__isnull=False) | (ticking & Q(due_at__lte=now))),
            warned=any_clock(ticking & Q(warn_at__lte=now)),
            ticks=any_clock(ticking),
            runs=any_clock(running),
        )
        .annotate(
            state=CaseWhen(
                When(breached=1, then=Value(CaseSlaState.BREACHED.value)),
                When(warned=1, then=Value(CaseSlaState.AT_RISK.value)),
                When(ticks=1, then=Value(CaseSlaState.ON_TRACK.value)),
                When(runs=1, then=Value(CaseSlaState.PAUSED.value)),
                default=Value(CaseSlaState.NONE.value),
                output_field=CharField(),
            )
        )
        .values("state")
    )
    return Coalesce(
        Subquery(folded, output_field=CharField()),
        Value(CaseSlaState.NONE.value),
        output_field=CharField(),
    )


def open_cases_by_sla_state(*, now: datetime) -> dict[str, int]:
    """How many open cases are in each SLA state (every state, 0 included), in one grouped
    query: the ``escalation_open_cases`` gauge, read when /metrics is scraped."""
    counts = dict.fromkeys(CaseSlaState.values, 0)
    rows = (
        Case.objects.open()
        .annotate(sla=case_sla_state(now=now))
        .values_list("sla")
        .annotate(n=Count("pk"))
        .order_by()
    )
    counts.update(dict(rows))
    return counts


class ClockFilterState(TextChoices):
    """One clock's state as the queue filters by it (``?sla_response=``, ...): a clock's badge
    states, and none for a case without a clock of that kind."""

    BREACHED = "breached", gettext_lazy("Breached")
    AT_RISK = "at_risk", gettext_lazy("At risk")
    ON_TRACK = "on_track", gettext_lazy("On track")
    PAUSED = "paused", gettext_lazy("Paused")
    MET = "met", gettext_lazy("Met")
    NONE = "none", gettext_lazy("No such clock")


def clock_sla_state(*, kind: str, now: datetime) -> Coalesce:
    """The state of the case's clock of ``kind`` (an expression on Case), judged as
    ``clock_state`` judges it: breached (a breach on record, or running unpaused past its
    deadline, whether it runs, is paused or stopped), paused, met, at risk, on track; none when
    the case has no such clock. One index probe per case (caseclock_one_per_kind)."""
    clock = CaseClock.objects.filter(case=OuterRef("pk"), kind=kind)
    state = CaseWhen(
        When(
            Q(breached_at__isnull=False)
            | Q(stopped_at__isnull=True, paused_at__isnull=True, due_at__lte=now)
            | (Q(stopped_at__isnull=False) & ~Q(met=True)),
            then=Value(ClockFilterState.BREACHED.value),
        ),
        When(stopped_at__isnull=False, then=Value(ClockFilterState.MET.value)),
        When(paused_at__isnull=False, then=Value(ClockFilterState.PAUSED.value)),
        When(warn_at__lte=now, then=Value(ClockFilterState.AT_RISK.value)),
        default=Value(ClockFilterState.ON_TRACK.value),
        output_field=CharField(),
    )
    return Coalesce(
        Subquery(clock.annotate(state=state).values("state")[:1]),
        Value(ClockFilterState.NONE.value),
        output_field=CharField(),
    )
