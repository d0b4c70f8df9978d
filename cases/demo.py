"""Demo case generation for `manage.py seed_demo --cases N` (fast batch inserts)."""

from __future__ import annotations

from django.core.management.base import OutputWrapper


def seed_cases(*, total: int, stdout: OutputWrapper) -> int:
    raise NotImplementedError("demo case generation is being built")
