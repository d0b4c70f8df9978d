"""A manager's saved view of the triage queue: a name for a set of filters and an order."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower
from django.urls import reverse

from cases.models.directory import Team

NAME_MAX = 80
# A normalised query string of the queue (cases.services.saved_views); every filter of the
# queue at its longest fits well within this.
QUERY_MAX = 2000


class SavedView(models.Model):
    """The query string is stored normalised (only the queue's own parameters, in one order), so
    the navigation links to exactly the list the manager saved and can tell when it is open.
    ``team`` set: shared with that team's members; empty: the owner's alone."""

    name = models.CharField(max_length=NAME_MAX)
    # Indexed by savedview_owner_name_unique (owner, lower(name)): no index of its own.
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="saved_views",
        db_index=False,
    )
    # Indexed by savedview_team_name_idx. A team that goes away leaves its views to their owners.
    team = models.ForeignKey(
        Team,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="saved_views",
        db_index=False,
    )
    query = models.CharField(max_length=QUERY_MAX, blank=True)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            # One name per owner, whatever its case: "Breached" and "breached" would read the
            # same in the navigation.
            models.UniqueConstraint(
                models.F("owner"), Lower("name"), name="savedview_owner_name_unique"
            ),
        ]
        indexes = [
            # The navigation reads a viewer's own views and their teams' shared ones, by name.
            models.Index(
                fields=["team", "name"],
                name="savedview_team_name_idx",
                condition=models.Q(team__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def shared(self) -> bool:
        return self.team_id is not None

    def get_absolute_url(self) -> str:
        queue = reverse("cases:queue")
        return f"{queue}?{self.query}" if self.query else queue
