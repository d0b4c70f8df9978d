"""What every case service shares: locking, permission guards, text checks, and saving a change
with its announcement (``cases.events``)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from cases.events import CaseChanged, announce
from cases.models import Case, Status
from escalation.errors import DomainError

TAGS_MAX = 10


def case_lock(case: Case) -> Case:
    """Re-read the case row under a lock (inside the caller's transaction).

    Services read-modify-write the returned instance, never the caller's possibly stale one.
    """
    return Case.objects.select_for_update().get(pk=case.pk)


def require(by: User | None, allowed: Callable[[User], bool]) -> None:
    """``by`` None is the system (SLA engine, tasks), which may do anything a service allows."""
    if by is not None and not allowed(by):
        raise PermissionDenied(_("Your role does not allow this action on the case."))


def require_not_closed(case: Case, action: str) -> None:
    if case.status == Status.CLOSED:
        raise DomainError(
            _("%(case)s is closed: it cannot be %(action)s.")
            % {"case": case.reference, "action": action}
        )


def case_touch_and_sync(case: Case, *, now: datetime, fields: list[str]) -> None:
    """Save the changed ``fields`` (and ``updated_at``), then announce the change
    (``CaseChanged``: the SLA clocks re-align). Call it after the timeline event is written,
    inside the transaction."""
    case.updated_at = now
    case.save(update_fields=[*fields, "updated_at"])
    announce(CaseChanged(case=case, at=now))
