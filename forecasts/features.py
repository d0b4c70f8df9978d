"""The features of a clock's state, for training (resolved cases' clocks, sampled at several
points of their life) and for scoring (running clocks, now).

Read in bulk with plain SQL into numpy columns: the history of a million cases is a few
million rows, so no model instance is built per clock. Times are epoch seconds.

Features of one clock at one moment ``t``:
- the case: tier, severity, category, product, team, level (categorical) and the clock kind;
- the clock's start: hour and weekday in the site's time zone, its target in minutes;
- its course: the share of the target used (business time), business minutes left;
- pauses so far (waiting on the customer: count, minutes), reassignments so far (assigned or
  escalated events), and the open load of the case's team at ``t``.
The label (training only): whether the clock breached.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from typing import Any

import numpy as np
from django.conf import settings
from django.db import connection

from cases.models import Case, CaseEvent, Customer, EventKind, Status
from sla import clock as sla_clock
from sla.calendars import calendar_default, calendar_for
from sla.models import CaseClock, SlaPolicy

CATEGORICAL: tuple[str, ...] = (
    "kind",
    "tier",
    "severity",
    "category",
    "product",
    "team",
    "level",
)
NUMERIC: tuple[str, ...] = (
    "start_hour",
    "start_weekday",
    "target_minutes",
    "elapsed_share",
    "minutes_left",
    "pause_count",
    "pause_minutes",
    "team_load",
    "reassignments",
)
FEATURES: tuple[str, ...] = CATEGORICAL + NUMERIC
# The points of a resolved clock's life a training example is taken at (share of the target
# used), each only if the clock was still running then.
SAMPLE_SHARES: tuple[float, ...] = (0.0, 0.25, 0.5, 0.75)
# A key that sorts (case or team, moment) pairs as one int64: ids below 2**31, epochs below 2**32.
_SHIFT = np.int64(2**32)
_SECOND = timedelta(seconds=1)
_REASSIGNED = (EventKind.ASSIGNED.value, EventKind.ESCALATED.value)


@dataclass
class Frame:
    """Feature columns of ``n`` clock states, with each row's clock and case ids (and, for
    training, its label and its clock's start)."""

    columns: dict[str, np.ndarray]
    clock_ids: np.ndarray
    case_ids: np.ndarray
    labels: np.ndarray | None = None
    started: np.ndarray | None = None
    extra: dict[str, np.ndarray] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.clock_ids)

    def take(self, index: np.ndarray) -> Frame:
        return Frame(
            columns={name: values[index] for name, values in self.columns.items()},
            clock_ids=self.clock_ids[index],
            case_ids=self.case_ids[index],
            labels=None if self.labels is None else self.labels[index],
            started=None if self.started is None else self.started[index],
            extra={name: values[index] for name, values in self.extra.items()},
        )


def _tables() -> dict[str, str]:
    return {
        "clock": CaseClock._meta.db_table,
        "case": Case._meta.db_table,
        "customer": Customer._meta.db_table,
        "event": CaseEvent._meta.db_table,
    }


_CASE_COLUMNS = """
    cc.id, cc.case_id, cc.kind, cu.tier, c.severity, c.category_id, c.product_id, c.team_id,
    c.level, EXTRACT(EPOCH FROM cc.started_at)::bigint,
    EXTRACT(HOUR FROM cc.started_at AT TIME ZONE %(tz)s)::int,
    (EXTRACT(ISODOW FROM cc.started_at AT TIME ZONE %(tz)s)::int - 1),
    cc.target_seconds, cc.paused_seconds
"""


def _fetch(sql: str, params: dict[str, Any]) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _categorical(rows: Sequence[tuple[Any, ...]], index: int) -> np.ndarray:
    return np.array(["" if row[index] is None else str(row[index]) for row in rows], dtype=object)


