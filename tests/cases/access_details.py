"""Who may open the case page's details and merge actions and the merge endpoint (see
tests/access.py). All are POST-only: a GET from a role that passes the role check is answered
405. Who may change which case is tested in test_details.py and test_merge.py."""

from tests.access import MANAGER, OPERATOR, STAFF_ROLES, Rule, World

POST_ONLY = frozenset({405})


def on_case(world: World) -> dict[str, str]:
    return {"reference": world.case.reference}


RULES = {
    # Operators work their team's cases (cases.permissions.can_work): the role passes.
    "cases:details": Rule(
        allowed=frozenset({OPERATOR, MANAGER}), kwargs=on_case, ok_statuses=POST_ONLY
    ),
    "cases:merge": Rule(allowed=frozenset({MANAGER}), kwargs=on_case, ok_statuses=POST_ONLY),
    "cases_api:merge": Rule(allowed=STAFF_ROLES, api=True, kwargs=on_case, ok_statuses=POST_ONLY),
}
