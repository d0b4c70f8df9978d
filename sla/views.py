"""The notifications page: a user's own notifications, newest first; mark read, mark all read."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template import loader
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from escalation.access import role_required, signed_in
from escalation.roles import Role
from sla.context_processors import NotificationBell
from sla.models import Notification
from sla.selectors import notification_unread_count, notifications_for
from sla.services import notification_mark_read, notifications_mark_all_read

STAFF = (Role.OPERATOR, Role.MANAGER, Role.EXECUTIVE)


PAGE_SIZE = 30


@role_required(*STAFF)
@require_GET
def notifications(request: HttpRequest) -> HttpResponse:
    page = Paginator(notifications_for(user=signed_in(request)), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "sla/notifications.html",
        {"page": page, "unread": notification_unread_count(user=signed_in(request))},
    )


@role_required(*STAFF)
@require_POST
def notification_read(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark one of your notifications read; with ``open`` go on to its case. Another person's
    notification is 'not found'."""
    try:
        notification = notification_mark_read(
            user=signed_in(request), notification_id=pk, now=timezone.now()
        )
    except Notification.DoesNotExist:
        raise Http404(_("No such notification.")) from None
    if request.POST.get("open") and notification.case_id:
        return redirect("cases:detail", reference=notification.case.reference)  # type: ignore[union-attr]
    if getattr(request, "htmx", False):
        return render(
            request,
            "sla/_notification_read.html",
            {
                "notification": notification,
                "unread": notification_unread_count(user=signed_in(request)),
                "page_number": request.POST.get("page", ""),
            },
        )
    return redirect(_back(request))


@role_required(*STAFF)
@require_POST
def notifications_read_all(request: HttpRequest) -> HttpResponse:
    marked = notifications_mark_all_read(user=signed_in(request), now=timezone.now())
    messages.success(
        request,
        ngettext(
            "Marked %(count)s notification read.", "Marked %(count)s notifications read.", marked
        )
        % {"count": marked}
        if marked
        else _("Nothing was unread."),
    )
    return redirect(_back(request))


def _back(request: HttpRequest) -> str:
    url = reverse("sla:notifications")
    page = request.POST.get("page", "")
    return f"{url}?page={page}" if page.isdigit() else url


@role_required(*STAFF)
@require_GET
def bell(request: HttpRequest) -> HttpResponse:
    """The live bell's poll: 204 while ``?mark=`` is still the bell's mark (one query), else the
    bell itself with its new count and mark, for the page to swap in."""
    notification_bell = NotificationBell(signed_in(request))
    if request.GET.get("mark") == notification_bell.mark:
        return HttpResponse(status=204)
    # Only the bell: no context processors, whose other reads this answer does not show.
    template = loader.get_template("partials/nav_notifications.html")
    return HttpResponse(template.render({"notification_bell": notification_bell}))
