"""Major incident fixtures: bob (manager) runs them; alice (operator, service desk) owns a
task; charlie (operator, another team) must be refused what he cannot see; erin reads."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from cases.models import Case, RootCause, Team
from cases.services import case_raise
from incidents.models import MajorIncident
from incidents.services import incident_declare
from tests.factories import ContactFactory, CustomerFactory, RootCauseFactory


@pytest.fixture
def raise_case(alice, service_desk: Team) -> Callable[..., Case]:  # type: ignore[no-untyped-def]
    """Raise a case of the service desk for a new customer (with a contact), as alice."""

    def make(title: str = "Checkout fails", severity: str = "S2", **kwargs: object) -> Case:
        customer = kwargs.pop("customer", None) or CustomerFactory()
        contact = ContactFactory(customer=customer)
        return case_raise(
            raised_by=alice,
            customer=customer,
            contact=contact,
            title=title,
            description="Orders stop at the payment step.",
            severity=severity,
            team=service_desk,
            **kwargs,  # type: ignore[arg-type]
        )

    return make


@pytest.fixture
def parent(raise_case) -> Case:  # type: ignore[no-untyped-def]
    return raise_case("Payments down everywhere", severity="S1")


@pytest.fixture
def incident(parent: Case, bob) -> MajorIncident:  # type: ignore[no-untyped-def]
    return incident_declare(case=parent, by=bob, lead=bob)


@pytest.fixture
def root_cause(db: None) -> RootCause:
    return RootCauseFactory(name="Payment gateway outage")
