"""Shared by the SLA benchmarks: their own database and its data (the Celery processes that
work on it are in bench/_sla_celery.py).

The SLA benchmarks need up to a million *open* cases and exact numbers of due clocks, which
the shared benchmark database (10 % open, deadlines passing as it ages) cannot give without
disturbing the other benchmarks. So they run on a database of their own,
``SLA_BENCH_DATABASE_URL`` (default ``escalation_bench_sla`` next to ``escalation_bench``),
switched to for the duration of a module's ``run`` and back afterwards.

The data is deliberately plain: a ladder of teams (L1 desk -> L2 -> L3 -> management), a
Standard S3 policy on a 24x7 calendar, and open cases owned by L1 operators, each with a
response and a resolution clock whose deadlines lie years ahead. A benchmark then makes an
exact number of them due.
"""

from __future__ import annotations

import os
import random
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from django.contrib.auth.models import Group, User

    from cases.models import Team

DEFAULT_SLA_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/escalation_bench_sla"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"
FAR = 10 * 365 * 86400  # deadlines this far ahead never fall due during a benchmark
COPY_BATCH = 50_000
L1_OPERATORS = 40
L2_OPERATORS = 20
TITLE = "bench"
TITLE_BURST = "burst"


def sla_database_url() -> str:
    return os.environ.get("SLA_BENCH_DATABASE_URL", DEFAULT_SLA_DATABASE_URL)


def redis_url() -> str:
    return os.environ.get("REDIS_URL") or DEFAULT_REDIS_URL


@contextmanager
def sla_database(*, fresh: bool = False) -> Iterator[None]:
    """Point this process's default connection at the SLA benchmark database (created and
    migrated if needed; dropped first when ``fresh``) for the block; restore the previous one
    afterwards."""
    import dj_database_url
    from django.core.management import call_command
    from django.db import connections

    connection = connections["default"]
    previous = dict(connection.settings_dict)
    connection.close()
    parsed = dj_database_url.parse(sla_database_url())
    connection.settings_dict.update(
        {k: parsed[k] for k in ("NAME", "USER", "PASSWORD", "HOST", "PORT")}
    )
    try:
        if fresh:
            drop_database(sla_database_url())
        create_database_if_missing(sla_database_url())
        call_command("migrate", interactive=False, verbosity=0)
        ensure_reference()
        yield
    finally:
        connection.close()
        connection.settings_dict.clear()
        connection.settings_dict.update(previous)


def _admin(url: str, statement: Callable[[Any, str], None]) -> None:
    """Run ``statement(cursor, database name)`` on the server's maintenance database."""
    import psycopg2

    parsed = urlsplit(url)
    admin = psycopg2.connect(
        host=parsed.hostname or "127.0.0.1",
        port=parsed.port or 5432,
        user=parsed.username or "postgres",
        password=parsed.password or None,
        dbname="postgres",
    )
    try:
        admin.autocommit = True
        with admin.cursor() as cursor:
            statement(cursor, parsed.path.lstrip("/"))
    finally:
        admin.close()


def create_database_if_missing(url: str) -> None:
    from psycopg2 import sql

    def create(cursor: Any, name: str) -> None:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if cursor.fetchone() is None:
            cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))

    _admin(url, create)


def drop_database(url: str) -> None:
    from psycopg2 import sql

    def drop(cursor: Any, name: str) -> None:
        cursor.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )

    _admin(url, drop)


def ensure_reference() -> dict[str, Any]:
    """The ladder, one customer, the policy. Idempotent."""
    from django.contrib.auth.models import Group

    from cases.models import Customer, Tier
    from escalation.roles import Role
    from sla.models import BusinessCalendar, SlaPolicy

    operators = Group.objects.get_or_create(name=Role.OPERATOR.value)[0]
    managers = Group.objects.get_or_create(name=Role.MANAGER.value)[0]
    l1, l2, l1_people = _ladder(operators=operators, managers=managers)
    raiser = _person("bench-raiser", operators)
    customer = Customer.objects.get_or_create(
        name="Bench customer", defaults={"tier": Tier.STANDARD}
    )[0]
    calendar = BusinessCalendar.objects.get_or_create(
        name="Bench 24x7", defaults={"always_open": True, "time_zone": "UTC"}
    )[0]
    policy = SlaPolicy.objects.get_or_create(
        tier=Tier.STANDARD,
        severity="S3",
        defaults={
            "calendar": calendar,
            "response_minutes": 60,
            "resolution_minutes": 480,
            "update_minutes": None,
            "warn_percent": 75,
            "reescalate_minutes": None,
        },
    )[0]
    return {
        "l1": l1,
        "l2": l2,
        "l1_people": [u.pk for u in l1_people],
        "raiser": raiser,
        "customer": customer,
        "policy": policy,
    }