def _numbers(rows: Sequence[tuple[Any, ...]], index: int, dtype: Any = np.int64) -> np.ndarray:
    return np.array([row[index] or 0 for row in rows], dtype=dtype)


# --- Training: resolved cases' clocks, sampled --------------------------------------------


def history_frame(
    *, stopped_before: datetime, started_after: datetime | None = None, limit: int
) -> Frame:
    """Training (or test) examples: the most recent ``limit`` clocks of finished cases that
    stopped before ``stopped_before`` (and started after ``started_after``), each taken at
    SAMPLE_SHARES of its target while it still ran.

    1. One query for the clocks with their case's columns, newest stop first.
    2. Each clock yields a row per share it ran past; its moment ``t`` is where the business
       time since the start reaches that share of the target on the policy's calendar, pauses
       left out: never later than the true moment, so nothing that happened after it (the
       clock's own breach and escalation) leaks into its features.
    3. Pauses and reassignments before ``t`` come from the timeline (one query), the team's
       open load at ``t`` from the cases' raise and resolve times (one query), both counted
       with sorted keys rather than per row.
    4. The team and level are the case's at ``t`` (from its reassignments), not its last ones.
    Approximations, said here: the pause minutes of a sample are the clock's whole paused time
    once its first pause began; a team's load counts its cases by their last team.
    """
    params: dict[str, Any] = {
        "tz": settings.TIME_ZONE,
        "before": stopped_before,
        "after": started_after or datetime(1970, 1, 1, tzinfo=UTC),
        "finished": list(Status.FINISHED),
        "limit": int(limit),
    }
    rows = _fetch(
        f"""
        SELECT {_CASE_COLUMNS}, EXTRACT(EPOCH FROM cc.stopped_at)::bigint, cc.elapsed_seconds,
               (cc.met IS FALSE OR cc.breached_at IS NOT NULL), cc.policy_id
        FROM {_tables()["clock"]} cc
        JOIN {_tables()["case"]} c ON c.id = cc.case_id
        JOIN {_tables()["customer"]} cu ON cu.id = c.customer_id
        WHERE cc.stopped_at IS NOT NULL AND cc.elapsed_seconds IS NOT NULL
          AND cc.target_seconds > 0 AND c.status = ANY(%(finished)s)
          AND cc.stopped_at < %(before)s AND cc.started_at >= %(after)s
        ORDER BY cc.stopped_at DESC
        LIMIT %(limit)s
        """,
        params,
    )
    if not rows:
        return _empty_frame(labelled=True)
    target = _numbers(rows, 12).astype(np.float64)
    elapsed = _numbers(rows, 15).astype(np.float64)
    started = _numbers(rows, 9)
    picks, shares = [], []
    for point in SAMPLE_SHARES:
        running = elapsed > point * target if point > 0 else np.ones(len(rows), dtype=bool)
        index = np.flatnonzero(running)
        picks.append(index)
        shares.append(np.full(len(index), point))
    pick = np.concatenate(picks)
    share = np.concatenate(shares)
    moment = _moments(rows, pick, share)
    case_ids = _numbers(rows, 1)[pick]
    columns = _static_columns(rows, pick)
    columns["elapsed_share"] = share
    columns["minutes_left"] = (1.0 - share) * target[pick] / 60.0
    events = _events(case_ids=None, since=int(started.min()), until=int(moment.max()))
    pauses = _count_before(events["waiting"], case_ids, moment, since=started[pick])
    columns["pause_count"] = pauses.astype(np.float64)
    paused = _numbers(rows, 13).astype(np.float64)[pick]
    columns["pause_minutes"] = np.where(pauses > 0, paused / 60.0, 0.0)
    columns["reassignments"] = _count_before(events["reassigned"], case_ids, moment).astype(
        np.float64
    )
    _holder_at(events, case_ids, moment, columns)
    teams = np.array([int(t) if t else 0 for t in columns["team"]], dtype=np.int64)
    columns["team_load"] = _team_load_at(teams=teams, moments=moment, since=int(moment.min()))
    return Frame(
        columns=columns,
        clock_ids=_numbers(rows, 0)[pick],
        case_ids=case_ids,
        labels=np.array([bool(row[16]) for row in rows], dtype=bool)[pick],
        started=started[pick],
    )


