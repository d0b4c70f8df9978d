"""Saving the same fields of many rows at once, for set-based services."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from django.db import connections, models, router

from escalation.db import is_postgresql

# Up to this many distinct sets of values, one plain UPDATE per set (an index lookup by id);
# beyond it, one ``bulk_update`` (a CASE per field) for all the rows.
FEW_VALUE_SETS = 4


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
