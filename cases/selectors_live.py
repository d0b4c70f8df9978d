"""The live pages' "changed since" mark over the cases a viewer may see: the queue, the
operator's list and the dashboard carry it, and poll ``cases:changes`` with it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db.models import Count, DateTimeField, ExpressionWrapper, Max, Subquery, Value

from cases.visibility import case_visible_to
from escalation.roles import AnyUser

# Longer than any case service's transaction: a service stamps ``updated_at`` when it starts and
# commits a moment later, so a change can become visible with a stamp older than the newest one
# a poll has already seen. Counting the changes within this span of the newest catches it.
COMMIT_LAG = timedelta(seconds=60)
NO_CASES = "none"
# The count of step 2 stops here: past it, changes are so frequent that the newest stamp moves
# with each of them anyway.
RECENT_MAX = 1000


def case_change_mark(*, viewer: AnyUser) -> str:
    """A token that changes whenever a case the viewer may see changes, in one query.

    1. The newest ``updated_at`` among the cases the viewer may see: every case service stamps
       it (``case_touch_and_sync``), a resolution or reassignment included, so a case leaving
       a list moves it too. Read backwards off ``case_updated_idx``.
    2. How many of those cases changed within ``COMMIT_LAG`` of that newest stamp (up to
       ``RECENT_MAX``): a change committed late, stamped before the newest one, still moves
       this count.
    3. The token is both, ``"<microseconds since the epoch>.<count>"``; equal tokens mean
       nothing the viewer may see changed.

    A case that leaves an operator's teams without her having raised it moves neither number
    (she no longer sees its new stamp); her list drops it at its next refresh or reload.
    """
    visible = case_visible_to(viewer=viewer).order_by()
    newest = Subquery(visible.order_by("-updated_at").values("updated_at")[:1])
    since = ExpressionWrapper(newest - Value(COMMIT_LAG), output_field=DateTimeField())
    # Ordered and bounded, so the planner reads the recent stamps backwards off the index
    # (it cannot estimate ``>= newest - lag`` and would otherwise scan the table).
    recent = visible.filter(updated_at__gte=since).order_by("-updated_at")[:RECENT_MAX]
    row = recent.aggregate(newest=Max("updated_at"), recent=Count("pk"))
    if row["newest"] is None:
        return NO_CASES
    return f"{int(row['newest'].timestamp() * 1_000_000)}.{row['recent']}"


@dataclass(frozen=True)
class LiveRegion:
    """What a page's live region carries (``static/js/live.js`` polls ``cases:changes``)."""

    mark: str
    every: int


def case_live_region(*, viewer: AnyUser) -> LiveRegion:
    """The mark for a page that lists cases. Take it before the page reads its rows: a change
    committed in between then moves the next mark, and the page refreshes once more."""
    return LiveRegion(mark=case_change_mark(viewer=viewer), every=settings.LIVE_POLL_SECONDS)
