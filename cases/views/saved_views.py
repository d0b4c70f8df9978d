"""Saved views of the triage queue: save the queue's filters and order under a name, list and
delete them, and their links in the navigation bar (``cases.context_processors``)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from cases.forms import parse_id
from cases.models import SavedView
from cases.models.saved_view import NAME_MAX, QUERY_MAX
from cases.selectors_saved_views import (
    saved_view_active,
    saved_view_get_for_viewer,
    saved_view_query_normal,
    saved_views_for,
)
from cases.services.saved_views import saved_view_delete, saved_view_save
from cases.views.common import FILTERED, queue_filters
from escalation.access import role_required, signed_in
from escalation.errors import DomainError
from escalation.forms import BootstrapForm
from escalation.roles import Role
from escalation.users import display_name

# The queue page's parameters that say where one is in the list or how it is laid out, not
# which cases it holds: a view does not keep them.
PAGE_ONLY = (FILTERED, "cursor", "page_size")


class SavedViewForm(BootstrapForm):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=NAME_MAX)
    shared = forms.BooleanField(label=gettext_lazy("Share with my team"), required=False)
    # The queue page's own query string, as the page had it.
    query = forms.CharField(widget=forms.HiddenInput, required=False, max_length=2 * QUERY_MAX)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # Its own ids: on the queue page it sits next to the filter form's fields.
        kwargs.setdefault("auto_id", "saved-view-%s")
        super().__init__(*args, **kwargs)


def queue_query_as_filters(query: QueryDict) -> str:
    """The queue page's query in the FilterSet's terms (those of a saved view and of the API
    list): the page's defaults stated (open cases without the filter form's marker), and
    without the parameters a view does not keep."""
    data = queue_filters(query)
    for name in PAGE_ONLY:
        data.pop(name, None)
    return data.urlencode()


@require_http_methods(["GET", "POST"])
@role_required(Role.MANAGER)
def saved_views(request: HttpRequest) -> HttpResponse:
    """The manager's views and those shared with them (GET); save the queue's filters (POST:
    to the saved view's list on success, back here with the form's errors if refused)."""
    form = SavedViewForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            view = saved_view_save(
                owner=signed_in(request),
                name=data["name"],
                query=queue_query_as_filters(QueryDict(data["query"])),
                shared=data["shared"],
            )
        except DomainError as error:
            form.add_domain_error(error)
        else:
            messages.success(request, _("View “%(view)s” saved.") % {"view": view.name})
            return redirect(view.get_absolute_url())
    viewer = signed_in(request)
    views = list(saved_views_for(viewer=viewer))
    return render(
        request,
        "cases/saved_views.html",
        {
            "form": form if form.is_bound else None,
            "own": [view for view in views if view.owner_id == viewer.pk],
            "shared_with_me": [view for view in views if view.owner_id != viewer.pk],
        },
    )


@role_required(Role.MANAGER)
@require_POST
def delete(request: HttpRequest, view_id: str) -> HttpResponse:
    viewer = signed_in(request)
    pk = parse_id(view_id)
    view = saved_view_get_for_viewer(viewer=viewer, view_id=pk) if pk else None
    if view is None:
        messages.info(request, _("That view is no longer saved."))
        return redirect("cases:saved_views")
    saved_view_delete(view=view, by=viewer)
    messages.success(request, _("View “%(view)s” deleted.") % {"view": view.name})
    return redirect("cases:saved_views")


# --- The navigation bar ---------------------------------------------------------------------


@dataclass(frozen=True)
class SavedViewLink:
    name: str
    url: str
    shared: bool
    owner: str
    active: bool


class SavedViewsMenu:
    """The viewer's saved views as links, read only if a template shows them (one query); the
    one whose list the page shows is active."""

    def __init__(self, request: HttpRequest) -> None:
        self.request = request

    @cached_property
    def links(self) -> list[SavedViewLink]:
        views = list(saved_views_for(viewer=self.request.user))
        if not views:
            return []
        active = self._active(views)
        return [
            SavedViewLink(
                name=view.name,
                url=view.get_absolute_url(),
                shared=view.shared,
                owner=display_name(view.owner),
                active=view is active,
            )
            for view in views
        ]

    @property
    def active(self) -> SavedViewLink | None:
        return next((link for link in self.links if link.active), None)

    def _active(self, views: list[SavedView]) -> SavedView | None:
        if self.request.path != reverse("cases:queue"):
            return None
        query = saved_view_query_normal(QueryDict(queue_query_as_filters(self.request.GET)))
        return saved_view_active(views, query=query)
