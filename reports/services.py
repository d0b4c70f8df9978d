"""Weekly snapshots: freezing a finished week's report, and the executives' digest.

Choice for a finished week without a snapshot (the beat task has not run yet, or the week is
older than the app, or a filter combination nobody opened before): its first view computes it
and stores it, so it is frozen from then on like any other. The Monday task and ``seed_demo``
also catch up every finished week of the whole organisation's report that has none
(``snapshot_catch_up``), so the list of weeks shows them frozen without anyone opening them.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from cases.models import Team, Tier
from escalation.db import is_postgresql
from escalation.errors import DomainError
from escalation.roles import Role, users_with_role
from reports.models import WeeklySnapshot
from reports.payload import report_compute
from reports.presentation import headline_cards
from reports.selectors import ReportFilters, first_case_week, snapshot_get
from reports.weeks import IsoWeek
from sla.models import NotificationKind
from sla.notifications import notification_send

logger = logging.getLogger(__name__)

# Weeks one catch-up run freezes at most: each is a full computation of the week (its cost on a
# large database is in bench/RESULTS.md), so a run stays well inside the task time limit
# (CELERY_TASK_SOFT_TIME_LIMIT) and lets other tasks in.
CATCH_UP_WEEKS = 8
# 'RPT' in ASCII, as the catch-up's advisory lock key: any constant shared by all runs will do.
CATCH_UP_LOCK_KEY = 0x525054


@dataclass(frozen=True)
class WeekReport:
    payload: dict[str, Any]
    snapshot: WeeklySnapshot | None

    @property
    def live(self) -> bool:
        return self.snapshot is None


def week_report(*, week: IsoWeek, filters: ReportFilters, now: datetime) -> WeekReport:
    """The report of ``week``: frozen when the week is over (stored on first use), live while
    it runs. ValueError for a week that has not started."""
    if now < week.end():
        return WeekReport(report_compute(week=week, filters=filters, now=now), None)
    snapshot = snapshot_get(week=week, filters=filters)
    if snapshot is None:
        snapshot = snapshot_store(week=week, filters=filters, now=now)
    return WeekReport(snapshot.payload, snapshot)


def snapshot_store(*, week: IsoWeek, filters: ReportFilters, now: datetime) -> WeeklySnapshot:
    """Freeze ``week`` unless it already is (two first viewers at once store it once)."""
    if now < week.end():
        raise DomainError(f"{week} is not over yet; only finished weeks are frozen.")
    payload = report_compute(week=week, filters=filters, now=now)
    snapshot, _created = WeeklySnapshot.objects.get_or_create(
        week_start=week.monday,
        filters_key=filters.key,
        defaults={"payload": payload, "computed_at": now},
    )
    return snapshot


def snapshot_rebuild(*, week: IsoWeek, filters: ReportFilters, now: datetime) -> WeeklySnapshot:
    """Recompute a finished week and replace its snapshot (an operator's deliberate act, e.g.
    after correcting data). The digest is not sent again."""
    if now < week.end():
        raise DomainError(f"{week} is not over yet; only finished weeks are frozen.")
    payload = report_compute(week=week, filters=filters, now=now)
    with transaction.atomic():
        snapshot = (
            WeeklySnapshot.objects.select_for_update()
            .filter(week_start=week.monday, filters_key=filters.key)
            .first()
        )
        if snapshot is None:
            return WeeklySnapshot.objects.create(
                week_start=week.monday, filters_key=filters.key, payload=payload, computed_at=now
            )
        snapshot.payload = payload
        snapshot.computed_at = now
        snapshot.save(update_fields=["payload", "computed_at"])
        return snapshot


def digest_text(payload: dict[str, Any], *, link: str) -> str:
    week = IsoWeek.parse(payload["week"])
    lines = [
        _("Escalations in %(week)s, compared with the week before:") % {"week": week.label},
        "",
    ]
    for card in headline_cards(payload):
        detail = f", {card.detail}" if card.detail else ""
        change = f" ({card.change})" if card.change else ""
        lines.append(f"- {card.label}: {card.value}{detail}{change}")
    lines += ["", _("The full report: %(link)s") % {"link": link}]
    return "\n".join(lines)


def digest_send(*, snapshot: WeeklySnapshot, now: datetime) -> int:
    """Send the executives the digest of ``snapshot`` once; returns how many were notified
    (0 when it had been sent already)."""
    with transaction.atomic():
        claimed = WeeklySnapshot.objects.filter(pk=snapshot.pk, digest_sent_at=None).update(
            digest_sent_at=now
        )
        if not claimed:
            return 0
        week = IsoWeek.of_date(snapshot.week_start)
        path = reverse("reports:weekly", kwargs={"week": week})
        executives = users_with_role(Role.EXECUTIVE)
        rows = notification_send(
            recipients=list(executives),
            kind=NotificationKind.REPORT,
            # Written once per language of the executives (week names, numbers, words).
            subject=lambda: _("Weekly escalation report, %(week)s") % {"week": week.label},
            body=partial(digest_text, snapshot.payload, link=f"{settings.SITE_URL}{path}"),
        )
        return len(rows)


def report_variants() -> list[ReportFilters]:
    """The filter combinations frozen every Monday besides the whole organisation: each
    customer tier and each active team, so their pages too show the week as it ended."""
    teams = Team.objects.filter(is_active=True).order_by("pk").values_list("pk", flat=True)
    return [ReportFilters(tier=tier) for tier in Tier.values] + [
        ReportFilters(team_id=team) for team in teams
    ]


def weekly_snapshot_run(*, now: datetime) -> WeeklySnapshot:
    """The Monday job: freeze the week that just ended and send its digest, then freeze it for
    each tier and team. Each step happens once however often the job runs."""
    week = IsoWeek.containing(now).previous()
    filters = ReportFilters()
    snapshot = snapshot_get(week=week, filters=filters) or snapshot_store(
        week=week, filters=filters, now=now
    )
    digest_send(snapshot=snapshot, now=now)
    for variant in report_variants():
        if snapshot_get(week=week, filters=variant) is None:
            snapshot_store(week=week, filters=variant, now=now)
    return snapshot


@dataclass
class CatchUp:
    frozen: list[IsoWeek] = field(default_factory=list)
    # Finished weeks still without a snapshot after this run (beyond its limit).
    remaining: int = 0
    # True when another catch-up held the lock, so this one stopped there.
    interrupted: bool = False


def snapshot_catch_up(
    *, now: datetime, limit: int | None = CATCH_UP_WEEKS, refresh: bool = False
) -> CatchUp:
    """Freeze the finished weeks of the whole organisation's report that have no snapshot,
    from the first case's week to last week, at most ``limit`` of them (None: all).
    ``refresh`` recomputes the frozen ones too (``seed_demo`` after adding demo cases under
    them; their digest is not sent again).

    1. List the weeks to freeze, oldest first: each week's trend then reads the weeks frozen
       before it instead of computing them.
    2. Per week, in a transaction: take the advisory lock (PostgreSQL; or stop: another run is
       at work), look again whether the week is still missing, compute and store it. Two runs
       at once never compute a week twice, and the unique snapshot per week keeps a first
       viewer's copy and ours from both being stored.
    3. Stop after ``limit`` weeks; the caller runs again for the rest.
    """
    result = CatchUp()
    filters = ReportFilters()
    todo = _weeks_to_freeze(now=now, frozen_too=refresh)
    for week in todo[:limit]:
        with transaction.atomic():
            if not _catch_up_lock():
                result.interrupted = True
                break
            if refresh:
                snapshot_rebuild(week=week, filters=filters, now=now)
                result.frozen.append(week)
            elif snapshot_get(week=week, filters=filters) is None:
                snapshot_store(week=week, filters=filters, now=now)
                result.frozen.append(week)
    result.remaining = len(_weeks_to_freeze(now=now)) if result.frozen else len(todo)
    if result.frozen or result.interrupted:
        span = f" ({result.frozen[0]} to {result.frozen[-1]})" if result.frozen else ""
        logger.info(
            "weekly snapshots: froze %d past weeks%s, %d still to freeze%s",
            len(result.frozen),
            span,
            result.remaining,
            " (another catch-up held the lock)" if result.interrupted else "",
        )
    return result


def _weeks_to_freeze(*, now: datetime, frozen_too: bool = False) -> list[IsoWeek]:
    """The finished weeks since the first case's without an unfiltered snapshot (or all of
    them), oldest first; at most two queries."""
    filters = ReportFilters()
    first = first_case_week(filters=filters)
    last = IsoWeek.containing(now).previous()
    if first is None or first > last:
        return []
    weeks = [first.shifted(i) for i in range((last.monday - first.monday).days // 7 + 1)]
    if frozen_too:
        return weeks
    frozen = set(
        WeeklySnapshot.objects.filter(
            filters_key=filters.key, week_start__gte=first.monday, week_start__lte=last.monday
        ).values_list("week_start", flat=True)
    )
    return [week for week in weeks if week.monday not in frozen]


def _catch_up_lock() -> bool:
    """The catch-up's advisory lock, released with the transaction. SQLite has no such thing,
    but its transactions here start IMMEDIATE (settings): a second run waits for the first's
    week, then finds it frozen."""
    if not is_postgresql():
        return True
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [CATCH_UP_LOCK_KEY])
        row = cursor.fetchone()
    return bool(row and row[0])
