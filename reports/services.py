"""Weekly snapshots: freezing a finished week's report, and the executives' digest.

Choice for a finished week without a snapshot (the beat task has not run yet, or the week is
older than the app, or a filter combination nobody opened before): its first view computes it
and stores it, so it is frozen from then on like any other.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.urls import reverse

from cases.models import Team, Tier
from escalation.errors import DomainError
from escalation.roles import Role
from reports.models import WeeklySnapshot
from reports.payload import report_compute
from reports.presentation import headline_cards
from reports.selectors import ReportFilters, snapshot_get
from reports.weeks import IsoWeek
from sla.models import NotificationKind
from sla.notifications import notification_send


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
    snapshot, _ = WeeklySnapshot.objects.get_or_create(
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
    lines = [f"Escalations in {week.label}, compared with the week before:", ""]
    for card in headline_cards(payload):
        detail = f", {card.detail}" if card.detail else ""
        change = f" ({card.change})" if card.change else ""
        lines.append(f"- {card.label}: {card.value}{detail}{change}")
    lines += ["", f"The full report: {link}"]
    return "\n".join(lines)


def digest_send(*, snapshot: WeeklySnapshot, now: datetime) -> int:
    """Send the executives the digest of ``snapshot`` once; returns how many were notified
    (0 when it had been sent already)."""
    User = get_user_model()
    with transaction.atomic():
        claimed = WeeklySnapshot.objects.filter(pk=snapshot.pk, digest_sent_at=None).update(
            digest_sent_at=now
        )
        if not claimed:
            return 0
        week = IsoWeek.of_date(snapshot.week_start)
        path = reverse("reports:weekly", kwargs={"week": week})
        executives = User.objects.filter(
            is_active=True, groups__name=Role.EXECUTIVE.value
        ).distinct()
        rows = notification_send(
            recipients=list(executives),
            kind=NotificationKind.REPORT,
            subject=f"Weekly escalation report, {week.label}",
            body=digest_text(snapshot.payload, link=f"{settings.SITE_URL}{path}"),
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