def _moments(rows: Sequence[tuple[Any, ...]], pick: np.ndarray, share: np.ndarray) -> np.ndarray:
    """Step 2 of ``history_frame``: each sample's moment, in epoch seconds.

    Per calendar, its open runs over the samples' span are laid end to end once (a few
    thousand runs for two years of office hours), then every sample is placed with two binary
    searches: its start's business position on that line plus the business time used, read
    back as an instant. The same answer as ``sla.clock.add_business_time`` per sample (a result
    on a closing time is that closing time), without walking the calendar day by day for each.
    """
    calendars = _calendars()
    fallback = calendar_default()
    start = _numbers(rows, 9)[pick]
    used = (share * _numbers(rows, 12)[pick]).astype(np.int64)
    policy = np.array([row[17] or 0 for row in rows], dtype=np.int64)[pick]
    out = start + used
    walk = used > 0
    by_calendar: dict[sla_clock.Calendar, list[int]] = {}
    for policy_id in np.unique(policy[walk]).tolist():
        calendar = calendars.get(policy_id, fallback)
        if not _always_open(calendar):
            by_calendar.setdefault(calendar, []).append(policy_id)
    for calendar, policy_ids in by_calendar.items():
        index = np.flatnonzero(walk & np.isin(policy, policy_ids))
        out[index] = _business_add(calendar, start[index], used[index])
    return out


def _business_add(calendar: sla_clock.Calendar, starts: np.ndarray, used: np.ndarray) -> np.ndarray:
    """``add_business_time(calendar, start, used)`` for arrays of epoch seconds (``used`` > 0),
    in whole epoch seconds."""
    first = datetime.fromtimestamp(int(starts.min()), UTC)
    # A day of slack per business hour used covers any calendar open an hour a day or more;
    # an answer beyond the runs laid out (a sparser calendar) is walked the plain way.
    last = datetime.fromtimestamp(int(starts.max()), UTC) + timedelta(
        days=int(used.max()) // 3600 + 30
    )
    runs = [run for run in sla_clock.calendar_runs(calendar, first, last) if run.open]
    opens = np.array([run.start.timestamp() for run in runs], dtype=np.float64)
    closes = np.array([run.end.timestamp() for run in runs], dtype=np.float64)
    ends = np.cumsum(closes - opens)  # business seconds counted by each run's close
    before = ends - (closes - opens)  # ... and by its opening
    out = np.empty(len(starts), dtype=np.int64)
    reach = np.zeros(len(starts), dtype=bool)
    if len(runs):
        # A start's business position: what the runs before it count, plus its part of its own.
        k = np.maximum(np.searchsorted(opens, starts, side="right") - 1, 0)
        inside = np.clip(starts - opens[k], 0.0, closes[k] - opens[k])
        goal = np.where(starts >= opens[0], before[k] + inside, 0.0) + used
        reach = goal <= ends[-1]
        j = np.minimum(np.searchsorted(ends, goal, side="left"), len(ends) - 1)
        out[reach] = np.floor(opens[j] + (goal - before[j]))[reach]
    for i in np.flatnonzero(~reach).tolist():
        moment = sla_clock.add_business_time(
            calendar, datetime.fromtimestamp(int(starts[i]), UTC), timedelta(seconds=int(used[i]))
        )
        out[i] = int(moment.timestamp())
    return out


def _always_open(calendar: sla_clock.Calendar) -> bool:
    """24x7 without holidays: business time is wall time (no calendar walk needed)."""
    whole_day = ((time(0), None),)
    return not calendar.holidays and all(calendar.hours.get(d) == whole_day for d in range(7))


