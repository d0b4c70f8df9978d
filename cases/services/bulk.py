"""Bulk triage: the same change applied to many cases, each case on its own."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from cases.models import Case, Status, Team
from cases.permissions import can_triage
from cases.services.common import require
from cases.services.lifecycle import case_acknowledge, case_set_status
from cases.services.triage import case_assign, case_change_severity
from escalation.errors import DomainError
from escalation.text import REASON_MAX, text_clean

BULK_MAX = 200


@dataclass
class BulkResult:
    """What a bulk update did: the references changed, and for each refused case why."""

    updated: list[str] = field(default_factory=list)
    refused: dict[str, str] = field(default_factory=dict)


def cases_bulk_update(
    *,
    case_ids: Sequence[int],
    by: User,
    owner: User | None = None,
    team: Team | None = None,
    status: str | None = None,
    severity: str | None = None,
    reason: str,
) -> BulkResult:
    """Apply the change to each case through the single-case services, each in its own
    savepoint: a case whose change is refused is reported and left exactly as it was, the
    others are changed (and each gets its own timeline events)."""
    require(by, can_triage)
    reason = text_clean(
        reason, field="reason", label=_("Reason"), max_length=REASON_MAX, required=True
    )
    if owner is None and team is None and status is None and severity is None:
        raise DomainError(_("Choose what to change: owner, team, status or severity."))
    ids = list(dict.fromkeys(int(i) for i in case_ids))
    if not ids:
        raise DomainError(_("Select at least one case."), field="case_ids")
    if len(ids) > BULK_MAX:
        raise DomainError(_("At most %(max)s cases at once.") % {"max": BULK_MAX}, field="case_ids")
    result = BulkResult()
    cases = {c.pk: c for c in Case.objects.filter(pk__in=ids)}
    for pk in ids:
        case = cases.get(pk)
        if case is None:
            result.refused[f"#{pk}"] = _("No such case.")
            continue
        try:
            with transaction.atomic():
                if owner is not None or team is not None:
                    case = case_assign(case=case, by=by, owner=owner, team=team, reason=reason)
                if severity is not None and severity != case.severity:
                    case = case_change_severity(case=case, by=by, severity=severity, reason=reason)
                if status is not None and status != case.status:
                    if status == Status.ACKNOWLEDGED:
                        case = case_acknowledge(case=case, by=by)
                    else:
                        case = case_set_status(case=case, by=by, status=status, reason=reason)
        except (DomainError, PermissionDenied) as exc:
            result.refused[case.reference] = str(exc)
            continue
        result.updated.append(case.reference)
    return result
