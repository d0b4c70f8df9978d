"""Demo case generation for `manage.py seed_demo --cases N` (fast batch inserts)."""

from __future__ import annotations

from typing import TextIO


def seed_cases(*, total: int, stdout: TextIO) -> int:
    raise NotImplementedError("demo case generation is being built")
