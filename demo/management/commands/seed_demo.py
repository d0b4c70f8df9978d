from __future__ import annotations

import time
from typing import Any

from django.contrib.auth.models import User
from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from demo.contracts import seed_contracts
from demo.incidents import seed_major_incident
from demo.reference_data import seed_reference_data
from demo.seeding import seed_cases
from reports.services import snapshot_catch_up


class Command(BaseCommand):
    help = (
        "Load demo people, teams, customers, calendars (with public holidays), SLA policies"
        " and (with --cases N) demo cases; freeze the weekly reports of the finished weeks."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--cases",
            type=int,
            default=0,
            help="Make sure at least N demo cases exist (creates the missing ones in batches).",
        )

    def handle(self, *args: Any, cases: int, **options: Any) -> None:
        logins = seed_reference_data()
        if cases < 0:
            self.stderr.write("--cases must be 0 or more")
            raise SystemExit(2)
        created = 0
        if cases:
            created = seed_cases(total=cases, stdout=self.stdout)
            self.stdout.write(f"Demo cases: {created} created, at least {cases} present.")
        manager = User.objects.get(username="manager")
        if added := seed_contracts(by=manager, now=timezone.now()):
            self.stdout.write(f"Demo contracts: {added} added.")
        if children := seed_major_incident(by=manager, now=timezone.now()):
            self.stdout.write(f"Demo major incident: declared, with {children} affected cases.")
        self.freeze_past_weeks(refresh=created > 0)
        self.stdout.write("Demo logins (username / password / role):")
        for username, password, role in logins:
            self.stdout.write(f"  {username:<12} {password:<18} {role}")

    def freeze_past_weeks(self, *, refresh: bool) -> None:
        """The whole organisation's report of every finished week frozen (the service the
        Monday task catches up with), so the list of weeks shows none "not frozen yet". New demo
        cases land in past weeks too: then the weeks frozen before are computed again."""
        started = time.monotonic()
        result = snapshot_catch_up(now=timezone.now(), limit=None, refresh=refresh)
        if result.frozen:
            self.stdout.write(
                f"Weekly reports: {len(result.frozen)} past weeks frozen"
                f" in {time.monotonic() - started:.1f} s."
            )