def _person(username: str, group: Group) -> User:
    """A bench user in ``group`` (created without a usable password)."""
    from django.contrib.auth import get_user_model

    user, created = get_user_model().objects.get_or_create(
        username=username, defaults={"email": f"{username}@bench.example"}
    )
    if created:
        user.set_unusable_password()
        user.save()
        user.groups.add(group)
    return user


def _ladder(*, operators: Group, managers: Group) -> tuple[Team, Team, list[User]]:
    """Management, L3, L2 and the L1 desk, each escalating to the next, with their people:
    the L1 and L2 teams and the L1 operators."""
    from cases.models import Level, Team

    boss = _person("bench-manager", managers)
    mgmt = Team.objects.get_or_create(
        name="Bench management", defaults={"level": Level.MANAGEMENT, "lead": boss}
    )[0]
    mgmt.members.add(boss)
    l3 = Team.objects.get_or_create(
        name="Bench L3", defaults={"level": Level.L3, "escalates_to": mgmt}
    )[0]
    l3.members.add(*[_person(f"bench-l3-{n}", operators) for n in range(5)])
    l2 = Team.objects.get_or_create(
        name="Bench L2", defaults={"level": Level.L2, "escalates_to": l3}
    )[0]
    l2.lead = _person("bench-l2-lead", operators)
    l2.save()
    l2.members.add(*[_person(f"bench-l2-{n}", operators) for n in range(L2_OPERATORS)])
    l1 = Team.objects.get_or_create(
        name="Bench desk", defaults={"level": Level.L1, "escalates_to": l2}
    )[0]
    l1.lead = _person("bench-l1-lead", operators)
    l1.save()
    l1_people = [_person(f"bench-l1-{n}", operators) for n in range(L1_OPERATORS)]
    l1.members.add(*l1_people)
    return l1, l2, l1_people


def _case_row(
    ref: dict[str, Any], rng: random.Random, *, title: str, raised: int, due: int, warn: int
) -> dict[str, Any]:
    """One new S3 case at the L1 desk, owned by a random L1 operator (epoch seconds), whose
    earliest running clock is due at ``due`` and warns at ``warn``."""
    from demo.clocks import case_marks

    return {
        "title": title,
        "description": "Generated for the SLA benchmarks.",
        "customer_id": ref["customer"].pk,
        "severity": "S3",
        "status": "new",
        "owner_id": rng.choice(ref["l1_people"]),
        "team_id": ref["l1"].pk,
        "level": "L1",
        "raised_by_id": ref["raiser"].pk,
        "raised_at": raised,
        "updated_at": raised,
        **case_marks([{"due_at": due, "warn_at": warn}], severity="S3"),
    }


def open_case_count() -> int:
    from cases.models import Case

    return Case.objects.open().count()


