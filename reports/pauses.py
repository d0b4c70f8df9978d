"""Pause analytics: how long cases wait on the customer, and what the pauses did to deadlines.

A *pause* is a stretch of a case in status "Waiting on customer", read from the timeline: it
begins with the status change to waiting and ends with the case's next status change, its
resolution or its closure (a pause with no such event yet is still going). The four figures,
each over a span (``reports.weeks.Span``; the page's date range):

- **Waiting time**, per team and per owner (the case's *current* team and owner): the
  calendar time (all hours, not business hours) of the pauses that falls inside the span.
  Summed in the database.
- **Paused shortly before a breach**: pauses begun in the span when the case's resolution
  clock had less than ``shortly_percent`` % of its target left (and some left: a clock
  already breached is not "before a breach"). What is left is business time on the policy's
  calendar, as the SLA engine counts it (``sla.clock``): the target, plus the business time
  of the case's earlier pauses, less the business time since the clock started. That is
  calendar arithmetic in Python over the rows of three queries, never a query per pause.
- **Repeated pauses**: cases paused at least ``repeated_min`` times up to the end of the span,
  at least once within it.
- **Deadlines saved by pausing**: of the resolution clocks stopped in the span that were ever
  paused (``paused_seconds`` > 0; a resolved case reopened counts its time standing still as
  paused, as the engine does), those met that would have missed their target had the paused
  time counted (``elapsed_seconds + paused_seconds > target_seconds``).

Every figure has its list of cases (``pause_cases``): the same querysets, so a list and its
figure agree.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from django.contrib.auth.models import User
from django.db import connection
from django.db.models import (
    Count,
    DurationField,
    ExpressionWrapper,
    F,
    Func,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    TextChoices,
    Value,
)
from django.db.models.functions import Coalesce, Greatest, Least
from django.utils.translation import gettext_lazy as _

from cases.models import Case, CaseEvent, EventKind, Status, Team
from escalation.db import is_postgresql
from reports.weeks import Span
from sla.calendars import calendar_default, calendar_for
from sla.clock_index import BusinessTime
from sla.models import BusinessCalendar, CaseClock, ClockKind

# The events that end a pause: the next status change, the resolution, the closure.
PAUSE_END_KINDS = (EventKind.STATUS, EventKind.RESOLVED, EventKind.CLOSED)
# Pauses begun this long before the span are still looked at for the time they run into it;
# older ones are left out (a case left waiting for months is not waiting on a live question).
LOOKBACK = timedelta(days=92)
NO_GROUP = "none"  # the group of cases without a team or an owner, in a URL


class PauseFigure(TextChoices):
    """The figures of the page, each with its list of cases."""

    WAITING = "waiting", _("Waiting on the customer")
    SHORTLY = "shortly", _("Paused shortly before a breach")
    REPEATED = "repeated", _("Repeated pauses")
    PAUSED_CLOCKS = "paused_clocks", _("Resolution deadlines that paused")
    SAVED = "saved", _("Deadlines saved by pausing")
    MISSED = "missed", _("Paused and missed anyway")


@dataclass(frozen=True)
class PauseTerms:
    """What the page counts: the span, and the two thresholds it shows."""

    span: Span
    shortly_percent: int
    repeated_min: int


@dataclass(frozen=True)
class Narrowing:
    """A waiting figure's group: one team or one owner (None: the cases without one)."""

    team: int | None = None
    by_team: bool = False
    owner: int | None = None
    by_owner: bool = False


class Epoch(Func):
    """Seconds of an interval (``EXTRACT(EPOCH FROM ...)``), as a whole number."""

    template = "CAST(EXTRACT(EPOCH FROM %(expressions)s) AS bigint)"
    output_field = IntegerField()

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        # Django's SQLite functions give a difference of instants in microseconds.
        return self.as_sql(
            compiler, connection, template="CAST((%(expressions)s) / 1000000 AS integer)", **extra
        )


def pause_starts() -> QuerySet[CaseEvent]:
    """Every pause's first event: the status change to "Waiting on customer"."""
    return CaseEvent.objects.filter(kind=EventKind.STATUS, to_value=Status.WAITING)


