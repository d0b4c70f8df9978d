"""Database, Celery broker and queues, cache."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from kombu import Exchange, Queue

from escalation.settings.core import TIME_ZONE, VAR_DIR
from escalation.settings.env import env, env_int, redis_next_database

# Database: SQLite file under var/ by default, PostgreSQL when DATABASE_URL says so.
_database_url = env("DATABASE_URL")
if _database_url:
    try:
        DATABASES = {"default": dj_database_url.parse(_database_url, conn_max_age=60)}
        # Django streams .iterator() (and every <select> of a ModelChoiceField) through a
        # server-side cursor: DECLARE, FETCH, CLOSE, three round trips for a few rows. Off,
        # the rows come in one; it is also what PgBouncer's transaction pooling needs.
        DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = True
    except ValueError as exc:
        raise ImproperlyConfigured(f"DATABASE_URL is not a valid database URL: {exc}") from None
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(VAR_DIR / "escalation.sqlite3"),
            "OPTIONS": {
                # WAL lets the web process read while the worker writes.
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
            },
            # A file, not memory, so a Celery worker process can share the test database.
            "TEST": {"NAME": str(VAR_DIR / "test.sqlite3")},
        }
    }

# Celery: Redis when REDIS_URL is set, otherwise an embedded broker on the filesystem.
REDIS_URL = env("REDIS_URL")
if REDIS_URL:
    if not REDIS_URL.startswith(("redis://", "rediss://", "unix://")):
        raise ImproperlyConfigured(f"REDIS_URL must be a redis:// URL, not {REDIS_URL!r}")
    CELERY_BROKER_URL = REDIS_URL
    CELERY_RESULT_BACKEND = REDIS_URL
    # Retry countdowns stay well under half of the visibility timeout (see sla.tasks).
    CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, object] = {"visibility_timeout": 3600}
else:
    _broker_dir = VAR_DIR / "celery"
    for _sub in ("out", "processed", "results", "control"):
        (_broker_dir / _sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "out"),
        "data_folder_out": str(_broker_dir / "out"),
        "data_folder_processed": str(_broker_dir / "processed"),
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
    }
    CELERY_RESULT_BACKEND = f"file://{_broker_dir / 'results'}"
# Queues are named after CELERY_QUEUE, so several deployments (or parallel test runs) share one
# Redis. Mail and the SLA sweep have queues of their own, "<CELERY_QUEUE>.<lane>": a slow or absent
# mail server never holds up escalations, and escalations backing up the default queue never make
# a sweep expire unrun. A worker consumes every queue declared here unless its -Q says otherwise;
# the router (escalation.celery.route_to_lane) names the lane's queue after the app's default.
CELERY_TASK_DEFAULT_QUEUE = env("CELERY_QUEUE", "celery")
TASK_LANES = {
    "sla.tasks.sla_sweep": "sla-sweep",
    # The look-ahead's countdown tasks (sla.soon): fetched at once, held until their moment.
    "sla.tasks.clocks_soon": "sla-sweep",
    "sla.tasks.mail_send": "mail",
    "sla.tasks.mail_redispatch": "mail",
    # Scoring every running clock takes seconds: never in front of the escalations.
    "forecasts.tasks.risks_score": "forecasts",
    "forecasts.tasks.forecast_train": "forecasts",
}
CELERY_TASK_QUEUES = [
    Queue(name, Exchange(name), routing_key=name)
    for name in [
        CELERY_TASK_DEFAULT_QUEUE,
        *(f"{CELERY_TASK_DEFAULT_QUEUE}.{lane}" for lane in sorted(set(TASK_LANES.values()))),
    ]
]
CELERY_TASK_ROUTES = ("escalation.celery.route_to_lane",)
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# A task is killed after CELERY_TASK_TIME_LIMIT seconds (asked to stop at 80 % of it). The
# outbox's claims last as long (sla.outbox.MAIL_CLAIM): messages a killed worker had claimed go
# out again once that has passed.
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 300, minimum=10)
CELERY_TASK_SOFT_TIME_LIMIT = CELERY_TASK_TIME_LIMIT * 4 // 5
CELERY_RESULT_EXPIRES = timedelta(days=1)
CELERY_TIMEZONE = TIME_ZONE
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_WORKER_HIJACK_ROOT_LOGGER = False

# The cache on a Redis database of its own: clearing it (cache.clear() is FLUSHDB) must never
# drop the broker's queued tasks. Default: the broker's server, database number + 1
# (redis://redis:6379/0 -> redis://redis:6379/1); CACHE_REDIS_URL set wins.
CACHE_REDIS_URL = env("CACHE_REDIS_URL")
if not CACHE_REDIS_URL and REDIS_URL:
    CACHE_REDIS_URL = redis_next_database(REDIS_URL, name="REDIS_URL")
if CACHE_REDIS_URL and not CACHE_REDIS_URL.startswith(("redis://", "rediss://", "unix://")):
    raise ImproperlyConfigured(f"CACHE_REDIS_URL must be a redis:// URL, not {CACHE_REDIS_URL!r}")
CACHES: dict[str, dict[str, Any]] = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
}
if CACHE_REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": CACHE_REDIS_URL,
            # Several deployments (or parallel test processes) may share one Redis.
            "KEY_PREFIX": env("CACHE_KEY_PREFIX", ""),
            # A Redis outage costs a request at most this long, not a hung worker.
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 1.0},
        }
    }
