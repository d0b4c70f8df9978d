"""Who may open the incidents' pages (see tests/access.py). The panel is on the operator's
team's case, declared a major incident with the other team's case as a child (which the
operator must not see listed); the actions are POST-only: a GET from a manager is 405."""

from __future__ import annotations

from typing import Any

from incidents.services import incident_declare, incident_link
from tests.access import EXECUTIVE, MANAGER, OPERATOR, STAFF_ROLES, Rule, World

VIEWERS = frozenset({OPERATOR, MANAGER, EXECUTIVE})
POST_ONLY = frozenset({405})


def on_incident(world: World) -> dict[str, Any]:
    incident = incident_declare(case=world.case, by=world.manager, lead=world.manager)
    incident_link(incident=incident, child=world.other_case, by=world.manager)
    return {"reference": world.case.reference}


def declare_action(world: World) -> dict[str, Any]:
    return {"reference": world.case.reference, "name": "declare"}


RULES = {
    "incidents:list": Rule(allowed=frozenset({MANAGER, EXECUTIVE})),
    "incidents:panel": Rule(allowed=VIEWERS, kwargs=on_incident),
    "incidents:action": Rule(
        allowed=frozenset({MANAGER}), kwargs=declare_action, ok_statuses=POST_ONLY
    ),
    # Without HTMX the picker sends the manager back to the queue.
    "incidents:bulk_picker": Rule(allowed=frozenset({MANAGER})),
    "incidents:bulk_link": Rule(allowed=frozenset({MANAGER}), ok_statuses=POST_ONLY),
    # As the other API actions: a GET is 405 for the staff (the POST checks the role).
    "incidents_api:children": Rule(
        allowed=STAFF_ROLES,
        kwargs=lambda w: {"reference": w.case.reference},
        api=True,
        ok_statuses=POST_ONLY,
    ),
}