def pauses_with_end() -> QuerySet[Any]:
    """Pause starts, each annotated with ``ended_at``: its ending event's moment (None while
    the pause goes on). One index probe of the case's timeline per pause."""
    ends = CaseEvent.objects.filter(
        case_id=OuterRef("case_id"),
        created_at__gt=OuterRef("created_at"),
        kind__in=PAUSE_END_KINDS,
    ).order_by("created_at", "id")
    return pause_starts().annotate(ended_at=Subquery(ends.values("created_at")[:1]))


def pauses_in(span: Span) -> QuerySet[Any]:
    """The pauses with some time inside ``span``, each annotated with ``seconds``: the calendar
    time of it inside the span."""
    start, end = span.start, span.end
    inside = ExpressionWrapper(
        Least(Coalesce(F("ended_at"), Value(end)), Value(end)) - Greatest(F("created_at"), start),
        output_field=DurationField(),
    )
    return (
        pauses_with_end()
        .filter(created_at__lt=end, created_at__gte=start - LOOKBACK)
        .annotate(seconds=Epoch(inside))
        # One test of the end rather than two: PostgreSQL runs the end's subquery once for
        # each place the annotation appears in.
        .filter(seconds__gt=0)
    )


def _narrowed(pauses: QuerySet[Any], narrowing: Narrowing) -> QuerySet[Any]:
    if narrowing.by_team:
        pauses = pauses.filter(
            Q(case__team_id=narrowing.team)
            if narrowing.team is not None
            else Q(case__team_id__isnull=True)
        )
    if narrowing.by_owner:
        pauses = pauses.filter(
            Q(case__owner_id=narrowing.owner)
            if narrowing.owner is not None
            else Q(case__owner_id__isnull=True)
        )
    return pauses


class _Group(NamedTuple):
    """The pauses of one (current team, current owner) pair inside a span."""

    team_id: int | None
    owner_id: int | None
    seconds: int
    cases: int
    pauses: int


def _pauses_sql(where: str) -> str:
    """PostgreSQL: the pause starts matching ``where`` (on ``s``, the start event) as rows
    ``id, case_id, began, ended_at``, the end found once per pause by a LATERAL probe of the
    case's timeline (the ORM's subquery, ``pauses_with_end``, runs once for each place it
    appears)."""
    events = CaseEvent._meta.db_table
    ends = ", ".join(f"'{kind}'" for kind in PAUSE_END_KINDS)
    return f"""
        SELECT s.id, s.case_id, s.created_at AS began, e.ended_at
        FROM {events} s
        LEFT JOIN LATERAL (
            SELECT n.created_at AS ended_at FROM {events} n
            WHERE n.case_id = s.case_id AND n.created_at > s.created_at AND n.kind IN ({ends})
            ORDER BY n.created_at, n.id LIMIT 1
        ) e ON true
        WHERE s.kind = '{EventKind.STATUS}' AND s.to_value = '{Status.WAITING}' AND {where}
    """


def _waiting_groups(span: Span) -> list[_Group]:
    """``pauses_in(span)`` summed per current team and owner (one query)."""
    if not is_postgresql():
        rows = (
            pauses_in(span)
            .values_list("case__team_id", "case__owner_id")
            .annotate(
                total=Sum("seconds"), cases=Count("case_id", distinct=True), pauses=Count("id")
            )
            .order_by()
        )
        return [_Group(t, o, int(total or 0), c, n) for t, o, total, c, n in rows]
    inside = "LEAST(COALESCE(p.ended_at, %(end)s), %(end)s) - GREATEST(p.began, %(start)s)"
    sql = f"""
        SELECT c.team_id, c.owner_id, SUM(p.seconds), COUNT(DISTINCT p.case_id), COUNT(*)
        FROM (
            SELECT p.case_id, CAST(EXTRACT(EPOCH FROM {inside}) AS bigint) AS seconds
            FROM ({_pauses_sql("s.created_at >= %(lookback)s AND s.created_at < %(end)s")}) p
        ) p
        JOIN {Case._meta.db_table} c ON c.id = p.case_id
        WHERE p.seconds > 0
        GROUP BY c.team_id, c.owner_id
    """
    params = {"start": span.start, "end": span.end, "lookback": span.start - LOOKBACK}
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [_Group(t, o, int(total or 0), c, n) for t, o, total, c, n in cursor.fetchall()]


