"""Draft SLA policies and calendars: copy a live row, edit the copy, then publish or discard it.

A draft is replayed over past weeks (``sla.whatif``) before anything live changes. Publishing
writes the live policy or calendar the way the admin's save does, and re-aligns the open cases
it governs in background batches (``sla.services.clocks_resync_later``, which fans out to
``sla.tasks.clocks_resync`` after the commit). The draft row keeps who published it, when, and
each field before and after: the audit record of the change.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, time
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.utils.translation import gettext as _

from escalation.errors import DomainError
from sla import clock
from sla.calendars import calendar_changed
from sla.models import (
    BusinessCalendar,
    DraftKind,
    DraftState,
    Holiday,
    SlaDraft,
    SlaPolicy,
    WorkingHours,
)
from sla.services import clocks_resync_later

logger = logging.getLogger(__name__)

POLICY_FIELDS = ("response_minutes", "resolution_minutes", "update_minutes", "warn_percent")
# [weekday, "HH:MM", "HH:MM" or None (midnight)]
HoursRow = list[Any]
# ["YYYY-MM-DD", name]
HolidayRow = list[str]


def policy_snapshot(policy: SlaPolicy) -> dict[str, Any]:
    """The live terms of a policy, as a draft keeps them."""
    return {"calendar_id": policy.calendar_id, **{f: getattr(policy, f) for f in POLICY_FIELDS}}


def calendar_snapshot(calendar: BusinessCalendar) -> dict[str, Any]:
    """The live hours and holidays of a calendar, as a draft keeps them (two queries)."""
    hours = [
        [weekday, _hhmm(start), _hhmm(end) if end is not None else None]
        for weekday, start, end in WorkingHours.objects.filter(calendar=calendar)
        .order_by("weekday", "start")
        .values_list("weekday", "start", "end")
    ]
    holidays = [
        [day.isoformat(), name]
        for day, name in Holiday.objects.filter(calendar=calendar)
        .order_by("date")
        .values_list("date", "name")
    ]
    return {
        "time_zone": calendar.time_zone,
        "always_open": calendar.always_open,
        "hours": hours,
        "holidays": holidays,
    }


def draft_terms(draft: SlaDraft) -> dict[str, Any]:
    """The draft's own terms, in the shape of the snapshots above."""
    if draft.kind == DraftKind.POLICY:
        return {
            "calendar_id": draft.policy_calendar_id,
            **{f: getattr(draft, f) for f in POLICY_FIELDS},
        }
    return {
        "time_zone": draft.time_zone,
        "always_open": draft.always_open,
        "hours": draft.hours,
        "holidays": draft.holidays,
    }


def draft_calendar(draft: SlaDraft) -> clock.Calendar:
    """A calendar draft's hours and holidays as ``clock.Calendar`` (no queries)."""
    return calendar_from_rows(
        time_zone=draft.time_zone,
        always_open=draft.always_open,
        hours=draft.hours,
        holidays=draft.holidays,
    )


def calendar_from_rows(
    *, time_zone: str, always_open: bool, hours: list[HoursRow], holidays: list[HolidayRow]
) -> clock.Calendar:
    """Raises ValueError (or ZoneInfoNotFoundError) for hours that do not fit together."""
    if always_open:
        return clock.Calendar.always_open(time_zone)
    if not hours:
        raise ValueError("A calendar that is not 24x7 needs working hours.")
    windows: dict[int, list[clock.Window]] = {}
    for weekday, start, end in hours:
        windows.setdefault(int(weekday), []).append(
            (time.fromisoformat(start), time.fromisoformat(end) if end else None)
        )
    return clock.Calendar(
        tz=time_zone,  # type: ignore[arg-type]
        hours={day: tuple(sorted(ws, key=lambda w: w[0])) for day, ws in windows.items()},
        holidays=frozenset(date.fromisoformat(day) for day, _ in holidays),
    )


def draft_start(
    *,
    by: User,
    now: datetime,
    policy: SlaPolicy | None = None,
    calendar: BusinessCalendar | None = None,
) -> SlaDraft:
    """A new draft: a copy of ``policy`` or of ``calendar`` (exactly one of them)."""
    if (policy is None) == (calendar is None):
        raise DomainError(_("Choose a policy or a calendar to draft."), field="source")
    draft = SlaDraft(created_by=by, created_at=now, updated_at=now)
    if policy is not None:
        base = policy_snapshot(policy)
        draft.kind, draft.policy = DraftKind.POLICY, policy
        draft.policy_calendar_id = base["calendar_id"]
        for name in POLICY_FIELDS:
            setattr(draft, name, base[name])
    else:
        assert calendar is not None
        base = calendar_snapshot(calendar)
        draft.kind, draft.calendar = DraftKind.CALENDAR, calendar
        draft.time_zone, draft.always_open = base["time_zone"], base["always_open"]
        draft.hours, draft.holidays = base["hours"], base["holidays"]
    draft.base = base
    with transaction.atomic():
        draft.save()
    return draft


def draft_policy_edit(
    *,
    draft_id: int,
    by: User,
    now: datetime,
    calendar: BusinessCalendar,
    response_minutes: int,
    resolution_minutes: int,
    update_minutes: int | None,
    warn_percent: int,
) -> SlaDraft:
    """Change a policy draft's terms (the form has checked each value)."""
    with transaction.atomic():
        draft = _open_draft(draft_id, kind=DraftKind.POLICY)
        draft.policy_calendar = calendar
        draft.response_minutes, draft.resolution_minutes = response_minutes, resolution_minutes
        draft.update_minutes, draft.warn_percent = update_minutes, warn_percent
        draft.updated_at = now
        draft.save()
    return draft


