from django.urls import path, register_converter

from reports import views
from reports.weeks import IsoWeek


class IsoWeekConverter:
    """``2026-W47`` <-> IsoWeek; a week that does not exist (W54; W53 of most years) is a 404."""

    regex = r"\d{4}-W\d{2}"

    def to_python(self, value: str) -> IsoWeek:
        return IsoWeek.parse(value)

    def to_url(self, value: IsoWeek | str) -> str:
        return str(value if isinstance(value, IsoWeek) else IsoWeek.parse(value))


register_converter(IsoWeekConverter, "isoweek")

app_name = "reports"

urlpatterns = [
    path("", views.index, name="index"),
    path("weekly/<isoweek:week>/", views.weekly, name="weekly"),
    path("weekly/<isoweek:week>/cases/", views.weekly_cases, name="weekly_cases"),
    path("weekly/<isoweek:week>/csv/<slug:table>/", views.weekly_csv, name="weekly_csv"),
    path("weekly/<isoweek:week>/pdf/", views.weekly_pdf, name="weekly_pdf"),
]
