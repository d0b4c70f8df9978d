"""The queue's keyset pagination: the sort orders' keys, opaque cursors that name a row, and
the row comparison a page starts after (cases.selectors_queue pages with them)."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import (
    BigIntegerField,
    BooleanField,
    CharField,
    DateTimeField,
    F,
    Func,
    Q,
    Value,
)
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from cases.filters import Sort
from cases.models import Case
from cases.models.case import due_key, urgency_key


class CursorError(ValueError):
    pass


@dataclass(frozen=True)
class Keyset:
    key: str | None  # annotation or field sorted before the id; None: the id alone
    ascending: bool  # the key and the id run the same way, so one row comparison pages


# The keys that are expressions (annotated on the rows) and datetimes in a cursor.
KEY_EXPRESSIONS: dict[str, Callable[[], Coalesce]] = {
    "due_key": due_key,
    "urgency_key": urgency_key,
}

KEYSETS: dict[str, Keyset] = {
    # The cursor's key; the order itself is URGENCY_SEGMENTS.
    Sort.URGENCY: Keyset("urgency_key", True),
    Sort.DUE: Keyset("due_key", True),
    Sort.NEWEST: Keyset(None, False),
    Sort.OLDEST: Keyset(None, True),
    # S1 first; within a severity the longest-waiting first.
    Sort.SEVERITY: Keyset("severity", True),
}


# "Most urgent" (the queue page's default order) in three segments, one after the other, each a
# range of the urgency key (``Case.urgency_at``: the deadline, or the breach, plus the
# severity's URGENCY_ALLOWANCE) that case_open_urgency_idx serves, so the order stays a keyset
# (segment, key, id) and never sorts the open cases:
#   0. not breached, a running clock's deadline ahead: the soonest (weighted) first;
#   1. breached: the longest breached (weighted) first;
#   2. neither a running deadline nor a breach (every clock paused or stopped, or none): the
#      oldest case first.
URGENCY_SEGMENTS: tuple[Keyset, ...] = (
    Keyset("urgency_key", True),
    Keyset("urgency_key", True),
    Keyset("urgency_key", True),
)


class RowComparison(Func):
    """``(key, id) > (k, i)`` (or ``<``) as one SQL row comparison.

    PostgreSQL turns a row comparison into a single index range condition on a (key, id)
    index, so a page deep in the queue starts where the cursor points even when thousands of
    rows share the key (every S3 case, every case without a deadline). SQLite has row values
    since 3.15.
    """

    output_field = BooleanField()

    def __init__(self, key: Any, pk: Any, key_value: Any, pk_value: Any, *, op: str) -> None:
        super().__init__(key, pk, key_value, pk_value)
        self.op = op

    def as_sql(  # type: ignore[override]
        self, compiler: Any, connection: Any, **extra: Any
    ) -> tuple[str, list[Any]]:
        parts = [compiler.compile(e) for e in self.get_source_expressions()]
        (a, a_params), (b, b_params), (x, x_params), (y, y_params) = parts
        sql = f"(({a}, {b}) {self.op} ({x}, {y}))"
        return sql, [*a_params, *b_params, *x_params, *y_params]


def cursor_encode(
    *, sort: str, key: Any, pk: int, backwards: bool, segment: int | None = None
) -> str:
    if isinstance(key, datetime):
        key = key.isoformat()
    data = {"s": sort, "k": key, "i": pk, "b": backwards}
    if segment is not None:
        data["g"] = segment
    raw = json.dumps(data, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def cursor_decode(cursor: str, *, sort: str) -> tuple[Any, int, bool, int]:
    """-> (key, id, backwards, segment). Raises CursorError for anything we did not hand out.
    The segment is the URGENCY_SEGMENTS index of the row (0 for the other sorts)."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        data = json.loads(raw)
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise CursorError(_("This page link is not valid.")) from None
    if not isinstance(data, dict) or data.get("s") != sort:
        raise CursorError(_("This page link belongs to another sort order."))
    pk, key, backwards = data.get("i"), data.get("k"), data.get("b")
    if not isinstance(pk, int) or isinstance(pk, bool) or not 0 < pk < 2**63:
        raise CursorError(_("This page link is not valid."))
    if not isinstance(backwards, bool):
        raise CursorError(_("This page link is not valid."))
    segment = data.get("g", 0) if sort == Sort.URGENCY else 0
    if type(segment) is not int or not 0 <= segment < len(URGENCY_SEGMENTS):
        raise CursorError(_("This page link is not valid."))
    keyset = KEYSETS[sort]
    if keyset.key in KEY_EXPRESSIONS:
        try:
            key = datetime.fromisoformat(key) if isinstance(key, str) else None
        except ValueError:
            key = None
        if key is None or key.tzinfo is None:
            raise CursorError(_("This page link is not valid."))
    elif keyset.key is not None and not (isinstance(key, str) and len(key) <= 20):
        raise CursorError(_("This page link is not valid."))
    return key, pk, backwards, segment


def rows_after(keyset: Keyset, key: Any, pk: int, *, backwards: bool) -> Q | RowComparison:
    """Rows strictly after (key, pk) in the keyset's order (before it when ``backwards``)."""
    forward = keyset.ascending != backwards
    if keyset.key is None:
        return Q(pk__gt=pk) if forward else Q(pk__lt=pk)
    expression = KEY_EXPRESSIONS.get(keyset.key)
    field = DateTimeField() if expression is not None else CharField()
    key_expr = expression() if expression is not None else F(keyset.key)
    return RowComparison(
        key_expr,
        F("id"),
        Value(key, output_field=field),
        Value(pk, output_field=BigIntegerField()),
        op=">" if forward else "<",
    )


def keyset_order(keyset: Keyset, *, backwards: bool) -> list[Any]:
    up = keyset.ascending != backwards
    order: list[Any] = []
    if keyset.key is not None:
        order.append(F(keyset.key).asc() if up else F(keyset.key).desc())
    order.append("id" if up else "-id")
    return order


def keyset_key_of(keyset: Keyset, case: Case) -> Any:
    return getattr(case, keyset.key) if keyset.key else None
