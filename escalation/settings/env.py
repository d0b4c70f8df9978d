"""The strict, named-variable helpers every part of the settings reads the environment with."""

from __future__ import annotations

import os
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env(name: str, default: str = "") -> str:
    # A variable that is set but empty counts as unset (compose files often pass "").
    return os.environ.get(name) or default


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {raw!r}")


def env_int(name: str, default: int, *, minimum: int = 0) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {raw!r}") from None
    if value < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}, not {value}")
    return value


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in env(name, default).split(",") if item.strip()]


def env_pairs(name: str) -> tuple[tuple[str, str], ...]:
    """``"a=X,b=Y"`` as ``(("a", "X"), ("b", "Y"))``; a claim value may appear twice."""
    pairs = []
    for item in env_list(name):
        key, sep, value = item.partition("=")
        if not sep or not key.strip() or not value.strip():
            raise ImproperlyConfigured(f"{name} must be 'claim value=name, ...', not {item!r}")
        pairs.append((key.strip(), value.strip()))
    return tuple(pairs)


# Redis has databases 0-15 unless its `databases` directive says otherwise.
REDIS_LAST_DEFAULT_DATABASE = 15


def redis_next_database(url: str, *, name: str) -> str:
    """The same Redis server as ``url``, on the database after ``url``'s.

    1. ``redis://host:6379/4`` (or ``rediss://``): the path names the database, none is 0.
    2. ``unix:///run/redis.sock?db=4``: the ``db`` parameter does.
    3. Past database 15, Redis's default last one, the caller must name a URL of its own.
    """
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query))
    raw = query.get("db", "0") if parts.scheme == "unix" else parts.path.strip("/") or "0"
    try:
        database = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} names no Redis database number: {url!r}") from None
    if database >= REDIS_LAST_DEFAULT_DATABASE:
        raise ImproperlyConfigured(
            f"{name} uses Redis database {database}, the next one may not exist: "
            "set CACHE_REDIS_URL to a database of its own"
        )
    if parts.scheme == "unix":
        query["db"] = str(database + 1)
        # Not urlunsplit: it would drop the empty host of unix:///path.
        return f"unix://{parts.netloc}{parts.path}?{urlencode(query)}"
    return urlunsplit(parts._replace(path=f"/{database + 1}"))
