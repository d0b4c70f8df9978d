"""Which database answers: PostgreSQL in production and CI, SQLite as the embedded default of
``make run`` (README, "Databases").

Code with a PostgreSQL-only fast path asks here, once per feature, and otherwise takes a plain
ORM path that runs on any database (so the tests can run it on PostgreSQL too and compare).
Migrations keep asking ``schema_editor.connection.vendor``: they must not depend on code that
may change after they ran.
"""

from __future__ import annotations

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.backends.base.base import BaseDatabaseWrapper


def is_postgresql(using: str | BaseDatabaseWrapper = DEFAULT_DB_ALIAS) -> bool:
    """Whether the connection ``using`` (an alias or the connection itself) is PostgreSQL."""
    connection = connections[using] if isinstance(using, str) else using
    return connection.vendor == "postgresql"
