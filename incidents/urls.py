from django.urls import path

from incidents import views

app_name = "incidents"

urlpatterns = [
    path("", views.incident_list, name="list"),
    path("bulk/picker/", views.bulk_picker, name="bulk_picker"),
    path("bulk/link/", views.bulk_link, name="bulk_link"),
    path("case/<str:reference>/", views.panel, name="panel"),
    path("case/<str:reference>/<str:name>/", views.action, name="action"),
]
