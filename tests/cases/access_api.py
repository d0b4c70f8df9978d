"""Who may GET each cases API URL. POST-only action URLs answer GET with 405 to the roles that
pass the role check; the object checks (another team's case -> 404) are in test_api_refusals.

``WORK_RULES`` say who may work one case through the API (POSTs, run by
tests/cases/test_permissions_table.py), as tests/cases/access.py says it for the page."""

from collections.abc import Callable
from typing import Any

from cases.models import Severity, Status
from tests.access import MANAGER, STAFF_ROLES, WORKERS, ActionRule, Crew, Rule, World


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


def _work(
    url: str,
    status: str,
    done: Callable[[Any], bool],
    data: Callable[[Crew], dict[str, Any]] = lambda crew: {},
    allowed: frozenset[str] = WORKERS,
) -> ActionRule:
    return ActionRule(
        url=f"cases_api:{url}", allowed=allowed, status=status, data=data, done=done, api=True
    )


MANAGERS = frozenset({MANAGER})
WORK_RULES = {
    "acknowledge": _work(
        "acknowledge", Status.NEW, lambda case: case.status == Status.ACKNOWLEDGED
    ),
    "set waiting on customer": _work(
        "status",
        Status.IN_PROGRESS,
        lambda case: case.status == Status.WAITING,
        lambda crew: {"status": Status.WAITING, "reason": "Asked for logs"},
    ),
    "back to in progress": _work(
        "status",
        Status.WAITING,
        lambda case: case.status == Status.IN_PROGRESS,
        lambda crew: {"status": Status.IN_PROGRESS},
    ),
    "resolve": _work(
        "resolve",
        Status.IN_PROGRESS,
        lambda case: case.status == Status.RESOLVED and case.root_cause_id is not None,
        lambda crew: {"summary": "Renewed it", "root_cause": crew.extra["root_cause"].pk},
    ),
    "hand on to a team-mate": _work(
        "assign",
        Status.IN_PROGRESS,
        lambda case: case.owner.username == "mate",
        lambda crew: {"owner": crew.extra["mate"].pk, "reason": "My shift ends"},
    ),
    "hand on to another team's queue": _work(
        "assign",
        Status.IN_PROGRESS,
        lambda case: case.team.name == "Level 2" and case.owner_id is None,
        lambda crew: {"team": crew.extra["next_team"].pk, "reason": "Needs level 2"},
    ),
    "back to the team's queue with no owner": _work(
        "assign",
        Status.IN_PROGRESS,
        lambda case: case.owner_id is None and case.team.name == "Service desk",
        lambda crew: {"unassign": True, "reason": "Off sick"},
    ),
    # Managers only, whoever owns the case.
    "change severity": _work(
        "severity",
        Status.IN_PROGRESS,
        lambda case: case.severity == Severity.S1,
        lambda crew: {"severity": Severity.S1, "reason": "Site down"},
        allowed=MANAGERS,
    ),
    "close": _work(
        "close", Status.RESOLVED, lambda case: case.status == Status.CLOSED, allowed=MANAGERS
    ),
    "reopen": _work(
        "reopen",
        Status.RESOLVED,
        lambda case: case.status == Status.IN_PROGRESS,
        lambda crew: {"reason": "It came back"},
        allowed=MANAGERS,
    ),
}
