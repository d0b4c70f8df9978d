"""Mail that waits for its reader's working hours: no 03:00 mail about an S4.

A person's hours are their own ``NotifyHours`` calendar, else that of the first team (by
name) they are in that has one, else none (any time). The in-app notification is there at
once either way; only its mail waits (``OutgoingMail.not_before``, see ``sla.outbox``).
News about an S1 case, or a case whose SLA policy runs on a 24x7 calendar, goes at once.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from cases.models import Case, Severity, Team
from sla import clock as bh
from sla.calendars import calendar_for
from sla.models import NotifyHours, SlaPolicy


def hours_of(user_ids: Iterable[int]) -> dict[int, bh.Calendar]:
    """The working hours of each of these people who has any (two queries)."""
    ids = set(user_ids)
    if not ids:
        return {}
    memberships = Team.members.through.objects.filter(user_id__in=ids)
    rows = list(
        NotifyHours.objects.select_related("calendar", "team").filter(user_id__in=ids)
        | NotifyHours.objects.select_related("calendar", "team").filter(
            team_id__in=memberships.values("team_id")
        )
    )
    own = {row.user_id: row for row in rows if row.user_id is not None}
    by_team = {row.team_id: row for row in rows if row.team_id is not None}
    hours: dict[int, bh.Calendar] = {}
    if by_team:
        links = memberships.filter(team_id__in=list(by_team)).values_list("user_id", "team_id")
        names = {row.team_id: row.team.name if row.team else "" for row in by_team.values()}
        for user_id, team_id in sorted(links, key=lambda link: names[link[1]]):
            hours.setdefault(user_id, calendar_for(by_team[team_id].calendar))
    for user_id, row in own.items():
        hours[user_id] = calendar_for(row.calendar)
    return hours


class Urgency:
    """Which news goes at once whatever the hour: about an S1 case, or a case whose policy is
    24x7 (news about no case waits like any other). The policies are read once, when first
    needed."""

    def __init__(self) -> None:
        self._always_open: dict[tuple[str, str], bool] | None = None

    def urgent(self, case: Case | None) -> bool:
        if case is None:
            return False
        if case.severity == Severity.S1:
            return True
        if self._always_open is None:
            self._always_open = {
                (p.tier, p.severity): p.calendar.always_open
                for p in SlaPolicy.objects.select_related("calendar")
            }
        return self._always_open.get((case.customer.tier, case.severity), False)


def not_before(calendar: bh.Calendar | None, now: datetime) -> datetime | None:
    """When mail to someone with these hours may go: None when it may go now."""
    if calendar is None:
        return None
    opens = bh.next_open(calendar, now)
    return opens if opens > now else None
