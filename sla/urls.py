from django.urls import path

from sla import views, views_whatif

app_name = "sla"

urlpatterns = [
    path("notifications/", views.notifications, name="notifications"),
    path("notifications/<int:pk>/read/", views.notification_read, name="notification_read"),
    path("notifications/read-all/", views.notifications_read_all, name="notifications_read_all"),
    path("notifications/bell/", views.bell, name="bell"),
    path("drafts/", views_whatif.draft_list, name="draft_list"),
    path("drafts/<int:pk>/", views_whatif.draft_detail, name="draft_detail"),
    path("drafts/<int:pk>/publish/", views_whatif.draft_publish, name="draft_publish"),
    path("drafts/<int:pk>/discard/", views_whatif.draft_discard, name="draft_discard"),
    path("drafts/<int:pk>/replay/", views_whatif.replay_new, name="replay_new"),
    path("replays/<int:pk>/", views_whatif.replay_detail, name="replay_detail"),
    path("replays/<int:pk>/body/", views_whatif.replay_body, name="replay_body"),
]
