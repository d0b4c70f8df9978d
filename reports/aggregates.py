"""Database-side building blocks for the report: week buckets and grouped percentiles."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from fractions import Fraction
from typing import Any

from django.db import connections
from django.db.models import (
    Aggregate,
    Case,
    Expression,
    F,
    FloatField,
    IntegerField,
    Q,
    QuerySet,
    Value,
    When,
)

from reports.weeks import Period


def week_bucket(field: str, periods: Sequence[Period]) -> Case:
    """A SQL expression giving the index of the period ``field`` falls in (NULL if none).

    The boundaries are computed here as aware datetimes, so a week that contains a DST change
    is exactly as long as it was on the wall clock, on every database.
    """
    return Case(
        *(
            When(Q(**{f"{field}__gte": p.start, f"{field}__lt": p.end}), then=Value(index))
            for index, p in enumerate(periods)
        ),
        default=Value(None),
        output_field=IntegerField(),
    )


def in_periods(field: str, periods: Sequence[Period]) -> Q:
    """``field`` lies within the span the periods cover (they are consecutive)."""
    return Q(**{f"{field}__gte": periods[0].start, f"{field}__lt": periods[-1].end})


class PercentileCont(Aggregate):
    """PostgreSQL's ``percentile_cont(p) WITHIN GROUP (ORDER BY expr)``: linear interpolation
    between the two nearest ranks."""

    function = "PERCENTILE_CONT"
    name = "PercentileCont"
    output_field = FloatField()
    template = "%(function)s(%(percentile)s) WITHIN GROUP (ORDER BY %(expressions)s)"

    def __init__(self, expression: str | Expression, percentile: float, **extra: Any) -> None:
        if not 0 <= percentile <= 1:
            raise ValueError("percentile must lie between 0 and 1")
        # A float from our own code, written into the SQL as a literal.
        super().__init__(expression, percentile=repr(float(percentile)), **extra)


Groups = dict[tuple[Any, ...], dict[float, float]]


def grouped_percentiles(
    queryset: QuerySet[Any],
    *,
    group_by: Mapping[str, Expression | str],
    value: str,
    percentiles: Sequence[float],
) -> Groups:
    """Percentiles (as percentile_cont computes them) of ``value`` per group, in the database.

    Returns ``{group values tuple: {p: value}}`` for the groups that have at least one value.
    PostgreSQL aggregates with percentile_cont. Elsewhere (SQLite):
    1. number the values of each group in order with window functions (ROW_NUMBER, COUNT);
    2. keep only the rows at the two ranks around each percentile's position p*(n-1) — at most
       two rows per group and percentile leave the database;
    3. interpolate between them exactly as percentile_cont does.
    """
    names = list(group_by)
    base = queryset.filter(**{f"{value}__isnull": False}).order_by()
    if group_by:
        base = base.annotate(
            **{name: F(expr) if isinstance(expr, str) else expr for name, expr in group_by.items()}
        )
    if connections[queryset.db].vendor == "postgresql":
        aggregates = {f"_p{i}": PercentileCont(value, p) for i, p in enumerate(percentiles)}
        if not names:
            total = base.aggregate(**aggregates)
            if total["_p0"] is None:
                return {}
            return {(): {p: float(total[f"_p{i}"]) for i, p in enumerate(percentiles)}}
        rows = base.values(*names).annotate(**aggregates)
        return {
            tuple(row[n] for n in names): {
                p: float(row[f"_p{i}"]) for i, p in enumerate(percentiles)
            }
            for row in rows
        }
    return _percentiles_by_rank(base, names=names, value=value, percentiles=percentiles)


def _percentiles_by_rank(
    base: QuerySet[Any], *, names: list[str], value: str, percentiles: Sequence[float]
) -> Groups:
    cols = [f"g{i}" for i in range(len(names))]
    inner = base.values(**{col: F(name) for col, name in zip(cols, names, strict=True)}, v=F(value))
    inner_sql, params = inner.query.sql_with_params()
    partition = f"PARTITION BY {', '.join(cols)}" if cols else ""
    select_cols = ", ".join([*cols, "v"])
    # Rank r (0-based) of a percentile p over n values sits at floor(p*(n-1)); with p = a/b that
    # is integer division ((n-1)*a)/b in SQL, exact with no floating point.
    wanted = []
    for p in percentiles:
        frac = Fraction(p).limit_denominator(10_000)
        low = f"(((cnt - 1) * {frac.numerator}) / {frac.denominator})"
        wanted.append(f"rn = {low} OR rn = {low} + 1")
    sql = (
        f"SELECT {select_cols}, rn, cnt FROM ("
        f"SELECT {select_cols}, ROW_NUMBER() OVER ({partition} ORDER BY v) - 1 AS rn,"
        f" COUNT(*) OVER ({partition}) AS cnt"
        f" FROM ({inner_sql}) AS src"
        f") AS ranked WHERE {' OR '.join(f'({w})' for w in wanted)}"
    )
    ranks: dict[tuple[Any, ...], dict[int, float]] = defaultdict(dict)
    counts: dict[tuple[Any, ...], int] = {}
    with connections[base.db].cursor() as cursor:
        cursor.execute(sql, params)
        for row in cursor.fetchall():
            key = tuple(row[: len(cols)])
            v, rn, cnt = row[len(cols)], row[len(cols) + 1], row[len(cols) + 2]
            ranks[key][int(rn)] = float(v)
            counts[key] = int(cnt)
    result: Groups = {}
    for key, by_rank in ranks.items():
        n = counts[key]
        result[key] = {}
        for p in percentiles:
            position = Fraction(p).limit_denominator(10_000) * (n - 1)
            low = int(position)
            low_value = by_rank[low]
            high_value = by_rank.get(low + 1, low_value)
            result[key][p] = low_value + float(position - low) * (high_value - low_value)
    return result
