from __future__ import annotations

import pytest

from escalation.tasks import ping

pytestmark = pytest.mark.integration


@pytest.mark.django_db(transaction=True)
def test_a_task_round_trips_through_a_real_worker(celery_processes, celery_worker_process) -> None:
    worker = celery_worker_process()
    result = ping.apply_async(args=["hello"], queue=celery_processes.queue)
    try:
        assert result.get(timeout=60) == "pong:hello"
    except Exception:  # noqa: BLE001 - any failure: show the worker's log
        pytest.fail(f"no answer from the worker:\n{celery_processes.output()}")
    assert worker.poll() is None, "the worker died"
