from django.urls import path

from cases.views import actions, case_page, operator, triage

app_name = "cases"

urlpatterns = [
    path("", triage.queue, name="queue"),
    path("bulk/", triage.bulk_update, name="bulk"),
    path("mine/", operator.mine, name="mine"),
    path("new/", operator.raise_case, name="raise"),
    path("new/contacts/", operator.raise_contacts, name="raise_contacts"),
    path("new/duplicates/", operator.raise_duplicates, name="raise_duplicates"),
    path("<str:reference>/", case_page.detail, name="detail"),
    path("<str:reference>/timeline/", case_page.timeline, name="timeline"),
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
]
