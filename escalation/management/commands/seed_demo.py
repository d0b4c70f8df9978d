from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from escalation.demo import seed_reference_data


class Command(BaseCommand):
    help = (
        "Load demo people, teams, customers, calendars (with public holidays), SLA policies"
        " and (with --cases N) demo cases."
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
        if cases:
            from cases.demo import seed_cases  # the cases app owns case generation

            created = seed_cases(total=cases, stdout=self.stdout)
            self.stdout.write(f"Demo cases: {created} created, at least {cases} present.")
        self.stdout.write("Demo logins (username / password / role):")
        for username, password, role in logins:
            self.stdout.write(f"  {username:<12} {password:<18} {role}")
