"""The live pages' poll: has anything the viewer may see changed since the page's mark?

Polling, not server-sent events: gunicorn's sync workers hold one worker per open stream, so a
few dozen open queues would take every worker; a poll is one short request that answers 204
(nothing changed) from one indexed query. README "Live pages" has the figures.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

from cases.selectors_live import case_change_mark
from escalation.access import role_required
from escalation.roles import Role

# Everyone who may see cases: the queue's managers and executives, the operators' own list.
VIEWERS = (Role.OPERATOR, Role.MANAGER, Role.EXECUTIVE)


@require_GET
@role_required(*VIEWERS)
def changes(request: HttpRequest) -> HttpResponse:
    """204 when the mark is still ``?mark=``; 200 with the new mark otherwise (the page then
    refreshes its region, which carries the new mark)."""
    mark = case_change_mark(viewer=request.user)
    if request.GET.get("mark") == mark:
        return HttpResponse(status=204)
    return HttpResponse(mark, content_type="text/plain; charset=utf-8")
