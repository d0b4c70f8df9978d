"""Breach forecasts: how likely each running SLA clock is to breach, learned from history."""

from django.apps import AppConfig
from django.conf import settings


class ForecastsConfig(AppConfig):
    name = "forecasts"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Imported here, not at the top: Django imports this module before any model is loaded.
        from cases import extensions
        from forecasts import selectors

        extensions.risk_reads_provide(
            extensions.RiskReads(
                risks_for=lambda cases: selectors.risks_for(cases=cases),
                likely_condition=selectors.likely_to_breach,
                threshold_percent=settings.FORECAST_RISK_PERCENT,
            )
        )