def waiting_breakdowns(*, span: Span) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Waiting time per current team and per current owner, most first: rows of ``key``
    (None: no team / unassigned), ``name``, ``seconds``, ``cases``, ``pauses``. A case has
    one team and one owner, so both add up from its (team, owner) group: one query for the
    pauses, one each for the names."""
    groups = _waiting_groups(span)
    teams = dict(
        Team.objects.filter(pk__in={g.team_id for g in groups if g.team_id}).values_list(
            "pk", "name"
        )
    )
    owners = {
        pk: f"{first or ''} {last or ''}".strip() or username
        for pk, username, first, last in User.objects.filter(
            pk__in={g.owner_id for g in groups if g.owner_id}
        ).values_list("pk", "username", "first_name", "last_name")
    }
    return (
        _breakdown(groups, key=lambda g: g.team_id, names=teams),
        _breakdown(groups, key=lambda g: g.owner_id, names=owners),
    )


def _breakdown(
    groups: list[_Group], *, key: Callable[[_Group], int | None], names: dict[int, str]
) -> list[dict[str, Any]]:
    rows: dict[int | None, dict[str, Any]] = {}
    for group in groups:
        k = key(group)
        row = rows.setdefault(
            k,
            {
                "key": k,
                "name": names.get(k, "") if k else "",
                "seconds": 0,
                "cases": 0,
                "pauses": 0,
            },
        )
        row["seconds"] += group.seconds
        row["cases"] += group.cases
        row["pauses"] += group.pauses
    # Most waiting first; ties by key, the group without one last.
    return sorted(rows.values(), key=lambda r: (-r["seconds"], r["key"] is None, r["key"] or 0))


def waiting_total(rows: Iterable[dict[str, Any]]) -> dict[str, int]:
    """The whole of a breakdown (every pause has one team group, so the team rows add up)."""
    rows = list(rows)
    return {
        "seconds": sum(r["seconds"] for r in rows),
        "cases": sum(r["cases"] for r in rows),
        "pauses": sum(r["pauses"] for r in rows),
    }


# --- Paused shortly before a breach ---------------------------------------------------------


@dataclass(frozen=True)
class ShortlyFigure:
    """Pauses begun in the span (``begun``, on ``begun_cases`` cases) and those begun with
    less than the threshold of their resolution target left (``pauses`` on ``case_ids``);
    and the cases paused at least the repeated threshold up to the span's end (``repeated``:
    the same stretches answer it)."""

    begun: int
    begun_cases: int
    pauses: int
    case_ids: frozenset[int]
    repeated: int = 0


# A pause as whole epoch seconds: its start, and its end (None while it goes on).
Stretch = tuple[int, int | None]


def _epoch(moment: datetime | None) -> int | None:
    return None if moment is None else int(moment.timestamp())


def _begun_in(span: Span) -> QuerySet[CaseEvent]:
    """The pauses begun in ``span``."""
    return pause_starts().filter(created_at__gte=span.start, created_at__lt=span.end)


def _stretches(span: Span) -> dict[int, list[Stretch]]:
    """Every pause up to the span's end of the cases with a pause begun in it, per case in
    time order (one query)."""
    out: dict[int, list[Stretch]] = {}
    if not is_postgresql():
        in_span = _begun_in(span)
        rows: Iterable[tuple[int, Any, Any]] = (
            pauses_with_end()
            .filter(case_id__in=in_span.values("case_id"), created_at__lt=span.end)
            .order_by("case_id", "created_at", "id")
            .values_list("case_id", "created_at", "ended_at")
        )
        for case_id, began, ended in rows:
            out.setdefault(case_id, []).append((int(began.timestamp()), _epoch(ended)))
        return out
    events = CaseEvent._meta.db_table
    begun_in_span = (
        f"SELECT b.case_id FROM {events} b WHERE b.kind = '{EventKind.STATUS}' "
        f"AND b.to_value = '{Status.WAITING}' AND b.created_at >= %(start)s "
        "AND b.created_at < %(end)s"
    )
    pauses = _pauses_sql(f"s.created_at < %(end)s AND s.case_id IN ({begun_in_span})")
    sql = f"""
        SELECT p.case_id, FLOOR(EXTRACT(EPOCH FROM p.began))::bigint,
            FLOOR(EXTRACT(EPOCH FROM p.ended_at))::bigint
        FROM ({pauses}) p
        ORDER BY p.case_id, p.began, p.id
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, {"start": span.start, "end": span.end})
        for case_id, began, ended in cursor.fetchall():
            out.setdefault(case_id, []).append((began, ended))
    return out


