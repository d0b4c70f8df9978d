"""The what-if replay's task: takes the replay's id and runs it (``sla.whatif.replay_run``).

Registered by ``SlaConfig.ready`` (Celery's autodiscovery looks in ``sla.tasks`` only). A task
delivered twice finds the replay claimed and returns; a replay whose row is gone is skipped.
"""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from escalation.task_retry import DATABASE_RETRY
from sla.whatif import replay_run


@shared_task(name="sla.whatif_tasks.whatif_replay", **DATABASE_RETRY)
def whatif_replay(replay_id: int) -> None:
    replay_run(replay_id=replay_id, now=timezone.now())
