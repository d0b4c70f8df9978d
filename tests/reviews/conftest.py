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
