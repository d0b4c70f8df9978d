from django.urls import path, register_converter

from reports import views, views_pauses, views_periods, views_subscriptions
from reports.periods import URL_REGEX, ReportPeriod
from reports.weeks import IsoWeek


class IsoWeekConverter:
    """``2026-W47`` <-> IsoWeek; a week that does not exist (W54; W53 of most years) is a 404."""

    regex = r"\d{4}-W\d{2}"

    def to_python(self, value: str) -> IsoWeek:
        return IsoWeek.parse(value)

    def to_url(self, value: IsoWeek | str) -> str:
        return str(value if isinstance(value, IsoWeek) else IsoWeek.parse(value))


register_converter(IsoWeekConverter, "isoweek")


class ReportPeriodConverter:
    """``2026-11``, ``2026-Q4``, ``2026-01-05..2026-02-10`` <-> ReportPeriod; a period that
    cannot be (a 13th month, a range backwards or over a year) is a 404."""

    regex = URL_REGEX

    def to_python(self, value: str) -> ReportPeriod:
        return ReportPeriod.parse(value)

    def to_url(self, value: ReportPeriod | str) -> str:
        return str(value if isinstance(value, ReportPeriod) else ReportPeriod.parse(value))


register_converter(ReportPeriodConverter, "reportperiod")

app_name = "reports"

urlpatterns = [
    path("", views.index, name="index"),
    path("weekly/<isoweek:week>/", views.weekly, name="weekly"),
    path("weekly/<isoweek:week>/cases/", views.weekly_cases, name="weekly_cases"),
    path("weekly/<isoweek:week>/csv/<slug:table>/", views.weekly_csv, name="weekly_csv"),
    path("weekly/<isoweek:week>/pdf/", views.weekly_pdf, name="weekly_pdf"),
    path("pauses/", views_pauses.pauses, name="pauses"),
    path("subscriptions/", views_subscriptions.subscription, name="subscription"),
    path("pauses/cases/", views_pauses.pauses_cases, name="pauses_cases"),
    # Months, quarters and custom ranges (reports.periods), and people's figures.
    path("range/", views_periods.period_range, name="period_range"),
    path("people/", views_periods.people, name="people"),
    path("<reportperiod:period>/", views_periods.period, name="period"),
    path("<reportperiod:period>/cases/", views_periods.period_cases, name="period_cases"),
    path("<reportperiod:period>/pdf/", views_periods.period_pdf, name="period_pdf"),
    path("<reportperiod:period>/csv/<slug:table>/", views_periods.period_csv, name="period_csv"),
]
