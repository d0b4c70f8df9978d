"""The status lifecycle: new -> acknowledged -> in progress <-> waiting on customer -> resolved
-> closed, and reopening a resolved case."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.events import CaseResolved, announce
from cases.models import Case, EventKind, RootCause, Status
from cases.models.case import STATUS_MOVES
from cases.permissions import can_triage, can_work
from cases.services.common import case_lock, case_touch_and_sync, require
from cases.timeline import event_record
from escalation.errors import DomainError
from escalation.text import REASON_MAX, TEXT_MAX, text_clean


def _label(status: str) -> str:
    return Status(status).label.lower()


def status_refusal(case: Case, status: str) -> str | None:
    """Why ``case`` cannot move to ``status`` through case_set_status (None: it can)."""
    current = case.status
    ref = case.reference
    if status not in Status.values:
        return _("%(status)s is not a status.") % {"status": repr(status)}
    if status == current:
        return _("%(case)s is already %(status)s.") % {"case": ref, "status": _label(current)}
    if status == Status.RESOLVED:
        return _("Resolve the case with a resolution summary and a root cause.")
    if status == Status.CLOSED:
        return (
            _("Only a resolved case can be closed: resolve it first.")
            if current != Status.RESOLVED
            else _("Close the case with the close action.")
        )
    if current == Status.RESOLVED:
        return _("%(case)s is resolved: reopen it (with a reason) to work on it again.") % {
            "case": ref
        }
    if current == Status.CLOSED:
        return _("%(case)s is closed: a closed case does not change status.") % {"case": ref}
    if current == Status.NEW:
        return _("%(case)s is new: acknowledge it before moving it to %(status)s.") % {
            "case": ref,
            "status": _label(status),
        }
    if status == Status.NEW:
        return _("A case cannot go back to new.")
    if status == Status.ACKNOWLEDGED:
        return _("%(case)s is %(status)s: it was acknowledged already.") % {
            "case": ref,
            "status": _label(current),
        }
    if status in STATUS_MOVES[current]:
        return None
    return _("Cannot move from %(current)s to %(status)s.") % {"current": current, "status": status}


def case_acknowledge(*, case: Case, by: User | None) -> Case:
    """new -> acknowledged. The acknowledgement is the first response; an unassigned case
    becomes the acknowledger's."""
    require(by, lambda u: can_work(u, case))
    with transaction.atomic():
        case = case_lock(case)
        if case.status != Status.NEW:
            raise DomainError(
                _("%(case)s is %(status)s: only a new case can be acknowledged.")
                % {"case": case.reference, "status": _label(case.status)}
            )
        now = timezone.now()
        fields = ["status"]
        case.status = Status.ACKNOWLEDGED
        if case.first_response_at is None:
            case.first_response_at = now
            fields.append("first_response_at")
        if case.owner_id is None and by is not None:
            case.owner = by
            fields.append("owner")
        event_record(
            case=case,
            actor=by,
            kind=EventKind.ACKNOWLEDGED,
            from_value=Status.NEW,
            to_value=Status.ACKNOWLEDGED,
            data={"owner": case.owner_id},
        )
        case_touch_and_sync(case, now=now, fields=fields)
    return case


def case_set_status(*, case: Case, by: User | None, status: str, reason: str = "") -> Case:
    """acknowledged -> in progress / waiting on customer, in progress <-> waiting (new ->
    acknowledged goes through case_acknowledge). Refuses any other move saying why."""
    require(by, lambda u: can_work(u, case))
    reason = text_clean(
        reason, field="reason", label=_("Reason"), max_length=REASON_MAX, required=False
    )
    if status == Status.ACKNOWLEDGED:
        with transaction.atomic():
            locked = case_lock(case)
            if locked.status == Status.NEW:
                return case_acknowledge(case=locked, by=by)
    with transaction.atomic():
        case = case_lock(case)
        refusal = status_refusal(case, status)
        if refusal:
            raise DomainError(refusal, field="status")
        now = timezone.now()
        old = case.status
        case.status = status
        event_record(
            case=case,
            actor=by,
            kind=EventKind.STATUS,
            from_value=old,
            to_value=status,
            reason=reason,
        )
        case_touch_and_sync(case, now=now, fields=["status"])
    return case


def _check_root_cause(root_cause: RootCause | None) -> RootCause:
    if root_cause is None:
        raise DomainError(_("A root cause is required."), field="root_cause")
    if not root_cause.is_active:
        raise DomainError(
            _("%(root_cause)s is no longer an active root cause.") % {"root_cause": root_cause},
            field="root_cause",
        )
    # A row with causes under it ("Process") is a group that sorts them, not a cause itself.
    if root_cause.children.exists():
        raise DomainError(
            _("%(root_cause)s is a group of root causes: choose one of its causes.")
            % {"root_cause": root_cause},
            field="root_cause",
        )
    return root_cause