def _calendars() -> dict[int, sla_clock.Calendar]:
    return {
        policy.pk: calendar_for(policy.calendar)
        for policy in SlaPolicy.objects.select_related("calendar").only("pk", "calendar")
    }


def _static_columns(rows: Sequence[tuple[Any, ...]], pick: np.ndarray) -> dict[str, np.ndarray]:
    """The columns that do not change while the clock runs."""
    columns: dict[str, np.ndarray] = {}
    for name, index in zip(CATEGORICAL, (2, 3, 4, 5, 6, 7, 8), strict=True):
        columns[name] = _categorical(rows, index)[pick]
    columns["start_hour"] = _numbers(rows, 10).astype(np.float64)[pick]
    columns["start_weekday"] = _numbers(rows, 11).astype(np.float64)[pick]
    columns["target_minutes"] = _numbers(rows, 12).astype(np.float64)[pick] / 60.0
    return columns


def _empty_frame(*, labelled: bool) -> Frame:
    columns: dict[str, np.ndarray] = {name: np.array([], dtype=object) for name in CATEGORICAL}
    columns.update({name: np.array([], dtype=np.float64) for name in NUMERIC})
    empty = np.array([], dtype=np.int64)
    return Frame(
        columns=columns,
        clock_ids=empty,
        case_ids=empty,
        labels=np.array([], dtype=bool) if labelled else None,
        started=empty if labelled else None,
    )


def _events(*, case_ids: Sequence[int] | None, since: int, until: int) -> dict[str, np.ndarray]:
    """Sorted (case, moment) keys of the timeline events the features count: waits on the
    customer and reassignments, for ``case_ids`` (None: every case) between the moments."""
    where = "e.case_id = ANY(%(ids)s)" if case_ids is not None else "TRUE"
    rows = _fetch(
        f"""
        SELECT e.case_id, EXTRACT(EPOCH FROM e.created_at)::bigint, e.kind = 'status',
               e.data -> 'team' ->> 0, e.data -> 'team' ->> 1,
               e.data -> 'level' ->> 0, e.data -> 'level' ->> 1
        FROM {_tables()["event"]} e
        WHERE {where}
          AND (e.kind = ANY(%(reassigned)s) OR (e.kind = 'status' AND e.to_value = %(waiting)s))
          AND e.created_at >= to_timestamp(%(since)s) AND e.created_at <= to_timestamp(%(until)s)
        """,
        {
            "ids": list(case_ids or ()),
            "reassigned": list(_REASSIGNED),
            "waiting": Status.WAITING.value,
            "since": since,
            "until": until,
        },
    )
    keys = np.array([row[0] * _SHIFT + row[1] for row in rows], dtype=np.int64)
    waiting = np.array([bool(row[2]) for row in rows], dtype=bool)
    moved = np.flatnonzero(~waiting)
    order = moved[np.argsort(keys[moved], kind="stable")]
    events = {"waiting": np.sort(keys[waiting]), "reassigned": keys[order]}
    # Each reassignment's team and level before and after (for the history's "as it was").
    for name, index in (("team_from", 3), ("team_to", 4), ("level_from", 5), ("level_to", 6)):
        events[name] = np.array(
            ["" if rows[i][index] is None else str(rows[i][index]) for i in order], dtype=object
        )
    return events


