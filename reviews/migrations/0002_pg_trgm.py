"""The pg_trgm extension, for finding cases with similar titles (PostgreSQL only).

SQLite has no trigram similarity; there the related-case lookup falls back to word matching.
IF NOT EXISTS keeps this safe next to any other app creating the same extension.
"""

from django.db import migrations


def create_extension(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")


class Migration(migrations.Migration):
    dependencies = [("reviews", "0001_initial")]

    # Dropping the extension on reverse could break other apps' indexes, so reverse is a no-op.
    operations = [migrations.RunPython(create_extension, migrations.RunPython.noop)]
