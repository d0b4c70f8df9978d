"""The portable path of a feature (the plain ORM one the embedded SQLite default takes) run on
PostgreSQL too, so a test can check it against the fast path on the same data.

Each such feature asks ``escalation.db.is_postgresql`` once; ``take_portable_path`` makes the
named modules hear "no" for the rest of the test.
"""

from __future__ import annotations

from types import ModuleType

import pytest
from django.db import connection

FAST = "postgresql"
PORTABLE = "portable"
# On SQLite the portable path is the only one.
PATHS = [FAST, PORTABLE] if connection.vendor == "postgresql" else [PORTABLE]


def take_portable_path(monkeypatch: pytest.MonkeyPatch, *modules: ModuleType) -> None:
    for module in modules:
        monkeypatch.setattr(module, "is_postgresql", lambda using="default": False)
