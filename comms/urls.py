from django.urls import path

from comms.views import outgoing, quarantine, reply_templates

app_name = "comms"

urlpatterns = [
    path("cases/<str:reference>/panel/", outgoing.case_panel, name="case_panel"),
    path("cases/<str:reference>/cc/", outgoing.cc_add, name="cc_add"),
    path("cases/<str:reference>/cc/<int:pk>/remove/", outgoing.cc_remove, name="cc_remove"),
    path("cases/<str:reference>/resend/", outgoing.resend, name="resend"),
    path(
        "cases/<str:reference>/updates/<int:event_id>/deliveries/",
        outgoing.update_delivery_list,
        name="update_deliveries",
    ),
    path(
        "cases/<str:reference>/reply-templates/",
        outgoing.reply_template_picker,
        name="reply_template_picker",
    ),
    path(
        "cases/<str:reference>/reply-templates/fill/",
        outgoing.reply_template_fill,
        name="reply_template_fill",
    ),
    path("quarantine/", quarantine.quarantine, name="quarantine"),
    path("quarantine/<int:pk>/attach/", quarantine.quarantine_attach, name="quarantine_attach"),
    path(
        "quarantine/<int:pk>/discard/", quarantine.quarantine_set_aside, name="quarantine_discard"
    ),
    path("reply-templates/", reply_templates.reply_templates, name="reply_templates"),
    path("reply-templates/<int:pk>/", reply_templates.reply_template, name="reply_template"),
    path(
        "reply-templates/<int:pk>/delete/",
        reply_templates.reply_template_delete,
        name="reply_template_delete",
    ),
]
