"""Demo data for `manage.py seed_demo`: people, teams, customers and SLA policies.

Idempotent: running it again updates nothing that exists and creates what is missing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction

from cases.models import Category, Contact, Customer, Level, Product, RootCause, Team, Tier
from escalation.roles import Role
from sla.models import BusinessCalendar, SlaPolicy, WorkingHours

DEMO_PASSWORD = "escalation-demo"


@dataclass(frozen=True)
class DemoUser:
    username: str
    first_name: str
    last_name: str
    role: Role | None
    team: str | None = None
    staff: bool = False


DEMO_USERS = (
    DemoUser("operator", "Olivia", "Operator", Role.OPERATOR, "Service desk"),
    DemoUser("operator2", "Oscar", "Ortega", Role.OPERATOR, "Service desk"),
    DemoUser("engineer", "Elena", "Engineer", Role.OPERATOR, "Application support"),
    DemoUser("specialist", "Sam", "Specialist", Role.OPERATOR, "Network specialists"),
    DemoUser("manager", "Maya", "Manager", Role.MANAGER, "Escalation management"),
    DemoUser("executive", "Evan", "Executive", Role.EXECUTIVE),
    DemoUser("admin", "Ada", "Admin", Role.MANAGER, staff=True),
)

# name, level, escalates to
TEAMS = (
    ("Escalation management", Level.MANAGEMENT, None),
    ("Engineering", Level.L3, "Escalation management"),
    ("Application support", Level.L2, "Engineering"),
    ("Service desk", Level.L1, "Application support"),
    ("Network specialists", Level.L2, "Engineering"),
)
TEAM_LEADS = {
    "Service desk": "operator",
    "Application support": "engineer",
    "Network specialists": "specialist",
    "Escalation management": "manager",
    "Engineering": "manager",
}

CUSTOMERS = (
    ("Northwind Traders", Tier.STRATEGIC),
    ("Contoso Pharma", Tier.STRATEGIC),
    ("Globex Logistics", Tier.PREMIUM),
    ("Initech Banking", Tier.PREMIUM),
    ("Umbrella Retail", Tier.PREMIUM),
    ("Hooli Media", Tier.STANDARD),
    ("Stark Manufacturing", Tier.STANDARD),
    ("Wayne Energy", Tier.STANDARD),
    ("Acme Foods", Tier.STANDARD),
    ("Vandelay Imports", Tier.STANDARD),
    ("Soylent Health", Tier.PREMIUM),
    ("Tyrell Robotics", Tier.STANDARD),
)
CONTACT_NAMES = ("Priya Shah", "Tom Becker", "Lena Novak", "Marco Rossi", "Aiko Tanaka")
PRODUCTS = (
    "Billing platform",
    "Customer portal",
    "Mobile app",
    "Data warehouse",
    "Payment gateway",
    "Network (WAN)",
    "Email service",
)
# category, specialist team
CATEGORIES = (
    ("Outage", None),
    ("Performance", "Application support"),
    ("Data integrity", "Engineering"),
    ("Security", "Engineering"),
    ("Connectivity", "Network specialists"),
    ("Integration", "Application support"),
    ("Billing dispute", None),
)
ROOT_CAUSES = {
    "Software": ("Code defect", "Regression after release", "Configuration error"),
    "Infrastructure": ("Hardware failure", "Capacity exhausted", "Network failure"),
    "Process": ("Change without approval", "Missing monitoring", "Documentation gap"),
    "Third party": ("Vendor outage", "Customer environment"),
}
# (tier, severity) -> response, resolution, update minutes (business time)
POLICY_MINUTES = {
    Tier.STRATEGIC: {
        "S1": (15, 240, 60),
        "S2": (30, 480, 120),
        "S3": (120, 1440, None),
        "S4": (240, 2880, None),
    },
    Tier.PREMIUM: {
        "S1": (30, 480, 120),
        "S2": (60, 960, 240),
        "S3": (240, 2400, None),
        "S4": (480, 4800, None),
    },
    Tier.STANDARD: {
        "S1": (60, 960, 240),
        "S2": (120, 1440, None),
        "S3": (480, 4800, None),
        "S4": (960, 9600, None),
    },
}


@transaction.atomic
def seed_reference_data() -> list[tuple[str, str, str]]:
    """Create demo people, teams, customers and SLA policies. Returns (username, password, role)."""
    User = get_user_model()
    users = {}
    logins = []
    for demo in DEMO_USERS:
        user, created = User.objects.get_or_create(
            username=demo.username,
            defaults={
                "first_name": demo.first_name,
                "last_name": demo.last_name,
                "email": f"{demo.username}@escalation.example",
                "is_staff": demo.staff,
                "is_superuser": demo.staff,
            },
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save(update_fields=["password"])
        if demo.role:
            # The roles migration creates the groups; get_or_create survives a flushed database.
            user.groups.add(Group.objects.get_or_create(name=demo.role.value)[0])
        users[demo.username] = user
        role = demo.role.label if demo.role else "none"
        logins.append((demo.username, DEMO_PASSWORD, role + (" + admin" if demo.staff else "")))

    teams: dict[str, Team] = {}
    for name, level, _next in TEAMS:
        team, _ = Team.objects.get_or_create(name=name, defaults={"level": level})
        teams[name] = team
    for name, _level, next_name in TEAMS:
        team = teams[name]
        changed = False
        if next_name and team.escalates_to_id is None:
            team.escalates_to = teams[next_name]
            changed = True
        if team.lead_id is None and name in TEAM_LEADS:
            team.lead = users[TEAM_LEADS[name]]
            changed = True
        if changed:
            team.save()
    for demo in DEMO_USERS:
        if demo.team:
            teams[demo.team].members.add(users[demo.username])
    teams["Escalation management"].members.add(users["admin"])

    for index, (name, tier) in enumerate(CUSTOMERS):
        customer, created = Customer.objects.get_or_create(
            name=name, defaults={"tier": tier, "account_manager": users["manager"]}
        )
        if created:
            Contact.objects.bulk_create(
                Contact(
                    customer=customer,
                    name=contact,
                    email=f"{contact.split()[0].lower()}@{name.split()[0].lower()}.example",
                )
                for contact in CONTACT_NAMES[index % 3 : index % 3 + 2]
            )
    for name in PRODUCTS:
        Product.objects.get_or_create(name=name)
    for name, specialist in CATEGORIES:
        Category.objects.get_or_create(
            name=name, defaults={"specialist_team": teams[specialist] if specialist else None}
        )
    for group, causes in ROOT_CAUSES.items():
        parent, _ = RootCause.objects.get_or_create(name=group, parent=None)
        for cause in causes:
            RootCause.objects.get_or_create(name=cause, parent=parent)

    office, created = BusinessCalendar.objects.get_or_create(
        name="Office hours (Mon-Fri 08:00-18:00)", defaults={"time_zone": "Europe/Amsterdam"}
    )
    if created:
        WorkingHours.objects.bulk_create(
            WorkingHours(calendar=office, weekday=day, start=time(8), end=time(18))
            for day in range(5)
        )
    always, _ = BusinessCalendar.objects.get_or_create(
        name="24x7", defaults={"time_zone": "UTC", "always_open": True}
    )
    for tier, by_severity in POLICY_MINUTES.items():
        for severity, (response, resolution, update) in by_severity.items():
            SlaPolicy.objects.get_or_create(
                tier=tier,
                severity=severity,
                defaults={
                    # Critical work for strategic customers runs around the clock.
                    "calendar": always if severity == "S1" else office,
                    "response_minutes": response,
                    "resolution_minutes": resolution,
                    "update_minutes": update,
                    "reescalate_minutes": resolution // 2,
                },
            )
    return logins