def _holder_at(
    events: dict[str, np.ndarray],
    case_ids: np.ndarray,
    moments: np.ndarray,
    columns: dict[str, np.ndarray],
) -> None:
    """Put the team and level each sample's case had at its moment into ``columns`` (the case
    row holds the last ones: a breach escalates the case, so the final level would tell the
    outcome). After a reassignment, its new team and level; before the first, its old ones."""
    keys = events["reassigned"]
    if len(keys) == 0:
        return
    base = case_ids.astype(np.int64) * _SHIFT
    first = np.searchsorted(keys, base, side="left")
    before = np.searchsorted(keys, base + moments.astype(np.int64), side="left")
    has = (first < len(keys)) & (np.searchsorted(keys, base + _SHIFT, side="left") > first)
    after = has & (before > first)
    ahead = has & ~after
    last = np.clip(before - 1, 0, len(keys) - 1)
    nxt = np.clip(first, 0, len(keys) - 1)
    for column, name in (("team", "team"), ("level", "level")):
        values = columns[column].copy()
        values[after] = events[f"{name}_to"][last[after]]
        values[ahead] = events[f"{name}_from"][nxt[ahead]]
        columns[column] = values


def _count_before(
    keys: np.ndarray, owners: np.ndarray, moments: np.ndarray, *, since: np.ndarray | None = None
) -> np.ndarray:
    """How many of the sorted (owner, moment) ``keys`` each owner has before its moment (and
    at or after ``since``)."""
    base = owners.astype(np.int64) * _SHIFT
    low = base if since is None else base + since.astype(np.int64)
    return np.searchsorted(keys, base + moments.astype(np.int64), side="left") - np.searchsorted(
        keys, low, side="left"
    )


def _team_load_at(*, teams: np.ndarray, moments: np.ndarray, since: int) -> np.ndarray:
    """The open cases of each team at each moment: raised before it and not resolved by it."""
    rows = _fetch(
        f"""
        SELECT team_id, EXTRACT(EPOCH FROM raised_at)::bigint,
               EXTRACT(EPOCH FROM resolved_at)::bigint
        FROM {_tables()["case"]}
        WHERE team_id IS NOT NULL AND (resolved_at IS NULL OR resolved_at >= to_timestamp(%(s)s))
        """,
        {"s": since},
    )
    team = np.array([row[0] for row in rows], dtype=np.int64)
    raised = np.sort(team * _SHIFT + np.array([row[1] for row in rows], dtype=np.int64))
    done = np.array([row[2] is not None for row in rows], dtype=bool)
    resolved = np.sort(
        team[done] * _SHIFT + np.array([row[2] for row in rows if row[2] is not None], np.int64)
    )
    owners = np.array([int(t) if t is not None else 0 for t in teams], dtype=np.int64)
    opened = _count_before(raised, owners, moments + 1)
    closed = _count_before(resolved, owners, moments + 1)
    return np.maximum(opened - closed, 0).astype(np.float64)


# --- Scoring: running clocks now ----------------------------------------------------------


