"""The Celery application: configuration comes from Django settings (CELERY_* names).

Queues: the default one (``CELERY_QUEUE``) and one per lane of ``settings.TASK_LANES``, named
``<default>.<lane>``. The router names a lane's queue after the app's default queue when the task
is sent, so a process whose default queue differs (a test run's own queue) keeps its lanes apart.
"""

from __future__ import annotations

import os
from typing import Any

from celery import Celery, Task, signals
from django.conf import settings

from escalation import logs, metrics

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "escalation.settings")

app = Celery("escalation")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


def lane_queue(default: str, lane: str) -> str:
    return f"{default}.{lane}"


def queue_names(default: str) -> list[str]:
    """Every queue of a deployment whose default queue is ``default``: a worker serves them all."""
    lanes = sorted(set(settings.TASK_LANES.values()))
    return [default, *(lane_queue(default, lane) for lane in lanes)]


def route_to_lane(name: str, *args: Any, **kwargs: Any) -> dict[str, str] | None:
    """Celery router (``CELERY_TASK_ROUTES``): a task with a lane goes to the lane's queue."""
    lane = settings.TASK_LANES.get(name)
    if lane is None:
        return None
    return {"queue": lane_queue(app.conf.task_default_queue, lane)}


# --- Metrics and log context of every task (escalation.metrics, escalation.logs) --------------


@signals.before_task_publish.connect
def _task_publishing(headers: dict[str, Any], **_: Any) -> None:
    logs.task_headers_add(headers)


@signals.task_prerun.connect
def _task_starting(task_id: str, task: Task, args: Any, kwargs: Any, **_: Any) -> None:
    logs.task_context_enter(task=task, task_id=task_id, args=args, kwargs=kwargs)
    metrics.task_started(task_id)


@signals.task_postrun.connect
def _task_ended(task_id: str, task: Task, **_: Any) -> None:
    metrics.task_finished(task_id, task.name)
    logs.task_context_exit(task_id=task_id)


@signals.task_success.connect
def _task_succeeded(sender: Task, **_: Any) -> None:
    metrics.task_outcome_count(task_name=sender.name, outcome="success")


@signals.task_retry.connect
def _task_retried(sender: Task, request: Any, reason: Any, **_: Any) -> None:
    metrics.task_outcome_count(task_name=sender.name, outcome="retry")
    logs.task_retry_log(task=sender, request=request, reason=reason)


@signals.task_failure.connect
def _task_failed(sender: Task, exception: BaseException, **_: Any) -> None:
    metrics.task_outcome_count(task_name=sender.name, outcome="failure")
    logs.task_failure_log(task=sender, exception=exception)


@signals.worker_process_shutdown.connect
def _pool_process_ended(**_: Any) -> None:
    metrics.process_dead()
