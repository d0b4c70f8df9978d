"""The reference data demo cases point at (customers, teams, policies...), read once."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.contrib.auth import get_user_model

from cases.models import Category, Contact, Customer, Level, Product, RootCause, Team, Tier
from demo.business import BusinessTime
from escalation.roles import Role, users_who_can_own, users_with_role
from escalation.users import display_name
from sla.calendars import calendar_for
from sla.models import SlaPolicy

SEVERITY_WEIGHTS = {"S1": 3, "S2": 12, "S3": 45, "S4": 40}
TIER_WEIGHTS: dict[str, float] = {Tier.STRATEGIC: 3.0, Tier.PREMIUM: 1.5, Tier.STANDARD: 1.0}


@dataclass(frozen=True)
class Policy:
    """An SLA policy's targets in business seconds, the business time of its calendar, and the
    names a breach fact keeps (sla.facts.breach_fact)."""

    id: int
    response: int
    resolution: int
    update: int | None
    warn_percent: int
    reescalate: int | None
    business: BusinessTime
    name: str
    calendar_name: str


class Reference:
    """The reference data the cases point at, read once. Raises ValueError naming what is
    missing when the demo reference data has not been loaded."""

    def __init__(self) -> None:
        self.customers = list(Customer.objects.filter(is_active=True).order_by("pk"))
        self.products = list(Product.objects.filter(is_active=True).order_by("pk"))
        self.categories = list(Category.objects.filter(is_active=True).order_by("pk"))
        self.causes = list(
            RootCause.objects.filter(parent__isnull=False, is_active=True)
            .select_related("parent")
            .order_by("pk")
        )
        self.teams = {t.pk: t for t in Team.objects.filter(is_active=True).order_by("pk")}
        # One BusinessTime per calendar, shared by its policies (it keeps running totals).
        business: dict[int, BusinessTime] = {}
        self.policies = {}
        for p in SlaPolicy.objects.select_related("calendar"):
            if p.calendar_id not in business:
                business[p.calendar_id] = BusinessTime(calendar_for(p.calendar))
            self.policies[(p.tier, p.severity)] = Policy(
                id=p.pk,
                response=p.response_minutes * 60,
                resolution=p.resolution_minutes * 60,
                update=p.update_minutes * 60 if p.update_minutes else None,
                warn_percent=p.warn_percent,
                reescalate=p.reescalate_minutes * 60 if p.reescalate_minutes else None,
                business=business[p.calendar_id],
                name=str(p),
                calendar_name=p.calendar.name,
            )
        User = get_user_model()
        holders = set(users_who_can_own().values_list("pk", flat=True))
        self.managers = sorted(users_with_role(Role.MANAGER).values_list("pk", flat=True))
        self.raisers = sorted(holders)
        self._check()
        self.labels = {u.pk: display_name(u) for u in User.objects.filter(pk__in=holders)}
        contacts: dict[int, list[int]] = {}
        for contact in Contact.objects.order_by("pk"):
            contacts.setdefault(contact.customer_id, []).append(contact.pk)
        self.contacts = contacts
        # Who may hold a team's cases: its active operator and manager members (as the SLA
        # engine picks them). A team without any leaves escalated cases unassigned.
        members: dict[int, list[int]] = {}
        for team_id, user_id in Team.members.through.objects.order_by("pk").values_list(
            "team_id", "user_id"
        ):
            if user_id in holders:
                members.setdefault(team_id, []).append(user_id)
        self.members = members
        self.first_line = [t for t in self.teams.values() if t.level == Level.L1] or list(
            self.teams.values()
        )
        management = [t for t in self.teams.values() if t.level == Level.MANAGEMENT]
        self.management = management[0] if management else None
        # The manager on duty when no shift is planned: the management team's lead.
        lead = self.management.lead_id if self.management else None
        self.on_duty = lead if lead in self.managers else None
        self.customer_cum = cumulative([TIER_WEIGHTS.get(c.tier, 1.0) for c in self.customers])

    def _check(self) -> None:
        missing = [
            name
            for name, rows in (
                ("customers", self.customers),
                ("products", self.products),
                ("categories", self.categories),
                ("root causes", self.causes),
                ("teams", self.teams),
                ("operators or managers", self.raisers),
                ("managers", self.managers),
            )
            if not rows
        ]
        missing += [
            f"SLA policy {tier} {severity}"
            for tier in Tier.values
            for severity in SEVERITY_WEIGHTS
            if (tier, severity) not in self.policies
        ]
        if missing:
            raise ValueError(
                "Load the reference data first (seed_demo); missing: " + ", ".join(missing)
            )

    def label(self, owner: int | None, team: Team | None, level: str) -> str:
        """How the case services write an assignment on the timeline."""
        who = self.labels.get(owner, "unassigned") if owner else "unassigned"
        return f"{who} ({team.name}, {level})" if team else f"{who} ({level})"


def cumulative(weights: Sequence[float]) -> list[float]:
    total, out = 0.0, []
    for weight in weights:
        total += weight
        out.append(total)
    return out
