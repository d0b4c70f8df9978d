"""API rate limits that fail open: the throttle history lives in the cache (Redis), and an API
that answers 500 to everyone while Redis is down protects nothing. When the cache cannot be
reached the request goes through and the outage is logged (the rest of the app, and /healthz,
report the broker down on their own)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from redis.exceptions import RedisError
from rest_framework import throttling
from rest_framework.request import Request

if TYPE_CHECKING:  # DRF's views import the throttle classes named in the settings
    from rest_framework.views import APIView

logger = logging.getLogger(__name__)

# What the Redis cache backend raises when the server is down or unreachable.
CACHE_ERRORS = (RedisError, ConnectionError, TimeoutError, OSError)


class FailOpen:
    """Mix in before a DRF ``SimpleRateThrottle``."""

    def allow_request(self, request: Request, view: APIView) -> bool:
        try:
            return super().allow_request(request, view)  # type: ignore[misc, no-any-return]
        except CACHE_ERRORS:
            logger.warning(
                "API throttle %s let a request through: the cache is unreachable",
                type(self).__name__,
                exc_info=True,
            )
            return True


class AnonRateThrottle(FailOpen, throttling.AnonRateThrottle):
    pass


class UserRateThrottle(FailOpen, throttling.UserRateThrottle):
    pass


class ScopedRateThrottle(FailOpen, throttling.ScopedRateThrottle):
    pass
