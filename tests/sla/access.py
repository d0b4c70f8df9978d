"""Who may open each page of the SLA app (see tests/access.py).

The notifications page is every staff role's own list; marking read is POST-only (a GET from a
staff persona is answered 405). That nobody reads or marks another person's notifications is
tested in tests/sla/test_views.py.
"""

from __future__ import annotations

from tests.access import STAFF_ROLES, Rule, World

POST_ONLY = frozenset({405})


def case_ref(world: World) -> dict[str, str]:
    return {"reference": world.case.reference}


RULES = {
    "sla:notifications": Rule(allowed=STAFF_ROLES),
    "sla:notification_read": Rule(
        allowed=STAFF_ROLES, kwargs=lambda world: {"pk": 1}, ok_statuses=POST_ONLY
    ),
    "sla:notifications_read_all": Rule(allowed=STAFF_ROLES, ok_statuses=POST_ONLY),
    # The live bell's poll: without a mark it answers the bell (200).
    "sla:bell": Rule(allowed=STAFF_ROLES),
    "sla_api:policies": Rule(allowed=STAFF_ROLES, api=True),
    "sla_api:calendars": Rule(allowed=STAFF_ROLES, api=True),
    # Another team's case is refused the operator (404), as every case endpoint does: see
    # tests/cases/test_api_clocks.py.
    "sla_api:case-clocks": Rule(allowed=STAFF_ROLES, api=True, kwargs=case_ref),
}
