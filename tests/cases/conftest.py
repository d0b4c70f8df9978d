"""Personas the case tests share beyond tests/conftest.py."""

from __future__ import annotations

import pytest

from escalation.roles import Role
from tests.factories import UserFactory


@pytest.fixture
def olga(service_desk):  # type: ignore[no-untyped-def]
    """A second operator of the service desk: alice's team-mate."""
    user = UserFactory(username="olga", first_name="Olga", role=Role.OPERATOR)
    service_desk.members.add(user)
    return user
