from typing import cast

from django.apps import AppConfig
from django.core.exceptions import ImproperlyConfigured


class SlaConfig(AppConfig):
    name = "sla"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Imported here, not at the top: Django imports this module before any model is loaded.
        from cases import events, extensions
        from sla import (
            ledger,
            selectors,
            whatif_tasks,  # noqa: F401  (registers the replay task with Celery)
        )
        from sla.models import ClockKind
        from sla.notifications import (
            mentioned_on_case_mentioned,
            owner_on_customer_replied,
            owners_on_cases_assigned,
        )
        from sla.services import (
            clocks_on_cases_changed,
            clocks_on_cases_raised,
            clocks_on_tier_changed,
        )

        events.subscribe_many(events.CaseRaised, clocks_on_cases_raised)
        events.subscribe_many(events.CaseChanged, clocks_on_cases_changed)
        events.subscribe_many(events.CaseAssigned, owners_on_cases_assigned)
        events.subscribe(events.CaseMentioned, mentioned_on_case_mentioned)
        events.subscribe(events.CustomerReplied, owner_on_customer_replied)
        events.subscribe(events.CustomerTierChanged, clocks_on_tier_changed)
        extensions.clock_reads_provide(
            extensions.ClockReads(
                badges_template="sla/_clock_badges.html",
                states_for=lambda cases, now: selectors.clock_states_for(cases=cases, now=now),
                ledgers_for=lambda case, now, timeline: ledger.case_clock_ledgers(
                    case=case, now=now, events=timeline
                ),
                state_choices=cast("list[tuple[str, str]]", selectors.CaseSlaState.choices),
                clock_state_choices=cast(
                    "list[tuple[str, str]]", selectors.ClockFilterState.choices
                ),
                clock_state_expression=lambda kind, now: selectors.clock_sla_state(
                    kind=kind, now=now
                ),
            )
        )
        # The queue's per-clock filters (?sla_response=, ...) are named after the clock kinds.
        if tuple(ClockKind.values) != extensions.CLOCK_KINDS:
            raise ImproperlyConfigured(f"Clock kinds {ClockKind.values} != cases' CLOCK_KINDS")
