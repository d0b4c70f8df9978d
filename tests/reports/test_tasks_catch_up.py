"""The Monday task catches up every finished week nobody froze, a few weeks per run, once.

The fortnight's first case (c8) was raised in 2026-W05, "now" is Monday of W11: W05 to W10 are
finished, W11 is live.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from django.core import mail
from django.db import connection, transaction

from escalation.celery import app
from reports import services, tasks
from reports.models import WeeklySnapshot
from reports.selectors import ReportFilters
from reports.services import CATCH_UP_LOCK_KEY, snapshot_catch_up, week_report
from reports.tasks import weekly_snapshot
from reports.weeks import IsoWeek
from tests.conftest import require_service
from tests.reports.conftest import NOW, W09, W10, W11, Fortnight, at
from tests.reports.factories import ReportCaseFactory
from tests.threads import in_threads

pytestmark = pytest.mark.django_db

W05 = IsoWeek(2026, 5)
PAST = [W05.shifted(i) for i in range(6)]  # W05 .. W10


def frozen_weeks() -> list[IsoWeek]:
    days = WeeklySnapshot.objects.filter(filters_key="").values_list("week_start", flat=True)
    return sorted(IsoWeek.of_date(day) for day in days)


@pytest.fixture
def eager() -> Iterator[None]:
    """Tasks queued by a task run at once, in this process (the chain of catch-up runs)."""
    previous = app.conf.task_always_eager, app.conf.task_eager_propagates
    app.conf.task_always_eager = app.conf.task_eager_propagates = True
    try:
        yield
    finally:
        app.conf.task_always_eager, app.conf.task_eager_propagates = previous


@pytest.fixture
def runs(monkeypatch: pytest.MonkeyPatch) -> list[list[IsoWeek]]:
    """The weeks each catch-up run froze, run by run."""
    done: list[list[IsoWeek]] = []

    def recording(**kwargs: Any) -> services.CatchUp:
        result = services.snapshot_catch_up(**kwargs)
        done.append(result.frozen)
        return result

    monkeypatch.setattr(tasks, "snapshot_catch_up", recording)
    return done


def test_the_monday_task_freezes_every_past_week_without_a_snapshot(
    fortnight: Fortnight, time_machine, eager: None, runs: list[list[IsoWeek]]
) -> None:  # type: ignore[no-untyped-def]
    week_report(week=W09, filters=ReportFilters(), now=at(3, 2, 9))  # opened before: kept
    kept = WeeklySnapshot.objects.get(week_start=W09.monday)
    time_machine.move_to(NOW, tick=False)
    weekly_snapshot()
    assert frozen_weeks() == PAST
    assert runs == [[W05, IsoWeek(2026, 6), IsoWeek(2026, 7), IsoWeek(2026, 8)]]
    assert WeeklySnapshot.objects.get(week_start=W09.monday).computed_at == kept.computed_at


def test_running_it_again_writes_nothing_new_and_the_live_week_is_never_frozen(
    fortnight: Fortnight, time_machine, eager: None
) -> None:  # type: ignore[no-untyped-def]
    time_machine.move_to(NOW, tick=False)
    weekly_snapshot()
    before = list(WeeklySnapshot.objects.order_by("pk").values_list("pk", "computed_at"))
    time_machine.move_to(at(3, 11, 12), tick=False)  # Wednesday of W11: a retry, a second beat
    weekly_snapshot()
    assert list(WeeklySnapshot.objects.order_by("pk").values_list("pk", "computed_at")) == before
    assert not WeeklySnapshot.objects.filter(week_start=W11.monday).exists()


def test_only_last_week_gets_the_digest(
    fortnight: Fortnight, erin, time_machine, eager: None, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    time_machine.move_to(NOW, tick=False)
    with django_capture_on_commit_callbacks(execute=True):
        weekly_snapshot()
    assert len(mail.outbox) == 1 and "Week 10," in mail.outbox[0].body
    sent = WeeklySnapshot.objects.exclude(digest_sent_at=None).values_list("week_start", flat=True)
    assert list(sent) == [W10.monday]


def test_a_long_backlog_is_frozen_a_few_weeks_per_run_oldest_first(
    fortnight: Fortnight, time_machine, eager: None, runs: list[list[IsoWeek]], monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(tasks, "CATCH_UP_WEEKS", 2)
    time_machine.move_to(NOW, tick=False)
    weekly_snapshot()
    # W10 by the Monday step itself, then W05..W09 two at a time, each run queuing the next.
    assert runs == [PAST[0:2], PAST[2:4], PAST[4:5]]
    assert frozen_weeks() == PAST


def test_the_catch_up_stops_at_its_limit_and_logs_what_is_left(
    fortnight: Fortnight, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="reports.services"):
        result = snapshot_catch_up(now=NOW, limit=4)
    assert result.frozen == PAST[:4] and result.remaining == 2 and not result.interrupted
    assert frozen_weeks() == PAST[:4]
    assert "froze 4 past weeks (2026-W05 to 2026-W08), 2 still to freeze" in caplog.text
    assert snapshot_catch_up(now=NOW, limit=4).frozen == PAST[4:]
    assert snapshot_catch_up(now=NOW, limit=4).frozen == []


def test_nothing_is_frozen_before_the_first_case_or_without_cases(db: None) -> None:
    assert snapshot_catch_up(now=NOW, limit=None).frozen == []
    ReportCaseFactory(raised_at=at(3, 4, 10))  # W10
    assert snapshot_catch_up(now=NOW, limit=None).frozen == [W10]
    assert frozen_weeks() == [W10]


@pytest.mark.django_db(transaction=True)
def test_two_workers_at_once_compute_and_store_each_week_once(
    fortnight: Fortnight, monkeypatch: pytest.MonkeyPatch
) -> None:
    require_service(connection.vendor == "postgresql", "PostgreSQL (advisory locks)")
    computed: Counter[str] = Counter()
    compute = services.report_compute

    def counting(**kwargs: Any) -> dict[str, Any]:
        computed[str(kwargs["week"])] += 1
        return compute(**kwargs)

    monkeypatch.setattr(services, "report_compute", counting)
    results: list[services.CatchUp] = []
    work = lambda: results.append(snapshot_catch_up(now=NOW, limit=None))  # noqa: E731
    assert in_threads(work, work) == []
    assert frozen_weeks() == PAST
    assert computed == Counter(str(w) for w in PAST)
    assert sum(len(r.frozen) for r in results) == len(PAST)


@pytest.mark.django_db(transaction=True)
def test_a_run_finding_another_at_work_stops_and_queues_nothing(
    fortnight: Fortnight, monkeypatch: pytest.MonkeyPatch
) -> None:
    require_service(connection.vendor == "postgresql", "PostgreSQL (advisory locks)")
    queued: list[object] = []
    monkeypatch.setattr(tasks.weekly_snapshot_catch_up, "delay", lambda: queued.append(1))
    holding, release = threading.Event(), threading.Event()
    frozen: list[int] = []

    def hold_the_lock() -> None:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [CATCH_UP_LOCK_KEY])
            holding.set()
            release.wait(timeout=30)

    def second_run() -> None:
        holding.wait(timeout=30)
        try:
            frozen.append(tasks.weekly_snapshot_catch_up())
        finally:
            release.set()

    assert in_threads(hold_the_lock, second_run) == []
    assert frozen == [0] and queued == []
    assert not WeeklySnapshot.objects.exists()
