"""Who may open each page of the cases app (see tests/access.py).

The case URLs point at the operator's own team's case; another team's case is refused with 404
in tests/cases/test_views_case_page.py. Action URLs are POST-only: a GET from a persona who may
use them is answered 405, from anyone else 403.

``WORK_RULES`` say who may work one case through its page (POSTs, run by
tests/cases/test_permissions_table.py): its owner, her team-mates and managers.
"""

from __future__ import annotations

from typing import Any

from django.core.files.base import ContentFile
from django.utils import timezone

from cases.models import Attachment, Severity, Status
from tests.access import EXECUTIVE, MANAGER, OPERATOR, WORKERS, ActionRule, Crew, Rule, World

CONTRIBUTORS = frozenset({OPERATOR, MANAGER})
VIEWERS = frozenset({OPERATOR, MANAGER, EXECUTIVE})
POST_ONLY = frozenset({405})


def on_case(world: World) -> dict[str, Any]:
    return {"reference": world.case.reference}


def assign_form(world: World) -> dict[str, Any]:
    return {"reference": world.case.reference, "name": "assign"}


def with_attachment(world: World) -> dict[str, Any]:
    attachment = Attachment(
        case=world.case,
        token="a" * 32,
        original_name="trace.txt",
        content_type="text/plain",
        size=5,
        uploaded_by=world.operator,
        uploaded_at=timezone.now(),
    )
    attachment.file.save(attachment.token, ContentFile(b"trace"), save=False)
    attachment.save()
    return {"reference": world.case.reference, "token": attachment.token}


RULES = {
    "cases:queue": Rule(allowed=frozenset({MANAGER, EXECUTIVE})),
    "cases:bulk": Rule(allowed=frozenset({MANAGER}), ok_statuses=POST_ONLY),
    "cases:mine": Rule(allowed=frozenset({OPERATOR})),
    "cases:raise": Rule(allowed=CONTRIBUTORS),
    "cases:raise_contacts": Rule(allowed=CONTRIBUTORS),
    "cases:raise_duplicates": Rule(allowed=CONTRIBUTORS),
    # The live pages' poll: without a mark it answers the current one (200).
    "cases:changes": Rule(allowed=VIEWERS),
    "cases:detail": Rule(allowed=VIEWERS, kwargs=on_case),
    # The case page's related-cases panel; without HTMX a page of its own.
    "cases:related": Rule(allowed=VIEWERS, kwargs=on_case),
    # Without HTMX the timeline redirects to the case page in the asked order.
    "cases:timeline": Rule(allowed=VIEWERS, kwargs=on_case),
    "cases:attachment": Rule(allowed=VIEWERS, kwargs=with_attachment),
    "cases:note": Rule(allowed=CONTRIBUTORS, kwargs=on_case, ok_statuses=POST_ONLY),
    "cases:attach": Rule(allowed=CONTRIBUTORS, kwargs=on_case, ok_statuses=POST_ONLY),
    "cases:watch": Rule(allowed=CONTRIBUTORS, kwargs=on_case, ok_statuses=POST_ONLY),
    # The operator belongs to the case's team: she works it (WORK_RULES has the finer rows).
    "cases:action_form": Rule(allowed=CONTRIBUTORS, kwargs=assign_form),
    **{
        f"cases:{name}": Rule(allowed=CONTRIBUTORS, kwargs=on_case, ok_statuses=POST_ONLY)
        for name in ("acknowledge", "assign", "status", "resolve")
    },
    **{
        f"cases:{name}": Rule(allowed=frozenset({MANAGER}), kwargs=on_case, ok_statuses=POST_ONLY)
        for name in ("severity", "reopen", "close", "link")
    },
}


def next_team(crew: Crew) -> Any:
    return crew.extra["next_team"]


WORK_RULES = {
    "acknowledge": ActionRule(
        url="cases:acknowledge",
        allowed=WORKERS,
        status=Status.NEW,
        data=lambda crew: {},
        done=lambda case: case.status == Status.ACKNOWLEDGED,
    ),
    "set waiting on customer": ActionRule(
        url="cases:status",
        allowed=WORKERS,
        status=Status.IN_PROGRESS,
        data=lambda crew: {"status-status": Status.WAITING, "status-reason": "Asked for logs"},
        done=lambda case: case.status == Status.WAITING,
    ),
    "back to in progress": ActionRule(
        url="cases:status",
        allowed=WORKERS,
        status=Status.WAITING,
        data=lambda crew: {"status-status": Status.IN_PROGRESS},
        done=lambda case: case.status == Status.IN_PROGRESS,
    ),
    "resolve": ActionRule(
        url="cases:resolve",
        allowed=WORKERS,
        status=Status.IN_PROGRESS,
        data=lambda crew: {
            "resolve-summary": "Renewed the certificate",
            "resolve-root_cause": crew.extra["root_cause"].pk,
        },
        done=lambda case: case.status == Status.RESOLVED and case.root_cause_id is not None,
    ),
    "hand on to a team-mate": ActionRule(
        url="cases:assign",
        allowed=WORKERS,
        status=Status.IN_PROGRESS,
        data=lambda crew: {"assign-owner": crew.extra["mate"].pk, "assign-reason": "My shift ends"},
        done=lambda case: case.owner.username == "mate",
    ),
    "hand on to another team's queue": ActionRule(
        url="cases:assign",
        allowed=WORKERS,
        status=Status.IN_PROGRESS,
        data=lambda crew: {"assign-team": next_team(crew).pk, "assign-reason": "Needs level 2"},
        done=lambda case: case.team.name == "Level 2" and case.owner_id is None,
    ),
    "back to the team's queue with no owner": ActionRule(
        url="cases:assign",
        allowed=WORKERS,
        status=Status.IN_PROGRESS,
        data=lambda crew: {"assign-unassign": "on", "assign-reason": "Off sick"},
        done=lambda case: case.owner_id is None and case.team.name == "Service desk",
    ),
    # Managers only, whoever owns the case; their role is checked before the case is looked up.
    "change severity": ActionRule(
        url="cases:severity",
        allowed=frozenset({MANAGER}),
        stranger_status=403,
        status=Status.IN_PROGRESS,
        data=lambda crew: {"severity-severity": Severity.S1, "severity-reason": "Site down"},
        done=lambda case: case.severity == Severity.S1,
    ),
    "close": ActionRule(
        url="cases:close",
        allowed=frozenset({MANAGER}),
        stranger_status=403,
        status=Status.RESOLVED,
        data=lambda crew: {},
        done=lambda case: case.status == Status.CLOSED,
    ),
    "reopen": ActionRule(
        url="cases:reopen",
        allowed=frozenset({MANAGER}),
        stranger_status=403,
        status=Status.RESOLVED,
        data=lambda crew: {"reopen-reason": "It came back"},
        done=lambda case: case.status == Status.IN_PROGRESS,
    ),
}
