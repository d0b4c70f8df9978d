"""Reads of the triage queue's saved views, and the one form of a queue query they store.

A saved view's query is in the queue FilterSet's terms (``cases.filters.CaseFilter``), the terms
of ``/api/cases/`` too: no page-only marker, no cursor. Its form is fixed (the filters in their
declared order, each value once, sorted; the status and the order always stated) so that the
queue page and the API list show the same cases for it, and the navigation can tell, by
comparing strings, when the page shows a saved view.
"""

from __future__ import annotations

from collections.abc import Iterable

import django_filters
from django.db.models import Q, QuerySet
from django.db.models.functions import Lower
from django.http import QueryDict
from django.utils.http import urlencode

from cases.filters import CaseFilter, Sort
from cases.models import SavedView, Status, Team
from escalation.roles import AnyUser, Role, has_role

# The queue's parameters a view stores: every filter of the FilterSet (``sort`` is one).
QUERY_NAMES: tuple[str, ...] = tuple(CaseFilter.base_filters)
MULTI_VALUED = frozenset(
    name
    for name, declared in CaseFilter.base_filters.items()
    if isinstance(declared, django_filters.MultipleChoiceFilter)
)
# "No status" means every status in the FilterSet's terms, while the page reads it as "open":
# stated, it reads the same on both.
EVERY_STATUS: tuple[str, ...] = tuple(Status.values)


def saved_view_query_normal(data: QueryDict) -> str:
    """``data`` (FilterSet terms) as a saved view stores it; names the FilterSet does not know
    are left out (``cases.services.saved_views`` refuses them before it gets here).

    1. Each known name in declared order; blank values dropped; a multi-valued filter's values
       once each, sorted; a single-valued one its last value (the one the FilterSet applies).
    2. No status: every status. No sort: the queue's default order.
    """
    normal: list[tuple[str, list[str]]] = []
    for name in QUERY_NAMES:
        values = [value.strip() for value in data.getlist(name) if value.strip()]
        if not values and name == "status":
            values = list(EVERY_STATUS)
        if not values and name == "sort":
            values = [Sort.DUE]
        if values:
            normal.append((name, sorted(set(values)) if name in MULTI_VALUED else values[-1:]))
    return urlencode(normal, doseq=True)


def saved_views_for(*, viewer: AnyUser) -> QuerySet[SavedView]:
    """The views ``viewer`` may open, by name: their own and those shared with a team they are
    in. Managers only (the views open the triage queue, and only managers save them).
    One query, whatever the number of views (the teams are a subquery)."""
    pk = viewer.pk
    if pk is None or not has_role(viewer, Role.MANAGER):
        return SavedView.objects.none()
    teams = Team.members.through.objects.filter(user_id=pk).values("team_id")
    return (
        SavedView.objects.filter(Q(owner_id=pk) | Q(team_id__in=teams))
        .select_related("owner", "team")
        .order_by(Lower("name"), "id")
    )


def saved_view_get_for_viewer(*, viewer: AnyUser, view_id: int) -> SavedView | None:
    """One view ``viewer`` may open, or None (no such view, or not theirs to see)."""
    return saved_views_for(viewer=viewer).filter(pk=view_id).first()


def saved_view_active(views: Iterable[SavedView], *, query: str) -> SavedView | None:
    """The view whose stored query is ``query`` (normal form), if one is."""
    return next((view for view in views if view.query == query), None)
