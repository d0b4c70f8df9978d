"""Who may open the status page and its managers' panel (see tests/access.py)."""

from __future__ import annotations

from typing import Any

from tests.access import MANAGER, PERSONAS, Rule, World


def _token(world: World) -> dict[str, Any]:
    from comms.status_links import status_token_for

    return {"token": status_token_for(world.case)}


def _case(world: World) -> dict[str, Any]:
    return {"reference": world.case.reference}


RULES = {
    # The customer's link needs no login: everyone, anonymous included, sees the page.
    "status:page": Rule(allowed=frozenset(PERSONAS), kwargs=_token),
    # Managers see and revoke a case's link.
    "status:link_panel": Rule(allowed=frozenset({MANAGER}), kwargs=_case),
    # POST-only: a GET is answered 405 for managers; the others are refused first.
    "status:link_new": Rule(
        allowed=frozenset({MANAGER}), kwargs=_case, ok_statuses=frozenset({405})
    ),
}
