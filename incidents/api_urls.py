from django.urls import path

from incidents import api

app_name = "incidents_api"

urlpatterns = [
    path("cases/<str:reference>/children/", api.CaseChildrenApi.as_view(), name="children"),
]
