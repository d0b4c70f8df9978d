"""The cache lives on a Redis database of its own, so clearing it never drops queued tasks."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from kombu import Connection

from escalation.settings.env import redis_next_database

ROOT = Path(__file__).resolve().parents[2]


def cache_location_in_a_new_process(**environ: str) -> subprocess.CompletedProcess[str]:
    """The cache's LOCATION as a process loading the settings with ``environ`` sees it."""
    base = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "CACHE_REDIS_URL")}
    code = (
        "import escalation.settings as s; "
        "print(s.CACHES['default'].get('LOCATION', 'memory'), s.CELERY_BROKER_URL)"
    )
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=base | environ,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    ("broker", "cache_url"),
    [
        ("redis://redis:6379/0", "redis://redis:6379/1"),
        ("redis://redis:6379", "redis://redis:6379/1"),
        (
            "rediss://:secret@redis:6380/4?ssl_cert_reqs=none",
            "rediss://:secret@redis:6380/5?ssl_cert_reqs=none",
        ),
        ("unix:///run/redis.sock?db=2", "unix:///run/redis.sock?db=3"),
        ("unix:///run/redis.sock", "unix:///run/redis.sock?db=1"),
    ],
)
def test_the_cache_defaults_to_the_database_after_the_brokers(broker: str, cache_url: str) -> None:
    assert redis_next_database(broker, name="REDIS_URL") == cache_url


def test_a_broker_on_the_last_database_needs_a_cache_url_of_its_own() -> None:
    with pytest.raises(ImproperlyConfigured, match="set CACHE_REDIS_URL"):
        redis_next_database("redis://redis:6379/15", name="REDIS_URL")
    with pytest.raises(ImproperlyConfigured, match="names no Redis database number"):
        redis_next_database("redis://redis:6379/cache", name="REDIS_URL")


def test_the_settings_put_the_cache_next_to_the_broker_unless_told_otherwise() -> None:
    default = cache_location_in_a_new_process(REDIS_URL="redis://redis:6379/6")
    assert default.stdout.split() == ["redis://redis:6379/7", "redis://redis:6379/6"]

    explicit = cache_location_in_a_new_process(
        REDIS_URL="redis://redis:6379/6", CACHE_REDIS_URL="redis://cache:6379/0"
    )
    assert explicit.stdout.split() == ["redis://cache:6379/0", "redis://redis:6379/6"]

    without_redis = cache_location_in_a_new_process()
    assert without_redis.stdout.split() == ["memory", "filesystem://"]


def test_a_cache_url_that_is_not_redis_stops_the_app_with_a_message() -> None:
    refused = cache_location_in_a_new_process(CACHE_REDIS_URL="memcached://cache:11211")
    assert refused.returncode != 0
    assert "CACHE_REDIS_URL must be a redis:// URL" in refused.stderr


def test_a_queued_message_in_the_broker_survives_clearing_the_cache() -> None:
    if not settings.REDIS_URL:
        pytest.skip("REDIS_URL is not set: the broker and the cache are not Redis")
    queue_name = f"test-cache-clear-{uuid.uuid4().hex}"
    with Connection(settings.CELERY_BROKER_URL) as connection:
        queue = connection.SimpleQueue(queue_name)
        try:
            queue.put({"task": "sla.tasks.sla_sweep", "id": queue_name})
            cache.set("a-cached-figure", 42)

            cache.clear()

            assert cache.get("a-cached-figure") is None
            message = queue.get(timeout=1)
            assert message.payload == {"task": "sla.tasks.sla_sweep", "id": queue_name}
            message.ack()
        finally:
            queue.queue.delete()
            queue.close()
