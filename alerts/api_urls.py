"""Machine-raised escalations: events from monitoring (POST /api/events/), de-duplicated by key."""

from django.urls import path

from alerts.api import EventsApi

app_name = "alerts_api"

urlpatterns = [
    path("events/", EventsApi.as_view(), name="events"),
]