def top_up_open_cases(total: int, *, say: Any = print) -> int:
    """At least ``total`` open cases with running clocks far from due; COPY in batches."""
    from django.db import connection, transaction

    from cases.models import Case
    from demo.writers import CopyWriter
    from sla.models import CaseClock

    ref = ensure_reference()
    have = open_case_count()
    if have >= total:
        return have
    writer = CopyWriter()
    rng = random.Random(have)
    now = int(time.time())
    missing = total - have
    say(f"  adding {missing:,} open cases to the SLA benchmark database...")
    started = time.monotonic()
    while missing > 0:
        size = min(COPY_BATCH, missing)
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL synchronous_commit = off")
            rows = [
                _case_row(ref, rng, title=TITLE, raised=now, due=now + FAR, warn=now + FAR * 3 // 4)
                for _ in range(size)
            ]
            ids = writer.cases(rows)
            clocks = [
                {
                    "case_id": pk,
                    "kind": kind,
                    "policy_id": ref["policy"].pk,
                    "target_seconds": FAR,
                    "started_at": now,
                    "due_at": now + FAR,
                    "warn_at": now + FAR * 3 // 4,
                    "paused_seconds": 0,
                }
                for pk in ids
                for kind in ("response", "resolution")
            ]
            writer.rows(CaseClock, clocks)
        missing -= size
        say(f"    {total - missing:,}/{total:,} ({time.monotonic() - started:.0f} s)")
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {Case._meta.db_table}")
        cursor.execute(f"ANALYZE {CaseClock._meta.db_table}")
    return open_case_count()


def nothing_due(now: datetime, clock_ids: list[int] | None = None) -> None:
    """Push running clocks that were made due (``clock_ids``, or any: a full scan) far into
    the future again, and clear what a sweep or a worker left on them."""
    from django.db.models import Q

    from sla.models import CaseClock
    from sla.services import cases_sla_marks_refresh

    far = now + timedelta(seconds=FAR)
    clocks = CaseClock.objects.filter(stopped_at__isnull=True)
    if clock_ids is not None:
        clocks = clocks.filter(pk__in=clock_ids)
    else:
        clocks = clocks.filter(
            Q(warn_at__lt=now + timedelta(days=365)) | Q(dispatched_at__isnull=False)
        )
    case_ids = list(clocks.values_list("case_id", flat=True).distinct())
    clocks.update(
        warn_at=far - timedelta(days=1),
        due_at=far,
        warned_at=None,
        breached_at=None,
        dispatched_at=None,
        reescalate_at=None,
        escalation_count=0,
    )
    cases_sla_marks_refresh(case_ids=case_ids)  # the case's marks follow its clocks


def make_due(count: int, *, now: datetime, seed: int = 1) -> list[int]:
    """Make the response clocks of ``count`` random open bench cases due (warning and breach)
    at ``now``; the ids of those clocks."""
    from django.db import connection

    from sla.models import CaseClock
    from sla.services import cases_sla_marks_refresh

    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id FROM {CaseClock._meta.db_table} "
            "WHERE kind = 'response' AND stopped_at IS NULL "
            "ORDER BY md5(id::text || %s) LIMIT %s",
            [str(seed), count],
        )
        ids = [row[0] for row in cursor.fetchall()]
    CaseClock.objects.filter(pk__in=ids).update(
        warn_at=now - timedelta(seconds=30), due_at=now - timedelta(seconds=1)
    )
    cases_sla_marks_refresh(
        case_ids=CaseClock.objects.filter(pk__in=ids).values_list("case_id", flat=True)
    )
    return ids


def new_cases_due_at(deadlines: list[datetime], *, title: str) -> list[int]:
    """Fresh open bench cases (via COPY) whose one-hour response clocks fall due at
    ``deadlines``; their case ids. Their warnings (at 75 %) were taken already, so the breach
    is the one step to take; the resolution clocks fall due hours later."""
    from django.db import transaction

    from demo.writers import CopyWriter
    from sla.models import CaseClock

    ref = ensure_reference()
    writer = CopyWriter()
    rng = random.Random(len(deadlines))
    ids: list[int] = []
    for start in range(0, len(deadlines), COPY_BATCH):
        chunk = deadlines[start : start + COPY_BATCH]
        with transaction.atomic():
            rows = []
            for due in chunk:
                raised = int(due.timestamp()) - 3600
                rows.append(
                    _case_row(
                        ref, rng, title=title, raised=raised, due=raised + 3600, warn=raised + 2700
                    )
                )
            chunk_ids = writer.cases(rows)
            clocks = []
            for pk, row in zip(chunk_ids, rows, strict=True):
                raised = row["raised_at"]
                clocks.append(
                    {
                        "case_id": pk,
                        "kind": "response",
                        "policy_id": ref["policy"].pk,
                        "target_seconds": 3600,
                        "started_at": raised,
                        "due_at": raised + 3600,
                        "warn_at": raised + 2700,
                        "warned_at": raised + 2700,
                        "paused_seconds": 0,
                    }
                )
                clocks.append(
                    {
                        "case_id": pk,
                        "kind": "resolution",
                        "policy_id": ref["policy"].pk,
                        "target_seconds": 8 * 3600,
                        "started_at": raised,
                        "due_at": raised + 8 * 3600,
                        "warn_at": raised + 6 * 3600,
                        "warned_at": None,
                        "paused_seconds": 0,
                    }
                )
            writer.rows(CaseClock, clocks)
            ids += chunk_ids
    return ids


def retire(case_ids: list[int], *, now: datetime) -> None:
    """Close benchmark cases and stop their clocks, so later runs do not see them."""
    from cases.models import Case
    from sla.models import CaseClock
    from sla.services import cases_sla_marks_refresh

    for start in range(0, len(case_ids), 10_000):
        chunk = case_ids[start : start + 10_000]
        CaseClock.objects.filter(case_id__in=chunk, stopped_at__isnull=True).update(
            stopped_at=now, met=True, elapsed_seconds=0, late_seconds=0, reescalate_at=None
        )
        Case.objects.filter(pk__in=chunk).update(status="closed")
        cases_sla_marks_refresh(case_ids=chunk)
