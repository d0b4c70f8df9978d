"""Saving and deleting the triage queue's saved views (managers only)."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.http import QueryDict
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from cases.filters import CaseFilter
from cases.models import Case, SavedView, Team
from cases.models.saved_view import NAME_MAX, QUERY_MAX
from cases.permissions import can_triage
from cases.selectors_saved_views import QUERY_NAMES, saved_view_query_normal
from escalation.errors import DomainError
from escalation.text import text_clean


def saved_view_query(query: str) -> str:
    """``query`` (a query string in the queue FilterSet's terms) in the form a view stores;
    DomainError on the ``query`` field naming each parameter the queue does not know and each
    value its filter refuses."""
    if len(query) > QUERY_MAX:
        raise DomainError(
            _("These filters are too long to save (at most %(max)s characters).")
            % {"max": number_format(QUERY_MAX, force_grouping=True)},
            field="query",
        )
    data = QueryDict(query.lstrip("?"))
    unknown = sorted(set(data) - set(QUERY_NAMES))
    if unknown:
        raise DomainError(
            _("Not a filter of the queue: %(unknown)s. The queue filters by %(names)s.")
            % {"unknown": ", ".join(unknown), "names": ", ".join(QUERY_NAMES)},
            field="query",
        )
    filterset = CaseFilter(data=data, queryset=Case.objects.none())
    if not filterset.is_valid():
        form = filterset.form
        problems = [
            f"{form.fields[name].label if name in form.fields else name}: {message}"
            for name, messages in form.errors.items()
            for message in messages
        ]
        raise DomainError(
            _("These filters are not valid.") + " " + " ".join(problems), field="query"
        )
    normal = saved_view_query_normal(data)
    if len(normal) > QUERY_MAX:
        raise DomainError(
            _("These filters are too long to save (at most %(max)s characters).")
            % {"max": number_format(QUERY_MAX, force_grouping=True)},
            field="query",
        )
    return normal


def saved_view_share_team(owner: User) -> Team:
    """The team a view is shared with: the owner's (the one they lead first, then by name);
    DomainError when they are in no team."""
    teams = sorted(owner.teams.all(), key=lambda team: (team.lead_id != owner.pk, team.name))
    if not teams:
        raise DomainError(_("You are in no team to share this view with."), field="shared")
    return teams[0]


def saved_view_save(*, owner: User, name: str, query: str, shared: bool) -> SavedView:
    """Save the queue's filters and order ``query`` under ``name``, for ``owner`` alone or
    shared with their team. Managers only; a name the owner already uses is refused."""
    if not can_triage(owner):
        raise PermissionDenied(_("Only escalation managers save views of the queue."))
    name = text_clean(
        name, field="name", label=_("Name"), max_length=NAME_MAX, required=True, multiline=False
    )
    normal = saved_view_query(query)
    team = saved_view_share_team(owner) if shared else None
    taken = DomainError(
        _("You already have a view named “%(name)s”.") % {"name": name}, field="name"
    )
    now = timezone.now()
    with transaction.atomic():
        if SavedView.objects.filter(owner=owner, name__iexact=name).exists():
            raise taken
        try:
            # Two tabs saving the same name at once: the constraint refuses the second.
            with transaction.atomic():
                return SavedView.objects.create(
                    owner=owner, team=team, name=name, query=normal, created_at=now, updated_at=now
                )
        except IntegrityError:
            raise taken from None


def saved_view_delete(*, view: SavedView, by: User) -> None:
    """Delete ``view``: its owner only (team-mates see a shared view; they do not remove it)."""
    if view.owner_id != by.pk or not can_triage(by):
        raise PermissionDenied(_("Only the manager who saved a view deletes it."))
    with transaction.atomic():
        SavedView.objects.filter(pk=view.pk).delete()
