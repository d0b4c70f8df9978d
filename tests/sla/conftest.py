"""The escalation ladder the SLA tests run on.

Service desk (L1, alice; lead lena) escalates to Second line (L2: dave, dina; lead lars), which
escalates to Engineering (L3: ed; lead elsa), which escalates to Management (bob leads it).
Network specialists (L2: nick) take breached cases of the Network category.
"""

from __future__ import annotations

import pytest

from cases.models import Category, Customer, Level, Team, Tier
from escalation.roles import Role
from sla.calendars import calendar_cache_clear
from sla.models import SlaPolicy
from tests.factories import CategoryFactory, CustomerFactory, TeamFactory, UserFactory
from tests.sla.factories import SlaPolicyFactory


@pytest.fixture(autouse=True)
def _fresh_calendar_cache() -> None:
    calendar_cache_clear()


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings) -> None:  # type: ignore[no-untyped-def]
    # The ladder makes a dozen users per test; real hashing would dominate the run time.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def operator(username: str, *teams: Team):  # type: ignore[no-untyped-def]
    user = UserFactory(username=username, role=Role.OPERATOR)
    for team in teams:
        team.members.add(user)
    return user


@pytest.fixture
def management(bob) -> Team:  # type: ignore[no-untyped-def]
    team = TeamFactory(name="Management", level=Level.MANAGEMENT, lead=bob)
    team.members.add(bob)
    return team


@pytest.fixture
def engineering(management: Team) -> Team:
    team = TeamFactory(name="Engineering", level=Level.L3, escalates_to=management)
    operator("ed", team)
    team.lead = operator("elsa")
    team.save()
    return team


@pytest.fixture
def second_line(engineering: Team) -> Team:
    team = TeamFactory(name="Second line", level=Level.L2, escalates_to=engineering)
    operator("dave", team)
    operator("dina", team)
    team.lead = operator("lars")
    team.save()
    return team


@pytest.fixture
def ladder(service_desk: Team, second_line: Team, alice) -> Team:  # type: ignore[no-untyped-def]
    """The service desk, wired to escalate up the ladder; returns the service desk."""
    service_desk.escalates_to = second_line
    service_desk.lead = operator("lena")
    service_desk.save()
    return service_desk


@pytest.fixture
def network_specialists(db: None) -> Team:
    team = TeamFactory(name="Network specialists", level=Level.L2)
    operator("nick", team)
    return team


@pytest.fixture
def network(network_specialists: Team) -> Category:
    return CategoryFactory(name="Network", specialist_team=network_specialists)


@pytest.fixture
def customer(db: None) -> Customer:
    return CustomerFactory(name="Acme", tier=Tier.STANDARD)


@pytest.fixture
def policy(db: None) -> SlaPolicy:
    return SlaPolicyFactory()
