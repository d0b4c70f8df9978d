"""Who may GET each cases API URL. POST-only action URLs answer GET with 405 to the roles that
pass the role check; the object checks (another team's case -> 404) are in test_api_refusals."""

from tests.access import STAFF_ROLES, Rule, World


def case_ref(world: World) -> dict[str, str]:
    return {"reference": world.case.reference}


def team(world: World) -> dict[str, int]:
    return {"team_id": world.case.team.pk}


POST_ONLY = frozenset({405})
ACTIONS = ("acknowledge", "assign", "status", "severity", "links", "resolve", "reopen", "close")

RULES = {
    "cases_api:list": Rule(allowed=STAFF_ROLES, api=True),
    "cases_api:detail": Rule(allowed=STAFF_ROLES, api=True, kwargs=case_ref),
    "cases_api:timeline": Rule(allowed=STAFF_ROLES, api=True, kwargs=case_ref),
    # Notes: POST only too.
    "cases_api:notes": Rule(allowed=STAFF_ROLES, api=True, kwargs=case_ref, ok_statuses=POST_ONLY),
    **{
        f"cases_api:{name}": Rule(
            allowed=STAFF_ROLES, api=True, kwargs=case_ref, ok_statuses=POST_ONLY
        )
        for name in ACTIONS
    },
    "cases_api:customers": Rule(allowed=STAFF_ROLES, api=True),
    "cases_api:products": Rule(allowed=STAFF_ROLES, api=True),
    "cases_api:categories": Rule(allowed=STAFF_ROLES, api=True),
    "cases_api:root-causes": Rule(allowed=STAFF_ROLES, api=True),
    "cases_api:teams": Rule(allowed=STAFF_ROLES, api=True),
    "cases_api:team-members": Rule(allowed=STAFF_ROLES, api=True, kwargs=team),
}