def case_resolve(
    *, case: Case, by: User | None, summary: str, root_cause: RootCause | None
) -> Case:
    """acknowledged / in progress / waiting -> resolved, with what fixed it and why it
    happened. The reviews app hears of it in the same transaction."""
    require(by, lambda u: can_work(u, case))
    summary = text_clean(
        summary, field="summary", label=_("Resolution summary"), max_length=TEXT_MAX, required=True
    )
    root_cause = _check_root_cause(root_cause)
    with transaction.atomic():
        case = case_lock(case)
        if case.status not in Status.WORKING:
            why = (
                _("acknowledge it first")
                if case.status == Status.NEW
                else _("only an open, acknowledged case can be resolved")
            )
            raise DomainError(
                _("%(case)s is %(status)s: %(why)s.")
                % {"case": case.reference, "status": _label(case.status), "why": why}
            )
        now = timezone.now()
        old = case.status
        case.status = Status.RESOLVED
        case.resolved_at = now
        case.resolution_summary = summary
        case.root_cause = root_cause
        event_record(
            case=case,
            actor=by,
            kind=EventKind.RESOLVED,
            from_value=old,
            to_value=Status.RESOLVED,
            body=summary,
            data={"root_cause": root_cause.pk, "root_cause_name": str(root_cause)},
        )
        case_touch_and_sync(
            case, now=now, fields=["status", "resolved_at", "resolution_summary", "root_cause"]
        )
        announce(CaseResolved(case=case, at=now, by=by))
    return case


def case_reopen(*, case: Case, by: User | None, reason: str) -> Case:
    """resolved -> in progress: the fix did not hold. Counts the reopen; clears resolved_at."""
    require(by, can_triage)
    reason = text_clean(
        reason, field="reason", label=_("Reason"), max_length=REASON_MAX, required=True
    )
    with transaction.atomic():
        case = case_lock(case)
        if case.status != Status.RESOLVED:
            why = (
                _("a closed case stays closed; raise a new case")
                if case.status == Status.CLOSED
                else _("only a resolved case can be reopened")
            )
            raise DomainError(
                _("%(case)s is %(status)s: %(why)s.")
                % {"case": case.reference, "status": _label(case.status), "why": why}
            )
        now = timezone.now()
        case.status = Status.IN_PROGRESS
        case.resolved_at = None
        case.reopen_count += 1
        event_record(
            case=case,
            actor=by,
            kind=EventKind.REOPENED,
            from_value=Status.RESOLVED,
            to_value=Status.IN_PROGRESS,
            reason=reason,
            data={"reopen_count": case.reopen_count},
        )
        case_touch_and_sync(case, now=now, fields=["status", "resolved_at", "reopen_count"])
    return case


def case_close(*, case: Case, by: User | None) -> Case:
    """resolved -> closed: final."""
    require(by, can_triage)
    with transaction.atomic():
        case = case_lock(case)
        if case.status != Status.RESOLVED:
            why = (
                _("it is closed already")
                if case.status == Status.CLOSED
                else _("only a resolved case can be closed; resolve it first")
            )
            raise DomainError(
                _("%(case)s is %(status)s: %(why)s.")
                % {"case": case.reference, "status": _label(case.status), "why": why}
            )
        now = timezone.now()
        case.status = Status.CLOSED
        case.closed_at = now
        event_record(
            case=case,
            actor=by,
            kind=EventKind.CLOSED,
            from_value=Status.RESOLVED,
            to_value=Status.CLOSED,
        )
        case_touch_and_sync(case, now=now, fields=["status", "closed_at"])
    return case


def case_set_root_cause(
    *, case: Case, by: User | None, root_cause: RootCause | None, reason: str = ""
) -> Case:
    """Correct the root cause (e.g. after the review found the real one)."""
    require(by, can_triage)
    root_cause = _check_root_cause(root_cause)
    reason = text_clean(
        reason, field="reason", label=_("Reason"), max_length=REASON_MAX, required=False
    )
    with transaction.atomic():
        case = case_lock(case)
        if case.root_cause_id == root_cause.pk:
            raise DomainError(
                _("The root cause is already %(root_cause)s.") % {"root_cause": root_cause},
                field="root_cause",
            )
        now = timezone.now()
        old = case.root_cause
        case.root_cause = root_cause
        event_record(
            case=case,
            actor=by,
            kind=EventKind.ROOT_CAUSE,
            from_value=str(old or ""),
            to_value=str(root_cause),
            reason=reason,
            data={"from": old.pk if old else None, "to": root_cause.pk},
        )
        case_touch_and_sync(case, now=now, fields=["root_cause"])
    return case
