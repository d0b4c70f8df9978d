"""``manage.py weekly_report --week 2026-W47``: build or rebuild one finished week's snapshot.

``--since 2025-W01`` instead freezes every finished week from then on that has no snapshot yet
(oldest first, so each reuses the weeks frozen before it), e.g. after installing the app.
"""

from __future__ import annotations

import argparse
from datetime import datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from cases.models import Team, Tier
from escalation.errors import DomainError
from reports.selectors import ReportFilters, snapshot_get
from reports.services import digest_send, snapshot_rebuild, snapshot_store
from reports.weeks import IsoWeek


def iso_week(text: str) -> IsoWeek:
    try:
        return IsoWeek.parse(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


class Command(BaseCommand):
    help = "Compute a finished ISO week's report and store it as its snapshot (replacing one)."

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument(
            "--week", type=iso_week, help="e.g. 2026-W47; default: the week that just ended"
        )
        parser.add_argument(
            "--since",
            type=iso_week,
            help="freeze every finished week from this one on that is not frozen yet",
        )
        parser.add_argument("--team", type=int, help="a team id, to build a filtered snapshot")
        parser.add_argument("--tier", choices=Tier.values, help="a customer tier")
        parser.add_argument(
            "--digest",
            action="store_true",
            help="also send the executives' digest, unless it went out already",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        now = timezone.now()
        week: IsoWeek = options["week"] or IsoWeek.containing(now).previous()
        team_id = options["team"]
        if team_id is not None and not Team.objects.filter(pk=team_id).exists():
            raise CommandError(f"There is no team with id {team_id}.")
        filters = ReportFilters(team_id=team_id, tier=options["tier"])
        if options["since"] is not None:
            if options["week"] is not None:
                raise CommandError("Give --week or --since, not both.")
            self.freeze_since(options["since"], filters=filters, now=now)
            return
        try:
            snapshot = snapshot_rebuild(week=week, filters=filters, now=now)
        except DomainError as exc:
            raise CommandError(exc.message) from None
        headline = snapshot.payload["headline"]
        self.stdout.write(
            f"{week} {filters.key or 'all'}: {headline['raised']} raised, "
            f"{headline['resolved']} resolved, {headline['backlog']} open at the end, "
            f"{headline['breaches']} breaches."
        )
        if options["digest"]:
            sent = digest_send(snapshot=snapshot, now=now)
            self.stdout.write(
                f"Digest sent to {sent} executives." if sent else "Digest already sent."
            )

    def freeze_since(self, first: IsoWeek, *, filters: ReportFilters, now: datetime) -> None:
        last = IsoWeek.containing(now).previous()
        if first > last:
            raise CommandError(f"{first} is not over yet; only finished weeks are frozen.")
        week, frozen = first, 0
        while week <= last:
            if snapshot_get(week=week, filters=filters) is None:
                snapshot_store(week=week, filters=filters, now=now)
                frozen += 1
            week = week.next()
        self.stdout.write(f"Froze {frozen} weeks from {first} to {last} ({filters.key or 'all'}).")
