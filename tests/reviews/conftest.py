from __future__ import annotations

from collections.abc import Iterator

import pytest

from escalation.celery import app


@pytest.fixture(autouse=True)
def eager_tasks() -> Iterator[None]:
    """Tasks queued from on_commit callbacks run in the test process, not on a broker."""
    previous = app.conf.task_always_eager, app.conf.task_eager_propagates
    app.conf.task_always_eager = app.conf.task_eager_propagates = True
    try:
        yield
    finally:
        app.conf.task_always_eager, app.conf.task_eager_propagates = previous


@pytest.fixture(autouse=True)
def fast_password_hashing(settings) -> None:  # type: ignore[no-untyped-def]
    """Every CaseFactory makes a user; hashing their password properly takes most of a test."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
