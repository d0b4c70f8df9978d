"""Subscribing to the report PDFs by email: one POST over reports.subscriptions."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from escalation.access import role_required, signed_in
from reports.models import SubscriptionKind
from reports.subscriptions import SUBSCRIBERS, subscription_set


class SubscriptionForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("Report"), choices=SubscriptionKind.choices)
    active = forms.TypedChoiceField(
        label=gettext_lazy("Subscribed"),
        choices=[("1", gettext_lazy("Subscribe")), ("0", gettext_lazy("Unsubscribe"))],
        coerce=lambda value: value == "1",
    )


@role_required(*SUBSCRIBERS)
@require_POST
def subscription(request: HttpRequest) -> HttpResponse:
    """Subscribe to (or unsubscribe from) one kind of report PDF, then back to the reports."""
    form = SubscriptionForm(request.POST)
    if not form.is_valid():
        return render(request, "reports/subscription_error.html", {"form": form}, status=400)
    kind = SubscriptionKind(form.cleaned_data["kind"])
    active = form.cleaned_data["active"]
    subscription_set(user=signed_in(request), kind=kind, active=active, now=timezone.now())
    if active:
        text = _("You will receive the %(report)s by email.")
    else:
        text = _("You will no longer receive the %(report)s by email.")
    messages.success(request, text % {"report": kind.label})
    return redirect("reports:index")
