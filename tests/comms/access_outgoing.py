"""Who may open each page of comms' outgoing side (see tests/access.py)."""

from __future__ import annotations

from typing import Any

from tests.access import MANAGER, OPERATOR, STAFF_ROLES, Rule, World

WRITERS = frozenset({OPERATOR, MANAGER})
POST_ONLY = frozenset({405})


def _case(world: World) -> dict[str, Any]:
    return {"reference": world.case.reference}


def _cc(world: World) -> dict[str, Any]:
    return {"reference": world.case.reference, "pk": 1}


def _template(world: World) -> dict[str, Any]:
    from django.utils import timezone

    from comms.models import ReplyTemplate

    template = ReplyTemplate.objects.create(name="Ack", body="Hello", updated_at=timezone.now())
    return {"pk": template.pk}


RULES = {
    # Everyone who sees the case sees who its updates go to (other team's case: 404, tested apart).
    "comms:case_panel": Rule(allowed=STAFF_ROLES, kwargs=_case),
    # POST-only: a GET is answered 405 for those who write; the others are refused first.
    "comms:update_deliveries": Rule(
        allowed=STAFF_ROLES, kwargs=lambda w: {"reference": w.case.reference, "event_id": 1}
    ),
    "comms:cc_add": Rule(allowed=WRITERS, kwargs=_case, ok_statuses=POST_ONLY),
    "comms:cc_remove": Rule(allowed=WRITERS, kwargs=_cc, ok_statuses=POST_ONLY),
    "comms:resend": Rule(allowed=WRITERS, kwargs=_case, ok_statuses=POST_ONLY),
    "comms:reply_template_picker": Rule(allowed=WRITERS, kwargs=_case),
    "comms:reply_template_fill": Rule(allowed=WRITERS, kwargs=_case),
    "comms:reply_templates": Rule(allowed=frozenset({MANAGER})),
    "comms:reply_template": Rule(allowed=frozenset({MANAGER}), kwargs=_template),
    "comms:reply_template_delete": Rule(
        allowed=frozenset({MANAGER}), kwargs=_template, ok_statuses=POST_ONLY
    ),
}
