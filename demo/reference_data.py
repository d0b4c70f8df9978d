"""Demo data for `manage.py seed_demo`: people, teams, customers, calendars and SLA policies.

Idempotent: running it again updates nothing that exists and creates what is missing (a later
year's public holidays, say). The one exception is the generic office-hours calendar of earlier
demos: it becomes the Amsterdam calendar, and its policies move to the calendar they belong on.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time

import holidays
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, User
from django.db import transaction
from django.utils import timezone

from cases.models import Category, Contact, Customer, Level, Product, RootCause, Team, Tier
from escalation.roles import Role
from sla.calendars import calendar_changed
from sla.models import BusinessCalendar, Holiday, SlaPolicy, WorkingHours
from sla.services import clocks_resync_later

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


@dataclass(frozen=True)
class DemoCalendar:
    """An office's working week (Monday to Friday) and its country's public holidays."""

    name: str
    time_zone: str
    start: time
    end: time
    country: str
    subdivision: str | None = None


AMSTERDAM = DemoCalendar(
    "Office hours Amsterdam (Mon-Fri 08:00-18:00, Dutch holidays)",
    "Europe/Amsterdam",
    time(8),
    time(18),
    "NL",
)
# The standard tier is served from the Rome office (Rome's patron saints' day included).
ROME = DemoCalendar(
    "Office hours Rome (Mon-Fri 09:00-18:00, Italian holidays)",
    "Europe/Rome",
    time(9),
    time(18),
    "IT",
    "RM",
)
OFFICE_BY_TIER = {Tier.STRATEGIC: AMSTERDAM, Tier.PREMIUM: AMSTERDAM, Tier.STANDARD: ROME}
# The office-hours calendar earlier demos created, without holidays.
LEGACY_OFFICE = "Office hours (Mon-Fri 08:00-18:00)"
ALWAYS = "24x7"
# The demo's cases span two years back; their deadlines and the coming year lie ahead.
HOLIDAY_YEARS_BACK, HOLIDAY_YEARS_AHEAD = 2, 1
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
def seed_reference_data(*, now: datetime | None = None) -> list[tuple[str, str, str]]:
    """Create demo people, teams, customers, calendars and SLA policies.

    Returns (username, password, role) per demo login. The calendars' holidays cover the years
    from two before `now` to one after.
    """
    users, logins = _users_seed()
    teams = _teams_seed(users)
    _directory_seed(users=users, teams=teams)
    seed_policies(now=now or timezone.now())
    return logins


def _users_seed() -> tuple[dict[str, User], list[tuple[str, str, str]]]:
    """The demo users with their roles, by username, and their logins."""
    users: dict[str, User] = {}
    logins = []
    for demo in DEMO_USERS:
        user, created = get_user_model().objects.get_or_create(
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
    return users, logins


def _teams_seed(users: dict[str, User]) -> dict[str, Team]:
    """The teams, each escalating to the next and led by its lead, with their members."""
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
    return teams


def _directory_seed(*, users: dict[str, User], teams: dict[str, Team]) -> None:
    """The customers with their contacts, the products, categories and root causes."""
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


def seed_policies(*, now: datetime) -> None:
    """The calendars and the SLA policies: 24x7 for every S1, office hours for the rest.

    1. Reuse the legacy office-hours calendar as the Amsterdam one (the same row, renamed), or
       create the office calendars with their working hours.
    2. Add the public holidays missing for the years around `now`; a calendar that existed
       gets a new revision, so every process rebuilds its cached copy.
    3. Create the missing policies. Policies still on the legacy calendar move to their
       office's calendar.
    4. Re-sync, after commit, the open cases whose calendar or policy changed.
    """
    years = range(now.year - HOLIDAY_YEARS_BACK, now.year + HOLIDAY_YEARS_AHEAD + 1)
    legacy = BusinessCalendar.objects.filter(name=LEGACY_OFFICE).first()
    changed: list[BusinessCalendar] = []
    offices = {
        spec: _office_seed(spec, legacy=legacy, years=years, changed=changed)
        for spec in (AMSTERDAM, ROME)
    }
    always, _ = BusinessCalendar.objects.get_or_create(
        name=ALWAYS, defaults={"time_zone": "UTC", "always_open": True}
    )
    moved = _policies_seed(offices=offices, always=always, legacy=legacy)
    if changed or moved:
        clocks_resync_later(policies=moved, calendar_ids=[c.pk for c in changed])


def _office_seed(
    spec: DemoCalendar,
    *,
    legacy: BusinessCalendar | None,
    years: range,
    changed: list[BusinessCalendar],
) -> BusinessCalendar:
    """Steps 1 and 2 for one office: its calendar, appended to ``changed`` if it existed and
    its holidays changed (or it was the legacy one)."""
    calendar = BusinessCalendar.objects.filter(name=spec.name).first()
    existed = calendar is not None
    if calendar is None and legacy is not None and spec is AMSTERDAM:
        calendar, existed = legacy, True
        calendar.name, calendar.time_zone = spec.name, spec.time_zone
        calendar.save(update_fields=["name", "time_zone"])
    if calendar is None:
        calendar = BusinessCalendar.objects.create(name=spec.name, time_zone=spec.time_zone)
    if not WorkingHours.objects.filter(calendar=calendar).exists():
        WorkingHours.objects.bulk_create(
            WorkingHours(calendar=calendar, weekday=day, start=spec.start, end=spec.end)
            for day in range(5)
        )
    added = _holidays_add(calendar=calendar, days=public_holidays(spec, years=years))
    if existed and (added or calendar is legacy):
        calendar_changed(calendar=calendar)
        changed.append(calendar)
    return calendar


def _policies_seed(
    *,
    offices: dict[DemoCalendar, BusinessCalendar],
    always: BusinessCalendar,
    legacy: BusinessCalendar | None,
) -> list[tuple[str, str]]:
    """Step 3: the missing policies; the (tier, severity) of those moved off the legacy
    calendar."""
    moved: list[tuple[str, str]] = []
    for tier, by_severity in POLICY_MINUTES.items():
        for severity, (response, resolution, update) in by_severity.items():
            # Critical work runs around the clock; the rest in the office's working hours.
            calendar = always if severity == "S1" else offices[OFFICE_BY_TIER[tier]]
            policy, created = SlaPolicy.objects.get_or_create(
                tier=tier,
                severity=severity,
                defaults={
                    "calendar": calendar,
                    "response_minutes": response,
                    "resolution_minutes": resolution,
                    "update_minutes": update,
                    "reescalate_minutes": resolution // 2,
                },
            )
            if (
                not created
                and legacy is not None
                and policy.calendar_id == legacy.pk
                and policy.calendar_id != calendar.pk
            ):
                policy.calendar = calendar
                policy.save(update_fields=["calendar"])
                moved.append((tier, severity))
    return moved


def public_holidays(spec: DemoCalendar, *, years: Iterable[int]) -> dict[date, str]:
    """The office's public holidays in `years` (the `holidays` package), by date."""
    found = holidays.country_holidays(
        spec.country, subdiv=spec.subdivision, years=list(years), language="en_US"
    )
    return dict(sorted(found.items()))


def _holidays_add(*, calendar: BusinessCalendar, days: dict[date, str]) -> int:
    """Add the holidays the calendar lacks; the number added."""
    known = set(Holiday.objects.filter(calendar=calendar).values_list("date", flat=True))
    missing = [
        Holiday(calendar=calendar, date=day, name=name[:100])
        for day, name in days.items()
        if day not in known
    ]
    Holiday.objects.bulk_create(missing)
    return len(missing)
