"""The status page (no login: the signed link is the key) and the managers' link panel."""

from django.urls import path

from comms.views import status

app_name = "status"

urlpatterns = [
    path("<str:token>/", status.status_page, name="page"),
    path("cases/<str:reference>/link/", status.status_link_panel, name="link_panel"),
    path("cases/<str:reference>/link/new/", status.status_link_new, name="link_new"),
]