def draft_calendar_edit(
    *,
    draft_id: int,
    by: User,
    now: datetime,
    time_zone: str,
    always_open: bool,
    hours: list[HoursRow],
    holidays: list[HolidayRow],
) -> SlaDraft:
    """Change a calendar draft's hours and holidays; hours that do not fit are refused."""
    try:
        calendar_from_rows(
            time_zone=time_zone, always_open=always_open, hours=hours, holidays=holidays
        )
    except (ValueError, KeyError) as problem:
        raise DomainError(
            _("These working hours do not fit together: %(problem)s") % {"problem": problem},
            field="hours",
        ) from None
    with transaction.atomic():
        draft = _open_draft(draft_id, kind=DraftKind.CALENDAR)
        draft.time_zone, draft.always_open = time_zone, always_open
        draft.hours, draft.holidays = hours, holidays
        draft.updated_at = now
        draft.save()
    return draft


def draft_discard(*, draft_id: int, by: User, now: datetime) -> SlaDraft:
    with transaction.atomic():
        draft = _open_draft(draft_id)
        draft.state, draft.decided_by, draft.decided_at = DraftState.DISCARDED, by, now
        draft.save(update_fields=["state", "decided_by", "decided_at"])
    return draft


def draft_publish(*, draft_id: int, by: User, now: datetime) -> SlaDraft:
    """Write the draft to its live policy or calendar, once.

    1. Lock the draft (it must still be a draft) and its live row.
    2. Refuse when the live row changed since the draft was made: publishing would silently
       undo that change.
    3. Write the live row as the admin does (a calendar gets a new revision, so every process
       rebuilds its cached copy), keep the fields that changed on the draft, and after the
       commit re-align the open cases the row governs in background batches.
    """
    with transaction.atomic():
        draft = _open_draft(draft_id)
        terms = draft_terms(draft)
        if draft.kind == DraftKind.POLICY:
            policy = SlaPolicy.objects.select_for_update().get(pk=_required(draft.policy_id))
            live = policy_snapshot(policy)
            _refuse_stale(draft, live)
            policy.calendar_id = terms["calendar_id"]
            for name in POLICY_FIELDS:
                setattr(policy, name, terms[name])
            policy.save()
            clocks_resync_later(policies=[(policy.tier, policy.severity)])
        else:
            calendar = BusinessCalendar.objects.select_for_update().get(
                pk=_required(draft.calendar_id)
            )
            live = calendar_snapshot(calendar)
            _refuse_stale(draft, live)
            _calendar_write(calendar, terms)
            calendar_changed(calendar=calendar)
            clocks_resync_later(calendar_ids=[calendar.pk])
        draft.changes = {
            name: {"before": live[name], "after": value}
            for name, value in terms.items()
            if live[name] != value
        }
        draft.state, draft.decided_by, draft.decided_at = DraftState.PUBLISHED, by, now
        draft.save(update_fields=["state", "decided_by", "decided_at", "changes"])
    logger.info("draft %s published by %s: %s", draft.pk, by.pk, sorted(draft.changes))
    return draft


def _open_draft(draft_id: int, *, kind: str | None = None) -> SlaDraft:
    """The draft, locked; refused unless it is still a draft (of ``kind``)."""
    try:
        draft = SlaDraft.objects.select_for_update().get(pk=draft_id)
    except SlaDraft.DoesNotExist:
        raise DomainError(_("No such draft.")) from None
    if draft.state != DraftState.OPEN:
        raise DomainError(
            _("This draft was %(state)s already.") % {"state": draft.get_state_display().lower()}
        )
    if kind is not None and draft.kind != kind:
        raise DomainError(_("This is not a draft of that kind."))
    return draft


def _refuse_stale(draft: SlaDraft, live: dict[str, Any]) -> None:
    if live != draft.base:
        changed = ", ".join(sorted(k.replace("_", " ") for k in live if live[k] != draft.base[k]))
        raise DomainError(
            _(
                "The live %(kind)s changed since this draft was made (%(changed)s): start a new "
                "draft from it."
            )
            % {"kind": draft.get_kind_display(), "changed": changed}
        )


def _calendar_write(calendar: BusinessCalendar, terms: dict[str, Any]) -> None:
    calendar.time_zone, calendar.always_open = terms["time_zone"], terms["always_open"]
    calendar.save(update_fields=["time_zone", "always_open"])
    WorkingHours.objects.filter(calendar=calendar).delete()
    WorkingHours.objects.bulk_create(
        WorkingHours(
            calendar=calendar,
            weekday=weekday,
            start=time.fromisoformat(start),
            end=time.fromisoformat(end) if end else None,
        )
        for weekday, start, end in terms["hours"]
    )
    Holiday.objects.filter(calendar=calendar).delete()
    Holiday.objects.bulk_create(
        Holiday(calendar=calendar, date=date.fromisoformat(day), name=name)
        for day, name in terms["holidays"]
    )


def _required(pk: int | None) -> int:
    assert pk is not None, "the check constraint sladraft_one_source holds"
    return pk


def _hhmm(value: time) -> str:
    return value.strftime("%H:%M")
