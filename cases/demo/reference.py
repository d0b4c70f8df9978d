"""The reference data demo cases point at (customers, teams, policies...), read once."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.contrib.auth import get_user_model

from cases.models import Category, Contact, Customer, Product, RootCause, Team, Tier
from escalation.roles import Role
from sla.models import SlaPolicy

SEVERITY_WEIGHTS = {"S1": 3, "S2": 12, "S3": 45, "S4": 40}
TIER_WEIGHTS = {Tier.STRATEGIC: 3.0, Tier.PREMIUM: 1.5, Tier.STANDARD: 1.0}


@dataclass(frozen=True)
class Policy:
    id: int
    response: int  # seconds
    resolution: int
    warn_percent: int


class Reference:
    """The reference data the cases point at, read once."""

    def __init__(self) -> None:
        self.customers = list(Customer.objects.filter(is_active=True).order_by("pk"))
        self.products = list(Product.objects.filter(is_active=True).order_by("pk"))
        self.categories = list(Category.objects.filter(is_active=True).order_by("pk"))
        self.causes = list(
            RootCause.objects.filter(parent__isnull=False, is_active=True).order_by("pk")
        )
        self.teams = {t.pk: t for t in Team.objects.filter(is_active=True).order_by("pk")}
        policies = SlaPolicy.objects.all()
        self.policies = {
            (p.tier, p.severity): Policy(
                p.pk, p.response_minutes * 60, p.resolution_minutes * 60, p.warn_percent
            )
            for p in policies
        }
        missing = [
            name
            for name, rows in (
                ("customers", self.customers),
                ("products", self.products),
                ("categories", self.categories),
                ("root causes", self.causes),
                ("teams", self.teams),
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
        contacts: dict[int, list[int]] = {}
        for contact in Contact.objects.order_by("pk"):
            contacts.setdefault(contact.customer_id, []).append(contact.pk)
        self.contacts = contacts
        members: dict[int, list[int]] = {}
        for team_id, user_id in Team.members.through.objects.order_by("pk").values_list(
            "team_id", "user_id"
        ):
            members.setdefault(team_id, []).append(user_id)
        # Who can own a case of a team: its members, else its lead.
        self.owners = {
            pk: members.get(pk) or ([t.lead_id] if t.lead_id else [])
            for pk, t in self.teams.items()
        }
        first_line = [t for t in self.teams.values() if t.level == "L1"] or list(
            self.teams.values()
        )
        self.first_line = first_line
        User = get_user_model()
        self.managers = list(
            User.objects.filter(groups__name=Role.MANAGER.value)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        raisers = list(
            User.objects.filter(groups__name__in=[Role.OPERATOR.value, Role.MANAGER.value])
            .order_by("pk")
            .values_list("pk", flat=True)
            .distinct()
        )
        self.raisers = raisers or list(User.objects.order_by("pk").values_list("pk", flat=True)[:1])
        if not self.raisers:
            raise ValueError("Load the reference data first (seed_demo): no users")
        self.managers = self.managers or self.raisers
        tiers = [TIER_WEIGHTS.get(c.tier, 1.0) for c in self.customers]
        self.customer_cum = cumulative(tiers)


def cumulative(weights: Sequence[float]) -> list[float]:
    total, out = 0.0, []
    for weight in weights:
        total += weight
        out.append(total)
    return out
