"""Escalation settings: one package by subject, driven by environment variables.

Out of the box (no variables set) it runs for development: SQLite under ``var/``, Celery on a
filesystem broker under ``var/``, mail printed to the console. Production sets ``DEBUG=false``,
``SECRET_KEY``, ``ALLOWED_HOSTS``, ``DATABASE_URL`` and ``REDIS_URL``; see README.md.

``DJANGO_SETTINGS_MODULE=escalation.settings`` reads this module, which takes every setting of
its parts in this order: a later part may read (and extend) an earlier one's, never the reverse.
"""

from __future__ import annotations

from escalation.settings.api import *  # noqa: F403
from escalation.settings.comms import *  # noqa: F403
from escalation.settings.core import *  # noqa: F403
from escalation.settings.data import *  # noqa: F403
from escalation.settings.env import *  # noqa: F403
from escalation.settings.observability import *  # noqa: F403
from escalation.settings.reports import *  # noqa: F403
from escalation.settings.schedule import *  # noqa: F403
from escalation.settings.security import *  # noqa: F403
from escalation.settings.sla import *  # noqa: F403
