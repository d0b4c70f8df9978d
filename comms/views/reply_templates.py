"""The managers' page of reply templates: list, add, change, delete."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from comms import services
from comms.forms import ReplyTemplateForm
from comms.macros import PLACEHOLDERS
from comms.models import ReplyTemplate
from comms.selectors import reply_templates_managed
from escalation.access import role_required, signed_in
from escalation.errors import DomainError
from escalation.roles import Role


def _save(request: HttpRequest, form: ReplyTemplateForm, template: ReplyTemplate | None) -> bool:
    if not form.is_valid():
        return False
    data = form.cleaned_data
    try:
        saved = services.reply_template_save(
            by=signed_in(request),
            name=data["name"],
            body=data["body"],
            team=data["team"],
            template=template,
        )
    except DomainError as error:
        form.add_domain_error(error)
        return False
    messages.success(request, _("Reply template %(name)r saved.") % {"name": saved.name})
    return True


@role_required(Role.MANAGER)
@require_http_methods(["GET", "POST"])
def reply_templates(request: HttpRequest) -> HttpResponse:
    """Every template, and the form for a new one."""
    form = ReplyTemplateForm(request.POST or None)
    if request.method == "POST" and _save(request, form, None):
        return redirect("comms:reply_templates")
    context = {
        "templates": reply_templates_managed(viewer=request.user),
        "form": form,
        "placeholders": PLACEHOLDERS,
    }
    return render(
        request, "comms/reply_templates.html", context, status=400 if form.errors else 200
    )


@role_required(Role.MANAGER)
@require_http_methods(["GET", "POST"])
def reply_template(request: HttpRequest, pk: int) -> HttpResponse:
    """One template's form."""
    template = get_object_or_404(reply_templates_managed(viewer=request.user), pk=pk)
    initial = {"name": template.name, "team": template.team_id, "body": template.body}
    form = ReplyTemplateForm(request.POST or None, initial=initial)
    if request.method == "POST" and _save(request, form, template):
        return redirect("comms:reply_templates")
    context = {"template": template, "form": form, "placeholders": PLACEHOLDERS}
    return render(request, "comms/reply_template.html", context, status=400 if form.errors else 200)


@role_required(Role.MANAGER)
@require_POST
def reply_template_delete(request: HttpRequest, pk: int) -> HttpResponse:
    template = get_object_or_404(reply_templates_managed(viewer=request.user), pk=pk)
    services.reply_template_delete(by=signed_in(request), template=template)
    messages.success(request, _("Reply template %(name)r deleted.") % {"name": template.name})
    return redirect("comms:reply_templates")
