"""Rate limits for pages anyone may open (the customer's status page): fixed windows counted in
the cache, by Django's public cache API.

Like the API throttles (``escalation.throttling``) they fail open: when the cache cannot be
reached the request goes through and the outage is logged, since a public page that answers
500 to every customer while Redis is down protects nothing.

The client's address is read as django-axes reads it for the login (``TRUSTED_PROXY_COUNT``
proxies in front: the address they forwarded; none: ``REMOTE_ADDR``), so the two limits agree
on who a visitor is.
"""

from __future__ import annotations

import hashlib
import logging
import time

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest
from ipware import get_client_ip

from escalation.throttling import CACHE_ERRORS

logger = logging.getLogger(__name__)


def client_address(request: HttpRequest) -> str:
    """The visitor's IP address ("unknown" when none can be read)."""
    address, _routable = get_client_ip(
        request,
        proxy_count=settings.AXES_IPWARE_PROXY_COUNT,
        request_header_order=settings.AXES_IPWARE_META_PRECEDENCE_ORDER,
    )
    return address or "unknown"


def rate_exceeded(*, scope: str, key: str, limit: int, period: int) -> bool:
    """Count one request of ``key`` in ``scope``'s current window of ``period`` seconds; True
    once the window holds more than ``limit`` (the request should be refused).

    The key is hashed (a signed link or an address, never stored in the cache as it is); the
    counter lives a little longer than its window and is never read after it."""
    digest = hashlib.sha256(key.encode()).hexdigest()[:32]
    window = int(time.time()) // period
    cache_key = f"ratelimit:{scope}:{digest}:{window}"
    try:
        if cache.add(cache_key, 1, timeout=period + 5):
            return limit < 1
        try:
            count = cache.incr(cache_key)
        except ValueError:  # expired between add and incr: this request opens a new count
            cache.set(cache_key, 1, timeout=period + 5)
            count = 1
    except CACHE_ERRORS:
        logger.warning(
            "Rate limit %s let a request through: the cache is unreachable", scope, exc_info=True
        )
        return False
    return count > limit


def window_left(*, period: int) -> int:
    """Seconds until the current window of ``period`` seconds ends (a 429's Retry-After)."""
    return period - int(time.time()) % period