def shortly_before_breach(*, terms: PauseTerms, now: datetime) -> ShortlyFigure:
    """The pauses begun in the span with little of the resolution target left.

    1. The cases with a pause begun in the span, every pause of theirs up to the span's end
       with its end (one query), their resolution clocks (one query) and those clocks'
       calendars (one query; their hours from the calendar cache).
    2. Per calendar, one ``sla.clock_index.BusinessTime`` (its open runs listed once), so
       each business time below is a binary search, in whole seconds as the engine counts.
    3. Per case, walk its pauses in order: what the clock has left when one begins is its
       target plus the business time of the earlier pauses, less the business time since it
       started (what ``remaining_seconds_at_pause`` says while it is paused).
    4. A pause begun in the span with more than nothing and less than ``shortly_percent`` %
       of the target left counts; a pause begun after the clock stopped does not.
    """
    span = terms.span
    pauses = _stretches(span)
    clocks = {
        case_id: _Clock(_epoch(started) or 0, _epoch(stopped), target, calendar)
        for case_id, started, stopped, target, calendar in CaseClock.objects.filter(
            case_id__in=_begun_in(span).values("case_id"), kind=ClockKind.RESOLUTION
        ).values_list("case_id", "started_at", "stopped_at", "target_seconds", "policy__calendar")
    }
    times = _business_times({c.calendar_id for c in clocks.values()})
    start, end, moment = int(span.start.timestamp()), int(span.end.timestamp()), _epoch(now)
    begun = matched = 0
    begun_cases: set[int] = set()
    matched_cases: set[int] = set()
    for case_id, stretches in pauses.items():
        clock = clocks.get(case_id)
        for began, left in _left_at_each_pause(clock, times, stretches, now=moment or 0):
            if not start <= began < end:
                continue
            begun += 1
            begun_cases.add(case_id)
            if clock is not None and left is not None:
                if 0 < left * 100 < clock.target_seconds * terms.shortly_percent:
                    matched += 1
                    matched_cases.add(case_id)
    return ShortlyFigure(
        begun=begun,
        begun_cases=len(begun_cases),
        pauses=matched,
        case_ids=frozenset(matched_cases),
        repeated=sum(1 for s in pauses.values() if len(s) >= terms.repeated_min),
    )


@dataclass(frozen=True)
class _Clock:
    started_at: int
    stopped_at: int | None
    target_seconds: int
    calendar_id: int | None


def _business_times(calendar_ids: Iterable[int | None]) -> dict[int | None, BusinessTime]:
    """A ``BusinessTime`` per calendar (None: no policy, the default 24x7)."""
    ids = set(calendar_ids)
    rows = {c.pk: c for c in BusinessCalendar.objects.filter(pk__in=[k for k in ids if k])}
    return {
        key: BusinessTime(calendar_for(rows[key]) if key in rows else calendar_default())
        for key in ids
    }


def _left_at_each_pause(
    clock: _Clock | None,
    times: dict[int | None, BusinessTime],
    stretches: list[Stretch],
    *,
    now: int,
) -> Iterable[tuple[int, int | None]]:
    """Each pause's start with the business seconds its resolution clock had left then (None
    without a clock, or when the clock had stopped or not yet started)."""
    if clock is None:
        for began, _ended in stretches:
            yield began, None
        return
    business = times[clock.calendar_id].between
    paused = 0
    for began, ended in stretches:
        running = clock.started_at <= began and (
            clock.stopped_at is None or began < clock.stopped_at
        )
        if not running:
            yield began, None
            continue
        yield began, clock.target_seconds + paused - business(clock.started_at, began)
        until = min(ended if ended is not None else now, clock.stopped_at or now)
        paused += business(began, max(until, began))


# --- Repeated pauses and deadlines saved -----------------------------------------------------


