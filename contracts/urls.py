from django.urls import path, register_converter

from contracts import views
from contracts.months import Month


class MonthConverter:
    """``2026-11`` <-> Month; a month that does not exist (2026-13) is a 404."""

    regex = r"\d{4}-\d{2}"

    def to_python(self, value: str) -> Month:
        return Month.parse(value)

    def to_url(self, value: Month | str) -> str:
        return str(value if isinstance(value, Month) else Month.parse(value))


register_converter(MonthConverter, "month")

app_name = "contracts"

urlpatterns = [
    path("", views.index, name="index"),
    path("new/", views.contract_edit, name="create"),
    path("<int:pk>/edit/", views.contract_edit, name="edit"),
    path("customers/<int:customer_id>/", views.statement, name="statement"),
    path(
        "customers/<int:customer_id>/<month:month>/csv/<slug:table>/",
        views.statement_csv,
        name="statement_csv",
    ),
    path(
        "customers/<int:customer_id>/<month:month>/pdf/", views.statement_pdf, name="statement_pdf"
    ),
    path("dashboard/at-risk/", views.dashboard_at_risk, name="dashboard_at_risk"),
]
