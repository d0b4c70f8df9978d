"""Who may open the contract pages: managers and executives read; only managers edit;
operators and people without a role are refused (403), anonymous visitors sent to log in."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from contracts.months import Month
from tests.access import EXECUTIVE, MANAGER, Rule, World

READERS = frozenset({MANAGER, EXECUTIVE})


def _contract(world: World) -> Any:
    from tests.contracts.factories import ContractFactory

    return ContractFactory(customer=world.case.customer)


def statement(world: World) -> dict[str, Any]:
    return {"customer_id": _contract(world).customer_id}


def statement_month(world: World) -> dict[str, Any]:
    return {**statement(world), "month": str(Month.containing(timezone.now()))}


def statement_table(world: World) -> dict[str, Any]:
    return {**statement_month(world), "table": "summary"}


def edit(world: World) -> dict[str, Any]:
    return {"pk": _contract(world).pk}


RULES = {
    "contracts:index": Rule(allowed=READERS),
    "contracts:statement": Rule(allowed=READERS, kwargs=statement),
    "contracts:statement_csv": Rule(allowed=READERS, kwargs=statement_table),
    "contracts:statement_pdf": Rule(allowed=READERS, kwargs=statement_month),
    "contracts:create": Rule(allowed=frozenset({MANAGER})),
    "contracts:edit": Rule(allowed=frozenset({MANAGER}), kwargs=edit),
    "contracts:dashboard_at_risk": Rule(allowed=READERS),
}