def running_frame(
    *,
    now: datetime,
    after_clock: int = 0,
    limit: int,
    case_ids: Sequence[int] | None = None,
    loads: Mapping[int, int] | None = None,
) -> Frame:
    """The running clocks of open cases (of ``case_ids``, or every one with an id above
    ``after_clock``, the first ``limit`` in id order), each at ``now``.

    1. One query for the clocks with their case's columns; one for their cases' waits and
       reassignments; one for the open load of their teams (open cases by team), unless the
       caller passes ``loads`` (a scoring run counts once for all its chunks).
    2. The business time left is measured on the clock's policy calendar (paused: what was
       left when the pause began), so the share used is the one the SLA engine counts.
    """
    where = "c.id = ANY(%(ids)s)" if case_ids is not None else "cc.id > %(after)s"
    rows = _fetch(
        f"""
        SELECT {_CASE_COLUMNS}, EXTRACT(EPOCH FROM cc.due_at)::bigint,
               EXTRACT(EPOCH FROM cc.paused_at)::bigint, cc.remaining_seconds_at_pause,
               cc.policy_id, cc.cycle, c.owner_id, cc.breached_at IS NOT NULL
        FROM {_tables()["clock"]} cc
        JOIN {_tables()["case"]} c ON c.id = cc.case_id
        JOIN {_tables()["customer"]} cu ON cu.id = c.customer_id
        WHERE {where} AND cc.stopped_at IS NULL AND cc.target_seconds > 0
          AND c.status = ANY(%(open)s)
        ORDER BY cc.id
        LIMIT %(limit)s
        """,
        {
            "tz": settings.TIME_ZONE,
            "ids": list(case_ids or ()),
            "after": after_clock,
            "open": list(Status.OPEN),
            "limit": int(limit),
        },
    )
    if not rows:
        return _empty_frame(labelled=False)
    pick = np.arange(len(rows))
    stamp = int(now.timestamp())
    target = _numbers(rows, 12).astype(np.float64)
    left = _business_left(rows, now=now)
    columns = _static_columns(rows, pick)
    columns["elapsed_share"] = np.clip((target - left) / target, 0.0, 5.0)
    columns["minutes_left"] = left / 60.0
    case_of = _numbers(rows, 1)
    started = _numbers(rows, 9)
    moments = np.full(len(rows), stamp, dtype=np.int64)
    events = _events(case_ids=sorted(set(case_of.tolist())), since=0, until=stamp)
    pauses = _count_before(events["waiting"], case_of, moments + 1, since=started)
    columns["pause_count"] = pauses.astype(np.float64)
    paused_now = np.array(
        [0 if row[15] is None else max(0, stamp - row[15]) for row in rows], np.float64
    )
    columns["pause_minutes"] = (_numbers(rows, 13).astype(np.float64) + paused_now) / 60.0
    columns["reassignments"] = _count_before(events["reassigned"], case_of, moments + 1).astype(
        np.float64
    )
    if loads is None:
        loads = team_open_loads(team_ids=None if case_ids is None else [row[7] for row in rows])
    columns["team_load"] = np.array([float(loads.get(row[7], 0)) for row in rows], dtype=np.float64)
    return Frame(
        columns=columns,
        clock_ids=_numbers(rows, 0),
        case_ids=case_of,
        extra={
            "cycle": _numbers(rows, 18),
            "owner": np.array([row[19] or 0 for row in rows], dtype=np.int64),
            # Breached already (on record, or its deadline passed): certain, no model needed.
            "breached": np.array([bool(row[20]) for row in rows], dtype=bool) | (left <= 0),
        },
    )


def team_open_loads(*, team_ids: Sequence[int | None] | None = None) -> dict[int, int]:
    """Open cases per team (of ``team_ids``; None: every team), now: one GROUP BY over the
    open cases' team index (for one case, its team's cases only, not all open cases)."""
    teams = "TRUE" if team_ids is None else "team_id = ANY(%(teams)s)"
    rows = _fetch(
        f"""SELECT team_id, COUNT(*) FROM {_tables()["case"]}
            WHERE status = ANY(%(open)s) AND team_id IS NOT NULL AND {teams} GROUP BY team_id""",
        {"open": list(Status.OPEN), "teams": [t for t in team_ids or () if t is not None]},
    )
    return {int(team): int(count) for team, count in rows}


def _business_left(rows: Sequence[tuple[Any, ...]], *, now: datetime) -> np.ndarray:
    """Business seconds left on each clock, on its policy's calendar (paused: what was left
    when the pause began). A clock past its deadline has breached whatever the amount, so its
    overdue time is the wall time since the deadline: no walk over months of calendar."""
    policies = _calendars()
    fallback = calendar_default()
    stamp = int(now.timestamp())
    left = np.empty(len(rows), dtype=np.float64)
    for i, row in enumerate(rows):
        if row[15] is not None:
            left[i] = float(row[16] or 0)
        elif row[14] <= stamp:
            left[i] = float(row[14] - stamp)
        else:
            calendar = policies.get(row[17], fallback)
            if _always_open(calendar):
                left[i] = float(row[14] - stamp)
            else:
                due = datetime.fromtimestamp(row[14], UTC)
                left[i] = sla_clock.business_time_between(calendar, now, due) / _SECOND
    return left
