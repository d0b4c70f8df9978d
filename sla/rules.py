"""Where a breached case goes: the escalation rules' choice of team and owner.

- The category's specialist team, when the case is not with it and it is not below the case's
  level (and below management);
- else the next level: follow ``Team.escalates_to`` to the first active team above the case's
  level;
- else, or when that team is a management team, the escalation manager on duty (with the
  management team);
- at management level, nowhere: the breach is told, not moved.

Within a team, the active member who may hold cases and owns the fewest open cases takes it.
``Lookups`` keeps what a batch of escalations shares (team walks, member counts, the manager
on duty), so a batch of a hundred breaches costs a handful of these queries, not hundreds, and
counts the cases it hands out as it goes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth.models import User
from django.db import models
from django.utils.translation import gettext_lazy as _

from cases.models import Case, Level, Team
from cases.permissions import user_team_ids_load
from escalation.roles import user_roles_load
from sla import clock as bh
from sla.calendars import calendar_for
from sla.models import SlaPolicy
from sla.selectors import management_team_for, manager_on_duty, team_members_by_open_cases

LEVEL_RANK: dict[str, int] = {Level.L1: 1, Level.L2: 2, Level.L3: 3, Level.MANAGEMENT: 4}
TOP_RANK = LEVEL_RANK[Level.MANAGEMENT]
_UNSET: Any = object()


class Rule(models.TextChoices):
    WARN = "warn_owner_and_lead", _("Warn the owner and the team lead")
    TO_SPECIALIST = "breach_to_specialist_team", _("Reassign to the category's specialist team")
    TO_NEXT_LEVEL = "breach_to_next_level", _("Reassign to the next level")
    TO_MANAGER_ON_DUTY = "breach_to_manager_on_duty", _("Reassign to the manager on duty")
    AT_TOP = "breach_at_management", _("Breached at management level: notify")
    NO_TARGET = "breach_without_target", _("Nobody to escalate to: notify")
    UPDATE_OVERDUE = "update_overdue", _("Customer update overdue: notify")
    CLIMB_TO_NEXT_LEVEL = "climb_to_next_level", _("Not acknowledged: reassign to the next level")
    CLIMB_TO_LEAD = "climb_to_team_lead", _("Not acknowledged: reassign to the team lead")
    CLIMB_TO_MANAGER = (
        "climb_to_manager_on_duty",
        _("Not acknowledged: reassign to the manager on duty"),
    )


@dataclass(frozen=True)
class Target:
    rule: Rule
    team: Team | None
    owner: User | None
    level: str
    # The ladder's rung a climb reaches (CLIMB_RUNGS, from 1); 0 for the breach rules.
    rung: int = 0


@dataclass
class Lookups:
    """Answers shared by one batch of escalations (one transaction)."""

    members: dict[int, list[Any]] = field(default_factory=dict)
    next_teams: dict[tuple[int, int], Team | None] = field(default_factory=dict)
    on_duty: Any = _UNSET

    def manager_on_duty(self, now: datetime) -> User | None:
        if self.on_duty is _UNSET:
            self.on_duty = manager_on_duty(now=now)
        return self.on_duty  # type: ignore[no-any-return]

    def owner_in(self, team: Team, *, exclude_user_id: int | None) -> User | None:
        """The team member with the fewest open cases (counting those handed out in this
        batch); one query per team per batch."""
        if team.pk not in self.members:
            members = list(team_members_by_open_cases(team=team))
            # What assigning to them checks (roles, teams), for all of them at once.
            user_roles_load(members)
            user_team_ids_load(members)
            self.members[team.pk] = members
        candidates = [u for u in self.members[team.pk] if u.pk != exclude_user_id]
        if not candidates:
            return None
        chosen = min(candidates, key=lambda u: (u.open_cases, u.pk))
        chosen.open_cases += 1
        return chosen  # type: ignore[no-any-return]

    def next_level_team(self, team: Team | None, rank: int) -> Team | None:
        """Follow ``escalates_to`` from ``team`` to the first active team above ``rank``."""
        if team is None:
            return None
        key = (team.pk, rank)
        if key not in self.next_teams:
            self.next_teams[key] = _walk_up(team, rank)
        return self.next_teams[key]


def escalation_target(
    *, case: Case, now: datetime, lookups: Lookups | None = None
) -> Target | None:
    """Where a breached case goes next; None at management level or with nobody to take it."""
    lookups = lookups or Lookups()
    rank = level_rank(case.level)
    if rank >= TOP_RANK:
        return None
    exclude = case.owner_id
    specialist = case.category.specialist_team if case.category_id else None  # type: ignore[union-attr]
    if (
        specialist is not None
        and specialist.is_active
        and specialist.pk != case.team_id
        and rank <= level_rank(specialist.level) < TOP_RANK
    ):
        owner = lookups.owner_in(specialist, exclude_user_id=exclude)
        return Target(Rule.TO_SPECIALIST, specialist, owner, specialist.level)
    team = lookups.next_level_team(case.team, rank)
    if team is not None and level_rank(team.level) < TOP_RANK:
        owner = lookups.owner_in(team, exclude_user_id=exclude)
        return Target(Rule.TO_NEXT_LEVEL, team, owner, team.level)
    manager = lookups.manager_on_duty(now)
    if manager is None:
        if team is None:
            return None
        owner = lookups.owner_in(team, exclude_user_id=exclude)
        return Target(Rule.TO_NEXT_LEVEL, team, owner, team.level)
    mgmt_team = team if team is not None else management_team_for(user=manager)
    return Target(Rule.TO_MANAGER_ON_DUTY, mgmt_team, manager, Level.MANAGEMENT)


# The rungs of the acknowledge-or-climb ladder (sla.escalation), in order.
CLIMB_RUNGS = (Rule.CLIMB_TO_NEXT_LEVEL, Rule.CLIMB_TO_LEAD, Rule.CLIMB_TO_MANAGER)


def climb_target(*, case: Case, after: int, now: datetime, lookups: Lookups) -> Target | None:
    """The first rung of the ladder past rung ``after`` (0: none climbed yet) that can take
    the case from its owner: the next level (``escalation_target``'s rules), the lead of the
    case's team, the manager on duty. None when no rung is left."""
    for rung in range(after + 1, len(CLIMB_RUNGS) + 1):
        rule = CLIMB_RUNGS[rung - 1]
        target: Target | None = None
        if rule is Rule.CLIMB_TO_NEXT_LEVEL:
            found = escalation_target(case=case, now=now, lookups=lookups)
            if found is not None:
                target = Target(rule, found.team, found.owner, found.level, rung)
        elif rule is Rule.CLIMB_TO_LEAD:
            lead = case.team.lead if case.team is not None else None
            if lead is not None and lead.is_active:
                target = Target(rule, case.team, lead, case.level, rung)
        else:
            manager = lookups.manager_on_duty(now)
            if manager is not None:
                team = management_team_for(user=manager)
                target = Target(rule, team, manager, Level.MANAGEMENT, rung)
        if target is not None and target.owner is not None and target.owner.pk != case.owner_id:
            return target
    return None


def acknowledge_deadline(*, policy: SlaPolicy | None, now: datetime) -> datetime | None:
    """When the owner the engine gives a case at ``now`` must have acted on it by (the
    policy's ``acknowledge_minutes`` of business time); None without a ladder."""
    if policy is None or not policy.acknowledge_minutes:
        return None
    calendar = calendar_for(policy.calendar)
    return bh.add_business_time(calendar, now, timedelta(minutes=policy.acknowledge_minutes))


def level_rank(level: str) -> int:
    """The rank of a level (1 for a value that is not one): a dict lookup, the levels being
    strings (``Level.values`` builds the choices anew at each call)."""
    return LEVEL_RANK.get(level, 1)


def _walk_up(team: Team, rank: int) -> Team | None:
    seen: set[int] = set()
    current: Team | None = team
    while current is not None and current.escalates_to_id and current.pk not in seen:
        seen.add(current.pk)
        current = Team.objects.filter(pk=current.escalates_to_id).select_related("lead").first()
        if current is not None and current.is_active and level_rank(current.level) > rank:
            return current
    return None
