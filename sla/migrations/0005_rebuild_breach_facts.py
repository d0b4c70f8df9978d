"""Rebuild the breach facts of an existing database.

Before breaches were facts, a later change of target could clear a clock's ``breached_at``,
and a new cycle of the update clock wiped the breach of the one before. What survives of them:
the clocks' ``breached_at`` where it was kept, and the timeline's SLA breach events (each with
its clock, cycle and deadline). From both:

1. every clock still breached gets its fact (under its policy) and is marked handled (the engine
   took that step when it set the column);
2. every SLA breach event whose cycle has no fact yet gets one (the policy it ran under is no
   longer known); when it is the clock's current cycle, the clock is breached again;
3. a stopped clock that breached and was counted as met is missed, late by the business time
   from its breach to its stop.

Frozen weekly snapshots are not touched. Rows are read and written in batches.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import migrations
from django.db.models import F

from sla import clock as bh

BATCH = 2000
TIER_LABELS = {"strategic": "Strategic", "premium": "Premium", "standard": "Standard"}


def _policy_name(policy) -> str:  # type: ignore[no-untyped-def]
    return f"{TIER_LABELS.get(policy.tier, policy.tier)} {policy.severity}" if policy else ""


def _calendars(apps) -> dict[int, bh.Calendar]:  # type: ignore[no-untyped-def]
    BusinessCalendar = apps.get_model("sla", "BusinessCalendar")
    built: dict[int, bh.Calendar] = {}
    for calendar in BusinessCalendar.objects.prefetch_related("hours", "holidays"):
        windows: dict[int, list] = {}
        for hours in calendar.hours.all():
            windows.setdefault(hours.weekday, []).append((hours.start, hours.end))
        if calendar.always_open or not windows:
            built[calendar.pk] = bh.Calendar.always_open(calendar.time_zone)
        else:
            built[calendar.pk] = bh.Calendar(
                tz=calendar.time_zone,
                hours={d: tuple(sorted(ws, key=lambda w: w[0])) for d, ws in windows.items()},
                holidays=frozenset(h.date for h in calendar.holidays.all()),
            )
    return built


def rebuild(apps, schema_editor) -> None:  # type: ignore[no-untyped-def]
    CaseClock = apps.get_model("sla", "CaseClock")
    SlaBreach = apps.get_model("sla", "SlaBreach")
    SlaPolicy = apps.get_model("sla", "SlaPolicy")
    CaseEvent = apps.get_model("cases", "CaseEvent")
    policies = {p.pk: p for p in SlaPolicy.objects.select_related("calendar")}
    calendars = _calendars(apps)

    def flush(rows: list) -> None:
        SlaBreach.objects.bulk_create(rows, ignore_conflicts=True)
        rows.clear()

    # 1. The clocks that kept their breach.
    rows: list = []
    breached = CaseClock.objects.filter(breached_at__isnull=False).order_by("pk")
    for clock in breached.iterator(chunk_size=BATCH):
        policy = policies.get(clock.policy_id)
        rows.append(
            SlaBreach(
                case_id=clock.case_id,
                clock_kind=clock.kind,
                cycle=clock.cycle,
                breached_at=clock.breached_at,
                recorded_at=clock.breached_at,
                policy=policy,
                policy_name=_policy_name(policy),
                calendar_name=policy.calendar.name if policy else "",
                target_seconds=clock.target_seconds,
            )
        )
        if len(rows) >= BATCH:
            flush(rows)
    flush(rows)
    breached.filter(breach_handled_at__isnull=True).update(breach_handled_at=F("breached_at"))

    # 2. The breaches only the timeline remembers.
    events = (
        CaseEvent.objects.filter(kind="sla_breach", data__step="breach")
        .order_by("pk")
        .values_list("case_id", "data", "created_at")
    )
    lost: dict[tuple[int, str, int], tuple[datetime, datetime]] = {}
    for case_id, data, created_at in events.iterator(chunk_size=BATCH):
        kind, due = data.get("clock"), data.get("due_at")
        if not kind or not due:
            continue
        key = (case_id, kind, int(data.get("cycle") or 1))
        if key not in lost:
            lost[key] = (datetime.fromisoformat(due), created_at)
        if len(lost) >= BATCH:
            _restore(CaseClock, SlaBreach, lost, policies, calendars)
    _restore(CaseClock, SlaBreach, lost, policies, calendars)

    # 3. Stopped clocks counted as met although they breached.
    for clock in CaseClock.objects.filter(
        breached_at__isnull=False, stopped_at__isnull=False, met=True
    ).iterator(chunk_size=BATCH):
        _mark_missed(clock, policies, calendars)


def _restore(CaseClock, SlaBreach, lost, policies, calendars) -> None:  # type: ignore[no-untyped-def]
    if not lost:
        return
    known = set(
        SlaBreach.objects.filter(case_id__in={k[0] for k in lost}).values_list(
            "case_id", "clock_kind", "cycle"
        )
    )
    missing = {key: value for key, value in lost.items() if key not in known}
    clocks = {
        (c.case_id, c.kind): c
        for c in CaseClock.objects.filter(case_id__in={k[0] for k in missing})
    }
    rows = []
    for (case_id, kind, cycle), (due, created_at) in missing.items():
        clock = clocks.get((case_id, kind))
        current = clock is not None and clock.cycle == cycle
        rows.append(
            SlaBreach(
                case_id=case_id,
                clock_kind=kind,
                cycle=cycle,
                breached_at=due,
                recorded_at=created_at,
                policy=None,
                policy_name="",
                calendar_name="",
                target_seconds=0,
            )
        )
        if current and clock.breached_at is None:
            clock.breached_at = due
            clock.breach_handled_at = created_at
            fields = ["breached_at", "breach_handled_at"]
            if clock.stopped_at is not None:
                _mark_missed(clock, policies, calendars, save=False)
                fields += ["met", "late_seconds"]
            clock.save(update_fields=fields)
    SlaBreach.objects.bulk_create(rows, ignore_conflicts=True)
    lost.clear()


def _mark_missed(clock, policies, calendars, save: bool = True) -> None:  # type: ignore[no-untyped-def]
    policy = policies.get(clock.policy_id)
    calendar = (calendars.get(policy.calendar_id) if policy else None) or bh.Calendar.always_open(
        "UTC"
    )
    start = min(clock.breached_at, clock.stopped_at)
    late = bh.business_time_between(calendar, start, clock.stopped_at)
    clock.met = False
    clock.late_seconds = int(max(late, timedelta(0)).total_seconds())
    if save:
        clock.save(update_fields=["met", "late_seconds"])


class Migration(migrations.Migration):
    dependencies = [
        ("sla", "0004_breach_facts"),
        ("cases", "0006_drop_redundant_fk_indexes"),
    ]

    operations = [migrations.RunPython(rebuild, migrations.RunPython.noop)]
