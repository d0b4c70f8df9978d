"""Writing many rows at once, for set-based services: inserting new ones (``objects_insert``)
and saving the same fields of existing ones (``objects_update``)."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from typing import Any, TypeVar

from django.db import connections, models, router
from django.utils import timezone

from escalation.db import is_postgresql

# Up to this many distinct sets of values, one plain UPDATE per set (an index lookup by id);
# beyond it, one ``bulk_update`` (a CASE per field) for all the rows.
FEW_VALUE_SETS = 4

M = TypeVar("M", bound=models.Model)


def objects_insert(objects: Sequence[M], *, ignore_conflicts: bool = False) -> list[M]:
    """Insert ``objects`` (new instances of one model), setting their primary keys as
    ``bulk_create`` does; the objects, as a list.

    On PostgreSQL one ``INSERT ... SELECT FROM unnest(...)``, an array per column read straight
    from the instances: ``bulk_create`` prepares every value of every row through its field
    (a dozen calls per value), which in the SLA engine's storm of breaches cost more than
    deciding the escalations (bench/sla_burst.py). The values are those of the instances as
    they are: what the columns hold (numbers, text, aware datetimes, choices, ids), JSON
    serialised by its field's encoder, an ``auto_now``/``auto_now_add`` field left empty
    stamped now. With ``ignore_conflicts`` a row that violates a constraint is left out and
    keeps no primary key. Other databases: ``bulk_create``.
    """
    objects = list(objects)
    if not objects:
        return objects
    model = type(objects[0])
    alias = router.db_for_write(model)
    if not is_postgresql(alias):
        model._default_manager.bulk_create(objects, ignore_conflicts=ignore_conflicts)
        return objects
    connection = connections[alias]
    meta = model._meta
    pk: Any = meta.pk
    fields: list[Any] = [
        f for f in meta.concrete_fields if f is not pk or objects[0].pk is not None
    ]
    now = timezone.now()
    for field in fields:
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            for obj in objects:
                if getattr(obj, field.attname) is None:
                    setattr(obj, field.attname, now)
    quote = connection.ops.quote_name
    arrays: list[str] = []
    params: list[list[Any]] = []
    for field in fields:
        values = [getattr(obj, field.attname) for obj in objects]
        if isinstance(field, models.JSONField):
            arrays.append("%s::text[]")
            params.append([None if v is None else json.dumps(v, cls=field.encoder) for v in values])
        else:
            arrays.append(f"%s::{field.db_type(connection)}[]")
            params.append(values)
    names = [quote(field.column) for field in fields]
    selected = [
        f"u.{name}::jsonb" if isinstance(field, models.JSONField) else f"u.{name}"
        for name, field in zip(names, fields, strict=True)
    ]
    sql = (
        f"INSERT INTO {quote(meta.db_table)} ({', '.join(names)}) "
        f"SELECT {', '.join(selected)} FROM unnest({', '.join(arrays)}) AS u({', '.join(names)})"
        f"{' ON CONFLICT DO NOTHING' if ignore_conflicts else ''} RETURNING {quote(pk.column)}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        returned = [row[0] for row in cursor.fetchall()]
    if not ignore_conflicts or len(returned) == len(objects):
        for obj, key in zip(objects, returned, strict=True):
            setattr(obj, pk.attname, key)
    for obj in objects:
        obj._state.adding = False
        obj._state.db = alias
    return objects


def objects_update(objects: Sequence[models.Model], fields: Sequence[str]) -> int:
    """Save ``fields`` of ``objects`` (instances of one model) as they are in memory; the
    number of statements it took.

    1. Group the rows by their values of ``fields``: a storm of rows changed the same way (the
       same deadline breached, the same new owner) shares one set.
    2. Few sets: ``UPDATE ... WHERE id IN (...)`` per set.
    3. Else, on PostgreSQL, one ``UPDATE ... FROM (VALUES ...)``: Django's ``bulk_update``
       builds a CASE expression per row and field, which for a batch of a hundred clocks
       took longer in Python than all the rest of the escalation (bench/sla_burst.py); on
       other databases, ``bulk_update``.
    """
    if not objects:
        return 0
    model = type(objects[0])
    attnames = {field.name: field.attname for field in model._meta.concrete_fields}
    columns = [attnames[name] for name in fields]
    groups: defaultdict[tuple[Any, ...], list[Any]] = defaultdict(list)
    for obj in objects:
        groups[tuple(getattr(obj, column) for column in columns)].append(obj.pk)
    if len(groups) > FEW_VALUE_SETS:
        if is_postgresql(router.db_for_write(model)):
            _update_from_values(model, objects, fields)
        else:
            model._default_manager.bulk_update(objects, list(fields))
        return 1
    for values, pks in groups.items():
        model._default_manager.filter(pk__in=pks).update(**dict(zip(columns, values, strict=True)))
    return len(groups)


def _update_from_values(
    model: type[models.Model], objects: Sequence[models.Model], fields: Sequence[str]
) -> None:
    """One ``UPDATE ... FROM (VALUES (id, value, ...), ...)`` for all ``objects``; each value
    prepared and cast by its field, as the ORM would."""
    connection = connections[router.db_for_write(model)]
    quote = connection.ops.quote_name
    meta = model._meta
    by_name = {field.name: field for field in meta.concrete_fields}
    columns: list[Any] = [meta.pk, *(by_name[name] for name in fields)]
    row = "(" + ", ".join(f"%s::{field.db_type(connection)}" for field in columns) + ")"
    params = [
        field.get_db_prep_value(getattr(obj, field.attname), connection)
        for obj in objects
        for field in columns
    ]
    names = ", ".join(quote(field.column) for field in columns)
    assignments = ", ".join(f"{quote(f.column)} = v.{quote(f.column)}" for f in columns[1:])
    pk = quote(columns[0].column)
    sql = (
        f"UPDATE {quote(meta.db_table)} AS t SET {assignments} "
        f"FROM (VALUES {', '.join([row] * len(objects))}) AS v({names}) WHERE t.{pk} = v.{pk}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
