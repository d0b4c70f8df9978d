"""Merging a duplicate into the case it duplicates."""

from __future__ import annotations

from datetime import datetime

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.models import Case, CaseLink, EventKind, LinkKind, Status
from cases.permissions import can_triage, can_watch
from cases.services.common import case_lock, case_touch_and_sync, require
from cases.timeline import event_record
from escalation.errors import DomainError
from escalation.text import REASON_MAX, text_clean
from escalation.users import display_name

# What the closed duplicate's resolution says. It names no reference: the page shows the
# pointer (the duplicate-of link) only to those who may open the other case.
MERGED_SUMMARY = "Closed as a duplicate: merged into the case it duplicates."


def case_merge(*, duplicate: Case, into: Case, by: User, reason: str) -> Case:
    """Merge ``duplicate`` into ``into``; returns the closed duplicate.

    Managers only, like linking and closing: a merge closes a case and moves people between
    two cases, which the owner of one of them may not even see.

    1. Lock both cases, the lower id first, so two merges of the same pair (A into B, B into
       A) queue on the first lock instead of deadlocking.
    2. Refuse merging a case into itself, into a closed case, a case that is not open or is a
       major incident's parent, and into a case that is (through its duplicate-of links) a
       duplicate of this one.
    3. Close the duplicate (no resolution: nothing was fixed there) with a duplicate-of link
       as the pointer, and move its watchers who may watch the target there (none twice).
    4. Record it on both timelines (a link event each, and the duplicate's close), then save
       both and announce each change: the duplicate's SLA clocks stop with its close.
    """
    require(by, can_triage)
    reason = text_clean(
        reason, field="reason", label=_("Reason"), max_length=REASON_MAX, required=True
    )
    if duplicate.pk == into.pk:
        raise DomainError(_("A case cannot be merged into itself."), field="into")
    with transaction.atomic():
        locked = {c.pk: case_lock(c) for c in sorted((duplicate, into), key=lambda c: c.pk)}
        duplicate, into = locked[duplicate.pk], locked[into.pk]
        _merge_check(duplicate=duplicate, into=into)
        now = timezone.now()
        link = _duplicate_link(duplicate=duplicate, into=into, by=by, now=now)
        moved = _watchers_move(duplicate=duplicate, into=into)
        old_status = duplicate.status
        duplicate.status = Status.CLOSED
        duplicate.closed_at = now
        duplicate.resolution_summary = MERGED_SUMMARY
        _merge_record(
            duplicate=duplicate,
            into=into,
            by=by,
            reason=reason,
            link=link,
            moved=moved,
            old_status=old_status,
        )
        case_touch_and_sync(
            duplicate, now=now, fields=["status", "closed_at", "resolution_summary"]
        )
        case_touch_and_sync(into, now=now, fields=[])
    return duplicate


def _merge_record(
    *,
    duplicate: Case,
    into: Case,
    by: User,
    reason: str,
    link: CaseLink,
    moved: list[User],
    old_status: str,
) -> None:
    """The merge on both timelines: a link event on each (``cases.timeline`` names the other
    case only to those who may open it), and the duplicate's close (the SLA ledger's cause for
    its clocks' stop)."""
    names = ", ".join(display_name(u) for u in moved)
    watchers_note = f"Watchers moved: {names}." if moved else ""
    data = {"link": link.pk, "kind": LinkKind.DUPLICATE_OF, "merged": True}
    event_record(
        case=duplicate,
        actor=by,
        kind=EventKind.LINKED,
        to_value=f"merged into {into.reference}",
        reason=reason,
        body=watchers_note,
        data={**data, "target": into.pk},
    )
    event_record(
        case=duplicate,
        actor=by,
        kind=EventKind.CLOSED,
        from_value=old_status,
        to_value=Status.CLOSED,
        reason=reason,
    )
    event_record(
        case=into,
        actor=by,
        kind=EventKind.LINKED,
        to_value=f"{duplicate.reference} merged into this case",
        reason=reason,
        body=watchers_note,
        data={**data, "source": duplicate.pk, "watchers": [u.pk for u in moved]},
    )


def _merge_check(*, duplicate: Case, into: Case) -> None:
    """Refuse a merge of locked cases that cannot be merged, saying why."""
    if not duplicate.is_open:
        raise DomainError(
            _("%(duplicate)s is %(status)s: only an open case can be merged into another.")
            % {"duplicate": duplicate.reference, "status": duplicate.get_status_display().lower()}
        )
    # Declaring a major incident sets the parent's cadence: merging it away would close the
    # parent and leave its incident running with no case (a child may be merged: it stays
    # listed under its parent, closed, and later updates skip it).
    if duplicate.update_every_minutes is not None:
        raise DomainError(
            _(
                "%(duplicate)s is a major incident: resolve it with its affected cases instead "
                "of merging it into another case."
            )
            % {"duplicate": duplicate.reference}
        )
    if into.status == Status.CLOSED:
        raise DomainError(
            _("%(into)s is closed: merge into a case that is not closed.")
            % {"into": into.reference},
            field="into",
        )
    if duplicate.pk in _duplicate_chain(into):
        raise DomainError(
            _(
                "%(into)s is a duplicate of %(duplicate)s: merge %(into)s into %(duplicate)s "
                "instead."
            )
            % {"into": into.reference, "duplicate": duplicate.reference},
            field="into",
        )


# Longer chains of duplicates than this are not followed (a chain is one or two links long).
CHAIN_MAX = 50


def _duplicate_chain(case: Case) -> set[int]:
    """The ids of the cases ``case`` is a duplicate of, directly or through others (one query
    per link of the chain)."""
    seen: set[int] = set()
    frontier = {case.pk}
    while frontier and len(seen) < CHAIN_MAX:
        targets = set(
            CaseLink.objects.filter(source_id__in=frontier, kind=LinkKind.DUPLICATE_OF).values_list(
                "target_id", flat=True
            )
        )
        frontier = targets - seen - {case.pk}
        seen |= targets
    return seen


def _duplicate_link(*, duplicate: Case, into: Case, by: User, now: datetime) -> CaseLink:
    """The duplicate-of link from ``duplicate`` to ``into``: the one made before, or a new one.
    The cases are locked, so no one else makes it meanwhile."""
    link, _created = CaseLink.objects.get_or_create(
        source=duplicate,
        target=into,
        kind=LinkKind.DUPLICATE_OF,
        defaults={"created_by": by, "created_at": now},
    )
    return link


def _watchers_move(*, duplicate: Case, into: Case) -> list[User]:
    """Move the duplicate's watchers who may watch ``into`` there; those already watching it
    are only taken off the duplicate. The others (who may not see ``into``) stay where they
    are. Returns the people newly watching ``into``, by name."""
    watching = set(into.watchers.values_list("pk", flat=True))
    movable = [u for u in duplicate.watchers.all() if can_watch(u, into)]
    added = sorted(
        (u for u in movable if u.pk not in watching), key=lambda u: display_name(u).lower()
    )
    into.watchers.add(*added)
    duplicate.watchers.remove(*movable)
    return added
