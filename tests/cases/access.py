"""Who may open each page of the cases app (see tests/access.py).

The case URLs point at the operator's own team's case; another team's case is refused with 404
in tests/cases/test_views_case_page.py. Action URLs are POST-only: a GET from a persona who may
use them is answered 405, from anyone else 403.
"""

from __future__ import annotations

from typing import Any

from django.core.files.base import ContentFile
from django.utils import timezone

from cases.models import Attachment
from tests.access import EXECUTIVE, MANAGER, OPERATOR, Rule, World

CONTRIBUTORS = frozenset({OPERATOR, MANAGER})
VIEWERS = frozenset({OPERATOR, MANAGER, EXECUTIVE})
POST_ONLY = frozenset({405})


def on_case(world: World) -> dict[str, Any]:
    return {"reference": world.case.reference}


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
    "cases:detail": Rule(allowed=VIEWERS, kwargs=on_case),
    # Without HTMX the timeline redirects to the case page in the asked order.
    "cases:timeline": Rule(allowed=VIEWERS, kwargs=on_case),
    "cases:attachment": Rule(allowed=VIEWERS, kwargs=with_attachment),
    "cases:note": Rule(allowed=CONTRIBUTORS, kwargs=on_case, ok_statuses=POST_ONLY),
    "cases:attach": Rule(allowed=CONTRIBUTORS, kwargs=on_case, ok_statuses=POST_ONLY),
    "cases:watch": Rule(allowed=CONTRIBUTORS, kwargs=on_case, ok_statuses=POST_ONLY),
    **{
        f"cases:{name}": Rule(allowed=frozenset({MANAGER}), kwargs=on_case, ok_statuses=POST_ONLY)
        for name in (
            "acknowledge",
            "assign",
            "severity",
            "status",
            "resolve",
            "reopen",
            "close",
            "link",
        )
    },
}
