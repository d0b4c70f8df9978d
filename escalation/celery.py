"""The Celery application: configuration comes from Django settings (CELERY_* names).

Queues: the default one (``CELERY_QUEUE``) and one per lane of ``settings.TASK_LANES``, named
``<default>.<lane>``. The router names a lane's queue after the app's default queue when the task
is sent, so a process whose default queue differs (a test run's own queue) keeps its lanes apart.
"""

from __future__ import annotations

import os
from typing import Any

from celery import Celery
from django.conf import settings

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
