from django.contrib import admin

from forecasts.models import ClockRisk, ForecastModel, RiskWarning


@admin.register(ForecastModel)
class ForecastModelAdmin(admin.ModelAdmin):
    list_display = ["version", "kind", "trained_at", "n_examples", "active"]
    exclude = ["artefact"]
    readonly_fields = ["version", "kind", "trained_at", "n_examples", "metrics", "active"]

    def has_add_permission(self, request) -> bool:  # type: ignore[no-untyped-def]
        return False


@admin.register(ClockRisk)
class ClockRiskAdmin(admin.ModelAdmin):
    list_display = ["clock", "case", "kind", "probability", "model_version", "scored_at"]
    raw_id_fields = ["clock", "case"]
    list_filter = ["kind", "model_version"]


@admin.register(RiskWarning)
class RiskWarningAdmin(admin.ModelAdmin):
    list_display = ["clock", "cycle", "probability", "created_at"]
    raw_id_fields = ["clock"]
