"""Database-side building blocks for the report: week buckets, and counts and percentiles over
several groupings of one scan.

A report needs the same figures for the whole organisation and per team, severity, tier,
product and category. One query selects the rows once; they are aggregated every way:

- PostgreSQL (production, CI): ``GROUP BY GROUPING SETS`` with ``COUNT`` and
  ``percentile_cont``, so only grouped rows leave the database.
- Any other database (the embedded SQLite default): the selected rows themselves, counted and
  ranked in Python. Slower on a large table, and plainly the same numbers; the tests run both
  paths on PostgreSQL and compare them.

``escalation.db.is_postgresql`` chooses, once per function.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django.db import connections, transaction
from django.db.models import Case, F, Func, IntegerField, Q, QuerySet, Value, When

from escalation.db import is_postgresql
from reports.weeks import Span


class WeekIndex(Func):
    """The index of the period a datetime column falls in: -1 before the first period, ``n``
    (the number of periods) from the end of the last on, ``null`` (default NULL) for NULL.

    The boundaries are computed in Python as aware datetimes, so a week that contains a DST
    change is exactly as long as it was on the wall clock. PostgreSQL finds the period with
    ``width_bucket`` (a binary search over the boundaries); other databases with a CASE.
    """

    output_field = IntegerField()

    def __init__(self, field: str, periods: Sequence[Span], *, null: int | None = None) -> None:
        super().__init__(F(field))
        self.column_name = field
        self.bounds = [p.start for p in periods] + [periods[-1].end]
        self.null = null

    def as_sql(  # type: ignore[override]
        self, compiler: Any, connection: Any, **extra: Any
    ) -> tuple[str, list[Any]]:
        if is_postgresql(connection):
            return self._width_bucket(compiler)
        case = self._case().resolve_expression(compiler.query)
        return compiler.compile(case)  # type: ignore[no-any-return]

    def _width_bucket(self, compiler: Any) -> tuple[str, list[Any]]:
        column, params = compiler.compile(self.source_expressions[0])
        # width_bucket: 0 below the first bound, i from bound i-1 up to bound i, len(bounds)
        # from the last on, NULL for NULL.
        bounds = ", ".join(["%s"] * len(self.bounds))
        sql = f"width_bucket({column}, ARRAY[{bounds}]::timestamptz[])"
        if self.null is not None:
            sql = f"COALESCE({sql}, %s)"
            return f"({sql} - 1)", [*params, *self.bounds, self.null + 1]
        return f"({sql} - 1)", [*params, *self.bounds]

    def _case(self) -> Case:
        """The same index as a plain CASE: the first boundary the value lies below."""
        field = self.column_name
        whens = [When(Q(**{f"{field}__isnull": True}), then=Value(self.null))]
        whens.append(When(Q(**{f"{field}__lt": self.bounds[0]}), then=Value(-1)))
        whens += [
            When(Q(**{f"{field}__lt": bound}), then=Value(index))
            for index, bound in enumerate(self.bounds[1:])
        ]
        return Case(*whens, default=Value(len(self.bounds) - 1), output_field=IntegerField())


def in_periods(field: str, periods: Sequence[Span]) -> Q:
    """``field`` lies within the span the periods cover (they are consecutive)."""
    return Q(**{f"{field}__gte": periods[0].start, f"{field}__lt": periods[-1].end})


@dataclass(frozen=True)
class Grouping:
    """One GROUP BY over the selected rows: ``key`` names it, ``columns`` are aliases of the
    inner query (an empty tuple aggregates all rows)."""

    key: str
    columns: tuple[str, ...]


Rows = dict[str, list[dict[str, Any]]]


def _run(inner: QuerySet[Any], sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
    with connections[inner.db].cursor() as cursor:
        cursor.execute(sql, params)
        return list(cursor.fetchall())


def _grouping_sets(
    inner: QuerySet[Any], groupings: Sequence[Grouping], aggregates: list[str], *, where: str = ""
) -> list[tuple[Grouping, dict[str, Any], tuple[Any, ...]]]:
    """PostgreSQL: run ``aggregates`` (SQL over the inner query's columns) per group of each
    grouping in one ``GROUP BY GROUPING SETS`` pass; return (grouping, its column values, the
    aggregate values) per group. ``GROUPING()`` tells the sets apart."""
    sql, params = inner.order_by().query.sql_with_params()
    columns = sorted({c for g in groupings for c in g.columns})

    # GROUPING(a, b, c) sets the bit of each column the row's set does not group by, leftmost
    # column highest.
    def mask(grouping: Grouping) -> int:
        return sum(
            1 << (len(columns) - 1 - i) for i, c in enumerate(columns) if c not in grouping.columns
        )

    by_mask = {mask(g): g for g in groupings}
    sets = ", ".join(f"({', '.join(g.columns)})" for g in groupings)
    select = f"GROUPING({', '.join(columns)}), {', '.join(columns)}, " if columns else "0, "
    filtered = f" WHERE {where}" if where else ""
    query = (
        f"SELECT {select}{', '.join(aggregates)} FROM ({sql}) AS src{filtered}"
        f" GROUP BY GROUPING SETS ({sets})"
    )
    found = []
    for row in _run(inner, query, params):
        values = dict(zip(columns, row[1 : 1 + len(columns)], strict=True))
        found.append((by_mask[row[0]], values, row[1 + len(columns) :]))
    return found


def _groups(
    rows: Sequence[dict[str, Any]], grouping: Grouping, value: str | None
) -> dict[tuple[Any, ...], list[Any]]:
    """Any database: the rows' ``value`` (the row itself when None) per group of ``grouping``.
    The empty grouping has its one group even without rows, as GROUP BY () answers a row."""
    groups: dict[tuple[Any, ...], list[Any]] = defaultdict(list)
    if not grouping.columns:
        groups[()] = []
    for row in rows:
        groups[tuple(row[c] for c in grouping.columns)].append(row if value is None else row[value])
    return groups


def counts_by(inner: QuerySet[Any], groupings: Sequence[Grouping], *, distinct: str = "") -> Rows:
    """``COUNT(*)`` (or ``COUNT(DISTINCT distinct)``) per group of each grouping, in one query.

    ``inner`` is a ``values(alias=expression, ...)`` queryset selecting the rows. Returns, per
    grouping key, one dict per group with its column values and ``n``.
    """
    result: Rows = {g.key: [] for g in groupings}
    if is_postgresql(inner.db):
        counted = f"COUNT(DISTINCT {distinct})" if distinct else "COUNT(*)"
        for grouping, values, (count,) in _grouping_sets(inner, groupings, [counted]):
            result[grouping.key].append({c: values[c] for c in grouping.columns} | {"n": count})
        return result
    rows = list(inner.order_by())
    for grouping in groupings:
        for key, members in _groups(rows, grouping, distinct or None).items():
            # COUNT(DISTINCT x) counts the distinct values that are not NULL.
            n = len({m for m in members if m is not None}) if distinct else len(members)
            result[grouping.key].append(dict(zip(grouping.columns, key, strict=True)) | {"n": n})
    return result


def percentiles_by(
    inner: QuerySet[Any],
    groupings: Sequence[Grouping],
    *,
    value: str,
    percentiles: Sequence[float],
) -> Rows:
    """Percentiles of ``value`` (as PostgreSQL's percentile_cont computes them: linear
    interpolation between the two nearest ranks) per group of each grouping, in one query.

    Returns, per grouping key, one dict per group that has values, with its column values and
    ``{p: value}`` under ``"percentiles"``. PostgreSQL aggregates with percentile_cont; other
    databases sort each group's values in Python (``percentile_cont``).
    """
    result: Rows = {g.key: [] for g in groupings}
    if is_postgresql(inner.db):
        aggregates = [
            f"PERCENTILE_CONT({float(p)!r}) WITHIN GROUP (ORDER BY {value})" for p in percentiles
        ]
        rows = _grouping_sets(inner, groupings, aggregates, where=f"{value} IS NOT NULL")
        for grouping, values, found in rows:
            if found[0] is None:
                continue  # the empty grouping answers one row even when there are no values
            result[grouping.key].append(
                {c: values[c] for c in grouping.columns}
                | {"percentiles": {p: float(v) for p, v in zip(percentiles, found, strict=True)}}
            )
        return result
    valued = [row for row in inner.order_by() if row[value] is not None]
    for grouping in groupings:
        for key, members in _groups(valued, grouping, value).items():
            if not members:
                continue
            ordered = sorted(float(m) for m in members)
            result[grouping.key].append(
                dict(zip(grouping.columns, key, strict=True))
                | {"percentiles": {p: percentile_cont(ordered, p) for p in percentiles}}
            )
    return result


def percentile_cont(ordered: Sequence[float], p: float) -> float:
    """What PostgreSQL's ``percentile_cont(p)`` answers over ``ordered`` (sorted, not empty):
    the value at position p*(n-1), interpolated linearly between the two ranks around it."""
    position = p * (len(ordered) - 1)
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (position - low) * (ordered[high] - ordered[low])


@contextmanager
def analytic_queries(using: str = "default") -> Iterator[None]:
    """A transaction tuned for the report's few large grouping queries.

    On PostgreSQL: enough ``work_mem`` for GROUPING SETS to hash every grouping in one pass
    (with the default 4 MB the planner sorts the rows once per grouping, on disk), and no JIT
    compilation, which costs more than it saves on sub-second queries. ``SET LOCAL`` ends with
    the transaction, so the connection goes back to the pool unchanged.
    """
    with transaction.atomic(using=using):
        if is_postgresql(using):
            with connections[using].cursor() as cursor:
                # One round trip for both settings.
                cursor.execute("SET LOCAL work_mem = '64MB'; SET LOCAL jit = off")
        yield
