"""Merging and major incidents: a parent may not be merged away (its incident would run on
with a closed case); a child may, and stays listed under its parent, closed."""

from __future__ import annotations

import pytest

from cases.models import Case, Status
from cases.services import case_merge
from escalation.errors import DomainError
from incidents.models import IncidentState, MajorIncident
from incidents.services import incident_link

pytestmark = pytest.mark.django_db


def test_a_major_incidents_parent_cannot_be_merged_into_another_case(
    incident: MajorIncident, parent: Case, raise_case, bob
) -> None:
    other = raise_case("Payments slow")
    with pytest.raises(DomainError, match="is a major incident"):
        case_merge(duplicate=parent, into=other, by=bob, reason="Same outage")
    parent.refresh_from_db()
    incident.refresh_from_db()
    assert parent.is_open and incident.state == IncidentState.ACTIVE


def test_a_child_can_be_merged_and_stays_under_its_parent_closed(
    incident: MajorIncident, parent: Case, raise_case, bob
) -> None:
    child = incident_link(incident=incident, child=raise_case("Shop A down"), by=bob)
    other = raise_case("Shop A cannot take orders")
    case_merge(duplicate=child, into=other, by=bob, reason="Same report")
    child.refresh_from_db()
    assert child.status == Status.CLOSED and child.parent_id == parent.pk


def test_a_case_can_be_merged_into_a_parent(
    incident: MajorIncident, parent: Case, raise_case, bob
) -> None:
    duplicate = raise_case("Payments down for us too")
    case_merge(duplicate=duplicate, into=parent, by=bob, reason="The same outage")
    duplicate.refresh_from_db()
    assert duplicate.status == Status.CLOSED
