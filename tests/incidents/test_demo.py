"""The demo data seeds one major incident with a few children, once."""

from __future__ import annotations

import pytest
from django.utils import timezone

from cases.models import Case
from demo.incidents import seed_major_incident
from incidents.models import MajorIncident

pytestmark = pytest.mark.django_db


def test_the_demo_declares_one_incident_with_children_once(raise_case, bob) -> None:
    for n in range(5):
        raise_case(f"Shop {n}", severity="S2")
    assert seed_major_incident(by=bob, now=timezone.now()) == 4
    incident = MajorIncident.objects.get()
    assert Case.objects.filter(parent=incident.case).count() == 4
    assert incident.tasks.count() == 3
    assert seed_major_incident(by=bob, now=timezone.now()) == 0
    assert MajorIncident.objects.count() == 1
