"""Who may open the saved views of the triage queue (see tests/access.py): managers only. The
delete URLs take POST (page) or DELETE (API): a manager's GET is answered 405."""

from __future__ import annotations

from typing import Any

from cases.services.saved_views import saved_view_save
from tests.access import MANAGER, Rule, World

MANAGERS = frozenset({MANAGER})
NOT_GET = frozenset({405})


def a_view(world: World) -> dict[str, Any]:
    view = saved_view_save(owner=world.manager, name="Breached", query="sla=breached", shared=False)
    return {"view_id": view.pk}


RULES = {
    "cases:saved_views": Rule(allowed=MANAGERS),
    "cases:saved_view_delete": Rule(allowed=MANAGERS, kwargs=a_view, ok_statuses=NOT_GET),
    "cases_api:saved-views": Rule(allowed=MANAGERS, api=True),
    "cases_api:saved-view": Rule(allowed=MANAGERS, api=True, kwargs=a_view, ok_statuses=NOT_GET),
}
