"""Issue a monitoring source's integration token (or a fresh one) and print it, once."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from alerts.models import IntegrationToken
from alerts.tokens import integration_token_create, integration_token_rotate
from cases.models import Customer, Team
from escalation.errors import DomainError


class Command(BaseCommand):
    help = (
        "Create the integration token of a monitoring source for POST /api/events/ and print "
        "it (it is kept only as a hash: note it now). --rotate replaces an existing one."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("source", help="The source's name, e.g. 'Datadog production'.")
        parser.add_argument("--customer", help="Default customer (exact name) of its cases.")
        parser.add_argument("--team", help="The team (exact name) that takes its cases.")
        parser.add_argument(
            "--rotate",
            action="store_true",
            help="The source exists: issue a new token, the old one stops working.",
        )

    def handle(
        self,
        *args: Any,
        source: str,
        customer: str | None,
        team: str | None,
        rotate: bool,
        **options: Any,
    ) -> None:
        if rotate:
            existing = IntegrationToken.objects.filter(source=source).first()
            if existing is None:
                raise CommandError(f"No source is called {source!r}.")
            issued = integration_token_rotate(integration=existing)
        else:
            try:
                issued = integration_token_create(
                    source=source,
                    customer=_named(Customer, customer, "customer"),
                    team=_named(Team, team, "team"),
                )
            except DomainError as error:
                raise CommandError(f"{error.message} (--rotate issues a new token)") from None
        self.stderr.write(f"Token of {issued.integration.source} (shown once):")
        self.stdout.write(issued.token)


def _named(model: type[Customer] | type[Team], name: str | None, label: str) -> Any:
    if name is None:
        return None
    row = model.objects.filter(name=name).first()
    if row is None:
        raise CommandError(f"No {label} is called {name!r}.")
    return row
