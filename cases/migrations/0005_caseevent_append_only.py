"""The timeline is append-only: the database itself refuses to UPDATE a case event.

(Deletes stay possible: deleting a case, which the application never does, cascades to its
events.)
"""

from django.db import migrations

PG_CREATE = [
    """
    CREATE OR REPLACE FUNCTION cases_caseevent_append_only() RETURNS trigger AS $$
    BEGIN
        RAISE EXCEPTION 'case events are append-only: event % cannot be changed', OLD.id;
    END;
    $$ LANGUAGE plpgsql
    """,
    """
    CREATE TRIGGER caseevent_append_only BEFORE UPDATE ON cases_caseevent
    FOR EACH ROW EXECUTE FUNCTION cases_caseevent_append_only()
    """,
]
PG_DROP = [
    "DROP TRIGGER IF EXISTS caseevent_append_only ON cases_caseevent",
    "DROP FUNCTION IF EXISTS cases_caseevent_append_only()",
]
SQLITE_CREATE = [
    """
    CREATE TRIGGER IF NOT EXISTS caseevent_append_only BEFORE UPDATE ON cases_caseevent
    BEGIN
        SELECT RAISE(ABORT, 'case events are append-only');
    END
    """
]
SQLITE_DROP = ["DROP TRIGGER IF EXISTS caseevent_append_only"]


def _run(schema_editor, statements_by_vendor):
    for statement in statements_by_vendor.get(schema_editor.connection.vendor, []):
        # No parameters: the PL/pgSQL text has a literal % that must not be interpolated.
        schema_editor.execute(statement, params=None)


def create_trigger(apps, schema_editor):
    _run(schema_editor, {"postgresql": PG_CREATE, "sqlite": SQLITE_CREATE})


def drop_trigger(apps, schema_editor):
    _run(schema_editor, {"postgresql": PG_DROP, "sqlite": SQLITE_DROP})


class Migration(migrations.Migration):
    dependencies = [("cases", "0004_severity_keyset_index")]

    operations = [migrations.RunPython(create_trigger, drop_trigger)]
