"""Run one SLA sweep by hand: hand the due clocks to the workers, or take the steps here."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from sla.escalation import clocks_escalate_due
from sla.sweep import sla_sweep
from sla.tasks import clocks_escalate_dispatch


class Command(BaseCommand):
    help = "Find the SLA warnings, breaches and re-escalations that are due, once."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--inline",
            action="store_true",
            help="Take the steps in this process instead of handing them to the workers.",
        )

    def handle(self, *args: Any, inline: bool, **options: Any) -> None:
        steps: list[str] = []

        def take_here(clock_ids: list[int]) -> None:
            steps.extend(clocks_escalate_due(clock_ids=clock_ids))

        result = sla_sweep(
            now=timezone.now(), dispatch=take_here if inline else clocks_escalate_dispatch
        )
        if result.skipped:
            self.stdout.write("Another sweep is running; this one did nothing.")
            return
        where = "taken here" if inline else "handed to the workers"
        self.stdout.write(f"{result.dispatched} due clocks {where} ({result.pages} pages).")
        if inline:
            self.stdout.write(f"{len(steps)} steps taken: {', '.join(sorted(set(steps))) or '-'}.")
