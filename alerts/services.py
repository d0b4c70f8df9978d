"""Events from monitoring onto cases, de-duplicated by key (``POST /api/events/``).

One request is a batch of events; ``events_process`` answers each with its outcome:

1. Group the batch by ``dedup_key``, in order; consecutive events of one action for one key
   are one *run*, acted on once (ten triggers of a flapping alert are one action, counted ten
   times).
2. Load the batch's known keys with their cases in one query.
3. Repeats that change nothing but counters (only triggers, on a key whose case is open and
   whose timeline heard of the repeats less than ``ALERTS_NOTE_MINUTES`` ago) are counted for
   every such key at once: their rows locked in id order, then an UPDATE per repeat count.
4. Insert the keys never seen before in one ``INSERT ... ON CONFLICT DO NOTHING``.
5. The keys whose one run is a trigger that raises a case (never seen, most of them): their
   rows locked together in id order, then, for those still without a case of their own
   (another request may have raised one while this one waited), the cases raised with one
   ``cases_raise_many`` (a few statements for them all), a bad event refused alone.
6. Each other key, in key order, in its own transaction: lock its row (a second request with
   the same key waits here, then sees the first one's case: one case per key however many
   requests race), then act on each run through the case services people use. A run refused
   (``DomainError``) is rolled back to its savepoint and answered with the message; the other
   runs and keys go on.

What a run does (the key's case as the locked row says):

- trigger, no case, a closed one, or one resolved more than ``ALERTS_REOPEN_HOURS`` ago:
  ``cases_raise_many`` as the source's account (the key now points at the new case); resolved
  within the window: ``case_reopen``; open: counted, and an internal note "Seen again: 14 times
  since 10:02" when the last one is ``ALERTS_NOTE_MINUTES`` old (so a flapping alert writes one
  note per interval, not one per repeat; the exact counts are on the key);
- acknowledge: ``case_acknowledge`` of a new case (an acknowledged or later one: nothing to do);
- resolve: ``case_resolve`` (a new case is acknowledged first) with the root cause
  "Unknown / Cleared by monitoring", which a manager corrects after the review.

Acknowledging, resolving and reopening are done as the system (``by=None``): the source's
account works no case (``alerts.tokens``); the token is the permission, and it reaches only
the cases its own keys point at.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import models, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.text import Truncator
from django.utils.translation import gettext as _

from cases.models import Case, Customer, RootCause, Source, Status
from cases.models.case import TITLE_MAX
from cases.services import (
    case_acknowledge,
    case_add_note,
    case_reopen,
    case_resolve,
)
from cases.services.raising import CaseToRaise, cases_raise_many
from escalation.bulk import objects_update
from escalation.errors import DomainError

from .models import Action, AlertKey, IntegrationToken

# The root cause of a case monitoring resolved: a manager corrects it after the review.
ROOT_CAUSE_GROUP = "Unknown"
ROOT_CAUSE = "Cleared by monitoring"
# The case services' field names, as the event calls them.
EVENT_FIELDS = {"title": "summary", "description": "details"}


class Outcome(models.TextChoices):
    RAISED = "raised", "Raised a case"
    APPENDED = "appended", "Added to the open case"
    REOPENED = "reopened", "Reopened the resolved case"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"
    RESOLVED = "resolved", "Resolved"
    REFUSED = "refused", "Refused"


@dataclass(frozen=True)
class AlertEvent:
    """One event, its fields checked (``alerts.api``); the customer looked up."""

    action: str
    dedup_key: str
    summary: str = ""
    severity: str = ""
    customer: Customer | None = None
    details: Mapping[str, Any] = field(default_factory=dict)


@dataclass
class Result:
    dedup_key: str
    outcome: str
    case: str | None = None
    errors: dict[str, list[str]] = field(default_factory=dict)


@dataclass
class _Run:
    """Consecutive events of one action for one key: ``first`` acts, all are answered."""

    action: str
    first: AlertEvent
    indexes: list[int]
    last: AlertEvent


def events_process(
    *, integration: IntegrationToken, events: Mapping[int, AlertEvent]
) -> dict[int, Result]:
    """Act on ``events`` (the batch's valid events by their position) for ``integration``; the
    result of each position."""
    runs = _runs(events)
    now = timezone.now()
    known = {
        key.dedup_key: key
        for key in AlertKey.objects.filter(source=integration, dedup_key__in=runs).select_related(
            "case"
        )
    }
    results: dict[int, Result] = {}
    counted = [
        known[name]
        for name, key_runs in runs.items()
        if _only_counted(known.get(name), key_runs, now)
    ]
    _count(counted, runs, now=now, results=results)
    _keys_insert(integration, [name for name in runs if name not in known])
    done = {key.dedup_key for key in counted}
    raising = [
        name
        for name, key_runs in runs.items()
        if name not in done and _only_raised(known.get(name), key_runs, now)
    ]
    done |= _keys_raise(integration, raising, runs, results=results)
    for name in sorted(runs):
        if name not in done:
            _key_process(integration, name, runs[name], results=results)
    return results


def _runs(events: Mapping[int, AlertEvent]) -> dict[str, list[_Run]]:
    runs: dict[str, list[_Run]] = {}
    for index in sorted(events):
        event = events[index]
        key_runs = runs.setdefault(event.dedup_key, [])
        if key_runs and key_runs[-1].action == event.action:
            key_runs[-1].indexes.append(index)
            key_runs[-1].last = event
        else:
            key_runs.append(_Run(action=event.action, first=event, indexes=[index], last=event))
    return runs


def _note_due(key: AlertKey, now: datetime) -> bool:
    """Whether the timeline should hear of the key's repeats now (some are pending)."""
    window = timedelta(minutes=settings.ALERTS_NOTE_MINUTES)
    return key.noted_at is None or now - key.noted_at >= window


def _only_counted(key: AlertKey | None, runs: list[_Run], now: datetime) -> bool:
    return (
        key is not None
        and key.case is not None
        and key.case.status in Status.OPEN
        and len(runs) == 1
        and runs[0].action == Action.TRIGGER
        and not _note_due(key, now)
    )


def _reopens(case: Case | None, now: datetime) -> bool:
    """Whether a trigger reopens the key's case: resolved within ``ALERTS_REOPEN_HOURS``."""
    window = timedelta(hours=settings.ALERTS_REOPEN_HOURS)
    return (
        case is not None
        and case.status == Status.RESOLVED
        and case.resolved_at is not None
        and now - case.resolved_at <= window
    )


def _raises(case: Case | None, now: datetime) -> bool:
    """Whether a trigger raises a new case: none yet, or a finished one it does not reopen."""
    return case is None or (case.status in Status.FINISHED and not _reopens(case, now))


def _only_raised(key: AlertKey | None, runs: list[_Run], now: datetime) -> bool:
    return (
        len(runs) == 1
        and runs[0].action == Action.TRIGGER
        and (key is None or _raises(key.case, now))
    )


def _count(
    keys: list[AlertKey], runs: dict[str, list[_Run]], *, now: datetime, results: dict[int, Result]
) -> None:
    """Step 3: the repeats of open cases' keys, counted with one UPDATE per number of repeats
    (most keys repeat once a batch: one or two UPDATEs), their rows locked in id order first,
    so two batches counting the same keys never deadlock."""
    if not keys:
        return
    by_times: dict[int, list[int]] = {}
    for key in keys:
        run = runs[key.dedup_key][0]
        by_times.setdefault(len(run.indexes), []).append(key.pk)
        _answer(results, run, Outcome.APPENDED, key.case)
    with transaction.atomic():
        locked = AlertKey.objects.select_for_update().filter(pk__in=[k.pk for k in keys])
        list(locked.order_by("pk").values_list("pk", flat=True))
        for times, ids in by_times.items():
            AlertKey.objects.filter(pk__in=ids).update(
                times_seen=F("times_seen") + times, last_seen_at=now, last_action=Action.TRIGGER
            )


def _keys_insert(integration: IntegrationToken, names: list[str]) -> None:
    """Step 4: a row for each key never seen, unless another request inserted it first.

    In sorted order: two requests inserting overlapping new keys in different orders would
    each wait on the other's uncommitted row of the unique index (a deadlock)."""
    if names:
        AlertKey.objects.bulk_create(
            [AlertKey(source=integration, dedup_key=name) for name in sorted(names)],
            ignore_conflicts=True,
        )


# What raising a case writes on its key (``_raised_on``).
RAISED_FIELDS = (
    "case",
    "times_seen",
    "first_seen_at",
    "noted_times",
    "noted_at",
    "last_seen_at",
    "last_action",
)


def _keys_raise(
    integration: IntegrationToken,
    names: list[str],
    runs: dict[str, list[_Run]],
    *,
    results: dict[int, Result],
) -> set[str]:
    """Step 5: the keys whose one run is a trigger that raises a case (a key never seen, most
    of them), all in one transaction; the names of those done.

    Their rows are locked in id order (two requests raising overlapping keys never
    deadlock), then their cases read by a query of their own (see ``_key_process``). A key
    that still raises gets its case from one ``cases_raise_many`` for them all, a bad event
    refused alone; a key another request has raised meanwhile is left to ``_key_process``."""
    if not names:
        return set()
    done: set[str] = set()
    with transaction.atomic():
        keys = list(
            AlertKey.objects.select_for_update()
            .filter(source=integration, dedup_key__in=names)
            .order_by("pk")
        )
        cases = Case.objects.in_bulk([key.case_id for key in keys if key.case_id is not None])
        now = timezone.now()
        rows: dict[str, CaseToRaise] = {}
        for key in keys:
            key.case = cases.get(key.case_id) if key.case_id is not None else None
            if not _raises(key.case, now):
                continue
            done.add(key.dedup_key)
            try:
                rows[key.dedup_key] = _raise_row(integration, key, runs[key.dedup_key][0].first)
            except DomainError as error:
                _refuse(results, runs[key.dedup_key][0], key, error)
        raised = cases_raise_many(raised_by=integration.user, rows=list(rows.values()))
        by_name = {key.dedup_key: key for key in keys}
        saved = []
        for name, case in zip(rows, raised, strict=True):
            key, run = by_name[name], runs[name][0]
            if isinstance(case, DomainError):
                _refuse(results, run, key, case)
            else:
                _raised_on(key, case, times=len(run.indexes), now=now)
                _answer(results, run, Outcome.RAISED, case)
                saved.append(key)
        objects_update(saved, RAISED_FIELDS)
    return done


def _refuse(results: dict[int, Result], run: _Run, key: AlertKey, error: DomainError) -> None:
    """Each event of ``run`` refused with ``error``'s message, under the event's field name."""
    field_name = EVENT_FIELDS.get(error.field or "", error.field or "non_field_errors")
    for index in run.indexes:
        results[index] = Result(
            dedup_key=key.dedup_key,
            outcome=Outcome.REFUSED,
            case=key.case.reference if key.case else None,
            errors={field_name: [error.message]},
        )


def _raised_on(key: AlertKey, case: Case, *, times: int, now: datetime) -> None:
    """The key points at its new case, seen ``times`` times from now (in memory)."""
    key.case = case
    key.times_seen, key.first_seen_at, key.noted_times, key.noted_at = times, now, 1, now
    key.last_seen_at = now
    key.last_action = Action.TRIGGER


def _key_process(
    integration: IntegrationToken, name: str, runs: list[_Run], *, results: dict[int, Result]
) -> None:
    """Step 6: one key's runs under its row's lock, each refused on its own."""
    with transaction.atomic():
        # The case is read after the lock, by a query of its own: a join in the locking query
        # would show the case as it was when that query began (none, if another request was
        # raising it while this one waited for the row).
        key = AlertKey.objects.select_for_update().get(source=integration, dedup_key=name)
        for run in runs:
            try:
                with transaction.atomic():
                    outcome = _act(integration, key, run)
                    key.save()
            except DomainError as error:
                key.refresh_from_db()  # what the run changed in memory, as the savepoint did
                _refuse(results, run, key, error)
                continue
            _answer(results, run, outcome, key.case)


def _answer(results: dict[int, Result], run: _Run, outcome: str, case: Case | None) -> None:
    """The run's first event has ``outcome``; the triggers repeated after it were appended."""
    reference = case.reference if case is not None else None
    for position, index in enumerate(run.indexes):
        shown = outcome if position == 0 or run.action != Action.TRIGGER else Outcome.APPENDED
        results[index] = Result(dedup_key=run.first.dedup_key, outcome=shown, case=reference)


def _act(integration: IntegrationToken, key: AlertKey, run: _Run) -> str:
    """Do what ``run`` asks of ``key``'s case; the outcome of its first event. ``key`` is
    changed in memory only once the services have succeeded (the caller saves it)."""
    now = timezone.now()
    case = key.case
    if run.action == Action.TRIGGER:
        return _trigger(integration, key, run, now=now)
    if case is None:
        raise DomainError(_("No case was raised for this key."), field="dedup_key")
    if run.action == Action.ACKNOWLEDGE:
        if case.status in Status.FINISHED:
            raise DomainError(
                _("%(reference)s is %(status)s.")
                % {"reference": case.reference, "status": case.get_status_display().lower()}
            )
        if case.status == Status.NEW:
            key.case = case_acknowledge(case=case, by=None)
        key.last_action = Action.ACKNOWLEDGE
        return Outcome.ACKNOWLEDGED
    if case.status in Status.OPEN:
        if case.status == Status.NEW:
            case = case_acknowledge(case=case, by=None)
        key.case = case_resolve(
            case=case,
            by=None,
            summary=_resolution(integration, key, run.last),
            root_cause=monitoring_root_cause(),
        )
    key.last_action = Action.RESOLVE
    return Outcome.RESOLVED


def _trigger(integration: IntegrationToken, key: AlertKey, run: _Run, *, now: datetime) -> str:
    times = len(run.indexes)
    case = key.case
    if _raises(case, now):
        [raised] = cases_raise_many(
            raised_by=integration.user, rows=[_raise_row(integration, key, run.first)]
        )
        if isinstance(raised, DomainError):
            raise raised
        _raised_on(key, raised, times=times, now=now)
        return Outcome.RAISED
    if _reopens(case, now):
        assert case is not None  # for the type checker: _reopens says so
        reason = f"{integration.source} triggered the alert {key.dedup_key} again."
        key.case = case_reopen(case=case, by=None, reason=reason)
        key.times_seen += times
        key.noted_times, key.noted_at = key.times_seen, now
        outcome: str = Outcome.REOPENED
    else:
        assert case is not None
        key.times_seen += times
        if _note_due(key, now):
            case_add_note(case=case, by=integration.user, body=_seen_again(key, run.last, now))
            key.noted_times, key.noted_at = key.times_seen, now
        outcome = Outcome.APPENDED
    key.last_seen_at = now
    key.last_action = Action.TRIGGER
    return outcome


def _raise_row(integration: IntegrationToken, key: AlertKey, event: AlertEvent) -> CaseToRaise:
    """The case a trigger raises (``DomainError`` when the event lacks what it needs)."""
    customer = event.customer or integration.customer
    if customer is None:
        raise DomainError(
            _("Name the customer (its id or its exact name): this source has no default one."),
            field="customer",
        )
    if not event.severity:
        raise DomainError(_("A trigger that raises a case needs a severity."), field="severity")
    if not event.summary.strip():
        raise DomainError(_("A trigger that raises a case needs a summary."), field="summary")
    first_line = event.summary.strip().splitlines()[0]
    return CaseToRaise(
        customer=customer,
        title=Truncator(first_line).chars(TITLE_MAX),
        description=_description(integration, key, event),
        severity=event.severity,
        source=Source.API,
        team=integration.team,
        product=integration.product,
        category=integration.category,
    )


def _description(integration: IntegrationToken, key: AlertKey, event: AlertEvent) -> str:
    parts = [event.summary.strip()]
    if event.details:
        details = json.dumps(event.details, indent=2, sort_keys=True, ensure_ascii=False)
        parts.append(f"Details:\n{details}")
    parts.append(f"Raised by {integration.source} for the alert {key.dedup_key}.")
    return "\n\n".join(parts)


def _when(moment: datetime, now: datetime) -> str:
    """10:02 today, 2026-12-01 10:02 another day (the site's time zone)."""
    local, today = timezone.localtime(moment), timezone.localtime(now).date()
    return f"{local:%H:%M}" if local.date() == today else f"{local:%Y-%m-%d %H:%M}"


def _seen_again(key: AlertKey, event: AlertEvent, now: datetime) -> str:
    since = _when(key.first_seen_at or now, now)
    text = f"Seen again: {key.times_seen} times since {since} (alert {key.dedup_key})."
    summary = event.summary.strip()
    return f"{text}\n\n{summary}" if summary else text


def _resolution(integration: IntegrationToken, key: AlertKey, event: AlertEvent) -> str:
    text = f"Cleared by {integration.source} (alert {key.dedup_key})."
    summary = event.summary.strip()
    return f"{text}\n\n{summary}" if summary else text


def monitoring_root_cause() -> RootCause:
    """ "Unknown / Cleared by monitoring", created the first time monitoring resolves a case."""
    group, _created = RootCause.objects.get_or_create(name=ROOT_CAUSE_GROUP, parent=None)
    cause, _created = RootCause.objects.get_or_create(name=ROOT_CAUSE, parent=group)
    return cause
