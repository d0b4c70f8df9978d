"""A covering index for the related-case lookup of the raise form (PostgreSQL only).

The lookup groups one customer's cases of the last 30 days by title (see
``reviews.selectors.related``). With the title and the visibility columns in the index, that is
an index-only range scan of a few thousand entries instead of as many heap fetches. Built
CONCURRENTLY so an existing large table keeps taking writes while it builds.
"""

from django.db import migrations

INDEX = "reviews_case_customer_titles_idx"


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {INDEX} ON cases_case "
        "(customer_id, raised_at) INCLUDE (id, title, team_id, raised_by_id)"
    )


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    atomic = False
    dependencies = [("reviews", "0002_pg_trgm"), ("cases", "0002_case_last_customer_update")]

    operations = [migrations.RunPython(create_index, drop_index)]
