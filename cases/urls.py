from django.urls import path

from cases.views import actions, case_page, details, live, operator, saved_views, triage

app_name = "cases"

urlpatterns = [
    path("", triage.queue, name="queue"),
    path("bulk/", triage.bulk_update, name="bulk"),
    path("bulk/pickers/", triage.bulk_pickers, name="bulk_pickers"),
    path("mine/", operator.mine, name="mine"),
    path("new/", operator.raise_case, name="raise"),
    path("new/contacts/", operator.raise_contacts, name="raise_contacts"),
    path("new/duplicates/", operator.raise_duplicates, name="raise_duplicates"),
    path("views/", saved_views.saved_views, name="saved_views"),
    path("views/<str:view_id>/delete/", saved_views.delete, name="saved_view_delete"),
    path("changes/", live.changes, name="changes"),
    path("<str:reference>/", case_page.detail, name="detail"),
    path("<str:reference>/timeline/", case_page.timeline, name="timeline"),
    path("<str:reference>/related/", case_page.related, name="related"),
    path("<str:reference>/forms/<str:name>/", case_page.action_form, name="action_form"),
    path(
        "<str:reference>/attachments/<str:token>/",
        case_page.attachment_download,
        name="attachment",
    ),
    path("<str:reference>/note/", actions.note, name="note"),
    path("<str:reference>/attach/", actions.attach, name="attach"),
    path("<str:reference>/watch/", actions.watch, name="watch"),
    path("<str:reference>/acknowledge/", actions.acknowledge, name="acknowledge"),
    path("<str:reference>/assign/", actions.assign, name="assign"),
    path("<str:reference>/severity/", actions.severity, name="severity"),
    path("<str:reference>/status/", actions.status, name="status"),
    path("<str:reference>/resolve/", actions.resolve, name="resolve"),
    path("<str:reference>/reopen/", actions.reopen, name="reopen"),
    path("<str:reference>/close/", actions.close, name="close"),
    path("<str:reference>/link/", actions.link, name="link"),
    path("<str:reference>/details/", details.details, name="details"),
    path("<str:reference>/merge/", details.merge, name="merge"),
]
