from __future__ import annotations

import logging

from escalation.celery import app

logger = logging.getLogger(__name__)


def broker_ok(timeout: float = 0.5) -> bool:
    """True when the Celery broker accepts a connection within ``timeout`` seconds, tried once:
    a load balancer polls /healthz often, and each call holds a web worker while it waits."""
    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=0, timeout=timeout)
        return True
    except Exception:
        logger.warning("broker health check failed", exc_info=True)
        return False
