"""Database-side building blocks for the report: week buckets, and counts and percentiles over
several groupings of one scan.

A report needs the same figures for the whole organisation and per team, severity, tier,
product and category. Instead of scanning the cases once per grouping, one query selects the
rows once and aggregates them every way: ``GROUP BY GROUPING SETS`` on PostgreSQL, a
materialized common table expression read by one ``GROUP BY`` per grouping (``UNION ALL``)
elsewhere. Only grouped rows leave the database.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from django.db import connections, transaction
from django.db.models import Case, F, Func, IntegerField, Q, QuerySet, Value, When

from reports.weeks import Period


class WeekIndex(Func):
    """The index of the period a datetime column falls in: -1 before the first period, ``n``
    (the number of periods) from the end of the last on, ``null`` (default NULL) for NULL.

    The boundaries are computed in Python as aware datetimes, so a week that contains a DST
    change is exactly as long as it was on the wall clock. PostgreSQL finds the period with
    ``width_bucket`` (a binary search over the boundaries); other databases with a CASE.
    """

    output_field = IntegerField()

    def __init__(self, field: str, periods: Sequence[Period], *, null: int | None = None) -> None:
        super().__init__(F(field))
        self.column_name = field
        self.bounds = [p.start for p in periods] + [periods[-1].end]
        self.null = null

    def as_sql(  # type: ignore[override]
        self, compiler: Any, connection: Any, **extra: Any
    ) -> tuple[str, list[Any]]:
        field = self.column_name
        whens = [When(Q(**{f"{field}__isnull": True}), then=Value(self.null))]
        whens.append(When(Q(**{f"{field}__lt": self.bounds[0]}), then=Value(-1)))
        whens += [
            When(Q(**{f"{field}__lt": bound}), then=Value(index))
            for index, bound in enumerate(self.bounds[1:])
        ]
        case = Case(*whens, default=Value(len(self.bounds) - 1), output_field=IntegerField())
        return compiler.compile(case.resolve_expression(compiler.query))

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, list[Any]]:
        column, params = compiler.compile(self.source_expressions[0])
        # width_bucket: 0 below the first bound, i from bound i-1 up to bound i, len(bounds)
        # from the last on, NULL for NULL.
        bounds = ", ".join(["%s"] * len(self.bounds))
        sql = f"width_bucket({column}, ARRAY[{bounds}]::timestamptz[])"
        if self.null is not None:
            sql = f"COALESCE({sql}, %s)"
            return f"({sql} - 1)", [*params, *self.bounds, self.null + 1]
        return f"({sql} - 1)", [*params, *self.bounds]


def in_periods(field: str, periods: Sequence[Period]) -> Q:
    """``field`` lies within the span the periods cover (they are consecutive)."""
    return Q(**{f"{field}__gte": periods[0].start, f"{field}__lt": periods[-1].end})


@dataclass(frozen=True)
class Grouping:
    """One GROUP BY over the selected rows: ``key`` names it, ``columns`` are aliases of the
    inner query (an empty tuple aggregates all rows)."""

    key: str
    columns: tuple[str, ...]


Rows = dict[str, list[dict[str, Any]]]


def _is_postgresql(inner: QuerySet[Any]) -> bool:
    return connections[inner.db].vendor == "postgresql"


def _run(inner: QuerySet[Any], sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
    with connections[inner.db].cursor() as cursor:
        cursor.execute(sql, params)
        return list(cursor.fetchall())


def _grouped_rows(
    inner: QuerySet[Any], groupings: Sequence[Grouping], aggregates: list[str], *, where: str = ""
) -> list[tuple[Grouping, dict[str, Any], tuple[Any, ...]]]:
    """Run ``aggregates`` (SQL over the inner query's columns) per group of each grouping; yield
    (grouping, its column values, the aggregate values) per group.

    PostgreSQL: one ``GROUP BY GROUPING SETS`` pass, ``GROUPING()`` telling the sets apart.
    Elsewhere: the rows materialized once in a CTE, one ``GROUP BY`` per grouping, UNION ALL.
    """
    sql, params = inner.order_by().query.sql_with_params()
    columns = sorted({c for g in groupings for c in g.columns})
    filtered = f" WHERE {where}" if where else ""
    measures = ", ".join(aggregates)
    found = []
    if _is_postgresql(inner):
        # GROUPING(a, b, c) sets the bit of each column the row's set does not group by,
        # leftmost column highest.
        def mask(grouping: Grouping) -> int:
            return sum(
                1 << (len(columns) - 1 - i)
                for i, c in enumerate(columns)
                if c not in grouping.columns
            )

        by_mask = {mask(g): g for g in groupings}
        sets = ", ".join(f"({', '.join(g.columns)})" for g in groupings)
        select = f"GROUPING({', '.join(columns)}), {', '.join(columns)}, " if columns else "0, "
        query = (
            f"SELECT {select}{measures} FROM ({sql}) AS src{filtered}"
            f" GROUP BY GROUPING SETS ({sets})"
        )
        for row in _run(inner, query, params):
            values = dict(zip(columns, row[1 : 1 + len(columns)], strict=True))
            found.append((by_mask[row[0]], values, row[1 + len(columns) :]))
        return found
    types = _column_types(inner)
    branches = []
    for index, grouping in enumerate(groupings):
        # Every branch lists every column, NULL (typed) where it does not group by it.
        cells = "".join(
            (c if c in grouping.columns else f"CAST(NULL AS {types[c]}) AS {c}") + ", "
            for c in columns
        )
        group_by = f" GROUP BY {', '.join(grouping.columns)}" if grouping.columns else ""
        branches.append(f"SELECT {index}, {cells}{measures} FROM src{filtered}{group_by}")
    query = f"WITH src AS MATERIALIZED ({sql}) " + " UNION ALL ".join(branches)
    for row in _run(inner, query, params):
        values = dict(zip(columns, row[1 : 1 + len(columns)], strict=True))
        found.append((groupings[row[0]], values, row[1 + len(columns) :]))
    return found


def _column_types(inner: QuerySet[Any]) -> dict[str, str]:
    connection = connections[inner.db]
    return {
        name: inner.model._meta.get_field(name).cast_db_type(connection)
        for name in inner.query.values_select
    } | {
        name: expression.output_field.cast_db_type(connection)
        for name, expression in inner.query.annotation_select.items()
    }


def counts_by(inner: QuerySet[Any], groupings: Sequence[Grouping], *, distinct: str = "") -> Rows:
    """``COUNT(*)`` (or ``COUNT(DISTINCT distinct)``) per group of each grouping, in one query.

    ``inner`` is a ``values(alias=expression, ...)`` queryset selecting the rows. Returns, per
    grouping key, one dict per group with its column values and ``n``.
    """
    counted = f"COUNT(DISTINCT {distinct})" if distinct else "COUNT(*)"
    result: Rows = {g.key: [] for g in groupings}
    for grouping, values, (count,) in _grouped_rows(inner, groupings, [counted]):
        result[grouping.key].append({c: values[c] for c in grouping.columns} | {"n": count})
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
    ``{p: value}`` under ``"percentiles"``. PostgreSQL aggregates with percentile_cont.
    Elsewhere (SQLite):
    1. number the values of each group in order with window functions (ROW_NUMBER, COUNT);
    2. keep only the rows at the two ranks around each percentile's position p*(n-1) — at most
       two rows per group and percentile leave the database;
    3. interpolate between them exactly as percentile_cont does.
    """
    result: Rows = {g.key: [] for g in groupings}
    if _is_postgresql(inner):
        aggregates = [
            f"PERCENTILE_CONT({float(p)!r}) WITHIN GROUP (ORDER BY {value})" for p in percentiles
        ]
        rows = _grouped_rows(inner, groupings, aggregates, where=f"{value} IS NOT NULL")
        for grouping, values, found in rows:
            if found[0] is None:
                continue  # the empty grouping answers one row even when there are no values
            result[grouping.key].append(
                {c: values[c] for c in grouping.columns}
                | {"percentiles": {p: float(v) for p, v in zip(percentiles, found, strict=True)}}
            )
        return result
    for grouping, values, ranked in _percentiles_by_rank(inner, groupings, value, percentiles):
        result[grouping.key].append({c: values[c] for c in grouping.columns} | ranked)
    return result


def _fraction(p: float) -> Fraction:
    return Fraction(p).limit_denominator(10_000)


def _percentiles_by_rank(
    inner: QuerySet[Any], groupings: Sequence[Grouping], value: str, percentiles: Sequence[float]
) -> list[tuple[Grouping, dict[str, Any], dict[str, Any]]]:
    sql, params = inner.order_by().query.sql_with_params()
    columns = sorted({c for g in groupings for c in g.columns})
    # Rank r (0-based) of a percentile p = a/b over n values sits at floor(p*(n-1)): the
    # integer division ((n-1)*a)/b in SQL, exact, with no floating point.
    wanted = " OR ".join(
        f"rn = ((cnt - 1) * {f.numerator}) / {f.denominator}"
        f" OR rn = ((cnt - 1) * {f.numerator}) / {f.denominator} + 1"
        for f in map(_fraction, percentiles)
    )
    branches = []
    for index, grouping in enumerate(groupings):
        cells = "".join((c if c in grouping.columns else f"NULL AS {c}") + ", " for c in columns)
        partition = f"PARTITION BY {', '.join(grouping.columns)} " if grouping.columns else ""
        branches.append(
            f"SELECT {index}, {''.join(c + ', ' for c in columns)}{value}, rn, cnt FROM ("
            f"SELECT {cells}{value},"
            f" ROW_NUMBER() OVER ({partition}ORDER BY {value}) - 1 AS rn,"
            f" COUNT(*) OVER ({partition.strip()}) AS cnt"
            f" FROM src WHERE {value} IS NOT NULL) AS ranked{index} WHERE {wanted}"
        )
    query = f"WITH src AS MATERIALIZED ({sql}) " + " UNION ALL ".join(branches)
    ranks: dict[tuple[int, tuple[Any, ...]], dict[int, float]] = defaultdict(dict)
    counts: dict[tuple[int, tuple[Any, ...]], int] = {}
    for row in _run(inner, query, params):
        key = (row[0], tuple(row[1 : 1 + len(columns)]))
        v, rn, cnt = row[1 + len(columns) :]
        ranks[key][int(rn)] = float(v)
        counts[key] = int(cnt)
    found = []
    for (index, group_values), by_rank in ranks.items():
        interpolated = {}
        for p in percentiles:
            position = _fraction(p) * (counts[(index, group_values)] - 1)
            low = int(position)
            low_value = by_rank[low]
            high_value = by_rank.get(low + 1, low_value)
            interpolated[p] = low_value + float(position - low) * (high_value - low_value)
        values = dict(zip(columns, group_values, strict=True))
        found.append((groupings[index], values, {"percentiles": interpolated}))
    return found


@contextmanager
def analytic_queries(using: str = "default") -> Iterator[None]:
    """A transaction tuned for the report's few large grouping queries.

    On PostgreSQL: enough ``work_mem`` for GROUPING SETS to hash every grouping in one pass
    (with the default 4 MB the planner sorts the rows once per grouping, on disk), and no JIT
    compilation, which costs more than it saves on sub-second queries. ``SET LOCAL`` ends with
    the transaction, so the connection goes back to the pool unchanged.
    """
    with transaction.atomic(using=using):
        connection = connections[using]
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL work_mem = '64MB'")
                cursor.execute("SET LOCAL jit = off")
        yield
