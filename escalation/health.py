from __future__ import annotations

import logging

from escalation.celery import app

logger = logging.getLogger(__name__)


def broker_ok(timeout: float = 2.0) -> bool:
    """True when the Celery broker accepts a connection within ``timeout`` seconds."""
    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=timeout)
        return True
    except Exception:
        logger.warning("broker health check failed", exc_info=True)
        return False
