"""gunicorn's settings file, which gunicorn reads from the working directory by itself (the
Procfile's and docker-compose's command lines stay as they are).

A worker that exits (restarted, or killed by its timeout) is reported to the metrics, as
prometheus-client's multiprocess mode asks (escalation.metrics.process_dead).
"""

from __future__ import annotations

import os
from typing import Any

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "escalation.settings")

# After the settings module is named: importing the metrics reads the settings.
from escalation.metrics import process_dead


def child_exit(server: Any, worker: Any) -> None:
    process_dead(worker.pid)
