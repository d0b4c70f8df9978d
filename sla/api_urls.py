from django.urls import path

from sla import api

app_name = "sla_api"

urlpatterns = [
    path("sla/policies/", api.PolicyList.as_view(), name="policies"),
    path("sla/calendars/", api.CalendarList.as_view(), name="calendars"),
    path("cases/<str:reference>/clocks/", api.CaseClocks.as_view(), name="case-clocks"),
]