def _pause_count(span: Span) -> Subquery:
    """A case's pauses begun before the end of ``span`` (for an annotation on cases)."""
    counted = (
        pause_starts()
        .filter(case_id=OuterRef("pk"), created_at__lt=span.end)
        .order_by()
        .values("case_id")
        .annotate(n=Count("id"))
        .values("n")
    )
    return Subquery(counted, output_field=IntegerField())


def repeated_cases(*, terms: PauseTerms) -> QuerySet[Case]:
    """Cases paused at least ``repeated_min`` times up to the end of the span, at least once
    within it, annotated with ``pause_count``."""
    span = terms.span
    return (
        Case.objects.filter(pk__in=_begun_in(span).values("case_id"))
        .annotate(pause_count=_pause_count(span))
        .filter(pause_count__gte=terms.repeated_min)
    )


def paused_clocks(*, span: Span) -> QuerySet[CaseClock]:
    """Resolution clocks stopped in the span that were ever paused."""
    return CaseClock.objects.filter(
        kind=ClockKind.RESOLUTION,
        stopped_at__gte=span.start,
        stopped_at__lt=span.end,
        paused_seconds__gt=0,
    )


def saved_q() -> Q:
    """Met, but late had the paused time counted."""
    return Q(met=True) & Q(
        target_seconds__lt=Coalesce(F("elapsed_seconds"), 0) + F("paused_seconds")
    )


def saved_figures(*, span: Span) -> dict[str, int]:
    """``paused`` clocks, those ``saved`` by the pause, those ``met`` anyway and those
    ``missed`` despite it (one query)."""
    result = paused_clocks(span=span).aggregate(
        paused=Count("id"),
        saved=Count("id", filter=saved_q()),
        met=Count("id", filter=Q(met=True)),
    )
    paused, saved, met = (int(result[k] or 0) for k in ("paused", "saved", "met"))
    return {"paused": paused, "saved": saved, "met_anyway": met - saved, "missed": paused - met}


def pause_figures(*, terms: PauseTerms, now: datetime) -> dict[str, Any]:
    """Everything the page shows (seven queries, and the calendar cache's)."""
    teams, owners = waiting_breakdowns(span=terms.span)
    shortly = shortly_before_breach(terms=terms, now=now)
    return {
        "teams": teams,
        "owners": owners,
        "waiting": waiting_total(teams),
        "shortly": shortly,
        "repeated": shortly.repeated,
        "saved": saved_figures(span=terms.span),
    }


# --- The cases behind a figure ---------------------------------------------------------------


def pause_case_ids(
    *, figure: str, terms: PauseTerms, narrowing: Narrowing, now: datetime
) -> QuerySet[Any] | frozenset[int]:
    """The ids of the cases behind ``figure`` (a subquery, or a set for the one figure that
    is counted in Python)."""
    span = terms.span
    if figure == PauseFigure.WAITING:
        return _narrowed(pauses_in(span), narrowing).values("case_id")
    if figure == PauseFigure.SHORTLY:
        return shortly_before_breach(terms=terms, now=now).case_ids
    if figure == PauseFigure.REPEATED:
        return repeated_cases(terms=terms).values("pk")
    clocks = paused_clocks(span=span)
    if figure == PauseFigure.SAVED:
        clocks = clocks.filter(saved_q())
    elif figure == PauseFigure.MISSED:
        clocks = clocks.filter(met=False)
    return clocks.values("case_id")


def pause_cases(
    *, cases: QuerySet[Case], figure: str, terms: PauseTerms, narrowing: Narrowing, now: datetime
) -> QuerySet[Any]:
    """``cases`` (the viewer's visible ones) behind ``figure``, with what the list shows:
    ``waiting_seconds`` in the span and ``pause_count`` up to its end, oldest raised first."""
    span = terms.span
    waited = (
        pauses_in(span)
        .filter(case_id=OuterRef("pk"))
        .order_by()
        .values("case_id")
        .annotate(total=Sum("seconds"))
        .values("total")
    )
    ids = pause_case_ids(figure=figure, terms=terms, narrowing=narrowing, now=now)
    return (
        cases.filter(pk__in=ids)
        .select_related("customer", "team", "owner")
        .annotate(
            waiting_seconds=Coalesce(Subquery(waited, output_field=IntegerField()), 0),
            pause_count=Coalesce(_pause_count(span), 0),
        )
        .order_by("raised_at", "pk")
    )
