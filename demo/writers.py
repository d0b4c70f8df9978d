"""Writing demo rows: COPY on PostgreSQL, bulk_create anywhere else.

Rows arrive as dicts keyed by attname, with times as whole epoch seconds.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from operator import itemgetter
from typing import Any, TypeVar

from django.db import connection, models

from cases.models import Case
from escalation.db import is_postgresql

_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
_NULL = "\\N"
_EPOCH = date(1970, 1, 1)


def can_copy() -> bool:
    if not is_postgresql(connection):
        return False
    with connection.cursor() as cursor:
        return hasattr(cursor.cursor, "copy_expert")  # psycopg2; psycopg 3 has another API


def as_datetime(value: int | None) -> datetime | None:
    return None if value is None else datetime.fromtimestamp(value, UTC)


M = TypeVar("M", bound=models.Model)


class BulkWriter:
    """bulk_create on any database."""

    def cases(self, rows: list[dict[str, Any]]) -> list[int]:
        """Insert the cases; return their new primary keys in order."""
        created = Case.objects.bulk_create(self._objects(Case, rows), batch_size=1000)
        return [c.pk for c in created]

    def rows(self, model: type[models.Model], rows: list[dict[str, Any]]) -> None:
        model._default_manager.bulk_create(self._objects(model, rows), batch_size=1000)

    @staticmethod
    def _objects(model: type[M], rows: list[dict[str, Any]]) -> list[M]:
        stamps = {
            f.attname for f in model._meta.concrete_fields if isinstance(f, models.DateTimeField)
        }
        return [
            model(**{k: (as_datetime(v) if k in stamps else v) for k, v in row.items()})
            for row in rows
        ]


class CopyWriter(BulkWriter):
    """COPY on PostgreSQL: case keys are drawn from the sequence first, then all rows stream.

    The text format is built column by column with a converter chosen once per column, which
    is what makes the million-row seed take minutes rather than an hour.
    """

    def __init__(self) -> None:
        self._formats: dict[tuple[type[models.Model], tuple[str, ...]], _Format] = {}

    def cases(self, rows: list[dict[str, Any]]) -> list[int]:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                [Case._meta.db_table, len(rows)],
            )
            ids = sorted(row[0] for row in cursor.fetchall())
        for pk, row in zip(ids, rows, strict=True):
            row["id"] = pk
        self.rows(Case, rows)
        return ids

    def rows(self, model: type[models.Model], rows: list[dict[str, Any]]) -> None:
        if not rows:
            return
        key = (model, tuple(rows[0]))
        fmt = self._formats.get(key)
        if fmt is None:
            fmt = self._formats[key] = _Format(model, key[1])
        buffer = io.StringIO()
        buffer.writelines(fmt.line(row) for row in rows)
        buffer.seek(0)
        with connection.cursor() as cursor:
            cursor.cursor.copy_expert(fmt.sql, buffer)


class _Format:
    """How one model's rows (with a given set of keys) become COPY text lines."""

    def __init__(self, model: type[models.Model], keys: tuple[str, ...]) -> None:
        fields = {f.attname: f for f in model._meta.concrete_fields}
        given = [fields[k] for k in keys]
        # Columns the generator does not know (added later by another app) get their default.
        rest = [f for f in fields.values() if f.attname not in keys and not f.primary_key]
        tail = "".join("\t" + _converter(f)(f.get_default()) for f in rest)
        self.converters = [_converter(f) for f in given]
        self.getter = itemgetter(*keys)
        self.tail = tail + "\n"
        quote = connection.ops.quote_name
        columns = ", ".join(quote(f.column or f.attname) for f in given + rest)
        self.sql = f"COPY {quote(model._meta.db_table)} ({columns}) FROM STDIN"

    def line(self, row: dict[str, Any]) -> str:
        values = self.getter(row)
        return "\t".join([c(v) for c, v in zip(self.converters, values, strict=True)]) + self.tail


def _converter(field: models.Field[Any, Any]) -> Callable[[Any], str]:
    if isinstance(field, models.DateTimeField):
        return _timestamp_text
    if isinstance(field, models.BooleanField):
        return lambda v: _NULL if v is None else ("t" if v else "f")
    if isinstance(field, models.JSONField):
        return lambda v: "{}" if v == {} else json.dumps(v).translate(_ESCAPES)
    if isinstance(field, (models.IntegerField, models.ForeignKey, models.AutoField)):
        return lambda v: _NULL if v is None else str(v)
    return _text


# Demo text repeats endlessly (titles, labels, summaries): escape each distinct string once.
_TEXT_CACHE: dict[str, str] = {}


def _text(value: Any) -> str:
    if value is None:
        return _NULL
    text = _TEXT_CACHE.get(value)
    if text is None:
        text = str(value).translate(_ESCAPES)
        if len(_TEXT_CACHE) < 100_000:
            _TEXT_CACHE[value] = text
    return text


_DAY_TEXT: dict[int, str] = {}


def _timestamp_text(value: int | None) -> str:
    if value is None:
        return _NULL
    day, seconds = divmod(value, 86400)
    prefix = _DAY_TEXT.get(day)
    if prefix is None:
        prefix = _DAY_TEXT[day] = (_EPOCH + timedelta(days=day)).isoformat()
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{prefix} {hours:02d}:{minutes:02d}:{secs:02d}+00"
