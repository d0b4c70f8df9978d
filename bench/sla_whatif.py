"""What-if replay: 12 weeks of clocks judged under a draft policy and a draft calendar.

Two drafts, built in memory (never saved: the database is only read, so the benchmark may run
on a shared one):

- a policy draft of the policy with the most clocks: every target a quarter shorter, on another
  calendar (office hours one hour longer each end and a holiday in the window);
- a calendar draft of the calendar most policies use: an hour longer each end and a holiday in
  the window (it governs every policy on that calendar: the heavy case).

Each is replayed over ``--whatif-weeks`` (12) weeks with ``sla.whatif.replay_compute``: wall
time, CPU time, clocks replayed and the growth of the process's peak RSS (``ru_maxrss``) and
its peak RSS itself. Target (issue #16): under 10 s and under 300 MB over 12 weeks of the
1,000,000-case database.

Run it on the harness database (``python -m bench sla_whatif --cases N``, which migrates and
seeds it first), or straight on a database someone else keeps, without migrating or seeding it:
``BENCH_DATABASE_URL=... python -m bench.sla_whatif``.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from bench.common import Row

TARGET_SECONDS = 10.0
TARGET_MB = 300.0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--whatif-weeks", type=int, default=12, help="weeks replayed (12)")


def run(args: argparse.Namespace) -> list[Row]:
    from django.db.models import Count

    from sla.models import BusinessCalendar, CaseClock, DraftKind, SlaDraft, SlaPolicy

    weeks = args.whatif_weeks
    now = datetime.now(UTC)
    busiest = (
        CaseClock.objects.filter(stopped_at__gte=now - timedelta(weeks=weeks))
        .values("policy_id")
        .annotate(n=Count("id"))
        .order_by("-n")
        .first()
    )
    if busiest is None:
        raise SystemExit("no clocks stopped in the window: seed the database first")
    policy = SlaPolicy.objects.only(
        "id", "calendar_id", "response_minutes", "resolution_minutes", "update_minutes"
    ).get(pk=busiest["policy_id"])
    calendar_id = (
        SlaPolicy.objects.values("calendar_id")
        .annotate(n=Count("id"))
        .order_by("-n")
        .values_list("calendar_id", flat=True)
        .first()
    )
    calendar = BusinessCalendar.objects.only("id", "name", "time_zone", "revision").get(
        pk=calendar_id
    )
    longer = _longer_hours(calendar, now=now, weeks=weeks)
    other = (
        BusinessCalendar.objects.only("id", "name", "time_zone", "revision", "always_open")
        .exclude(pk=policy.calendar_id)
        .first()
    ) or policy.calendar
    policy_draft = SlaDraft(
        kind=DraftKind.POLICY,
        policy=policy,
        policy_calendar=other,
        response_minutes=policy.response_minutes * 3 // 4,
        resolution_minutes=policy.resolution_minutes * 3 // 4,
        update_minutes=(policy.update_minutes or 0) * 3 // 4 or None,
        warn_percent=75,
    )
    calendar_draft = SlaDraft(kind=DraftKind.CALENDAR, calendar=calendar, **longer)
    rows: list[Row] = []
    for label, draft in (
        (f"policy draft ({policy}, targets -25%, on {other.name})", policy_draft),
        (f"calendar draft ({calendar.name}, +2 h a day, a holiday)", calendar_draft),
    ):
        rows += _measure(label, draft, weeks=weeks, now=now)
    return rows


def _measure(label: str, draft: Any, *, weeks: int, now: datetime) -> list[Row]:
    from sla.whatif import replay_compute

    before = _peak_mb()
    wall, cpu = time.perf_counter(), time.process_time()
    result = replay_compute(draft=draft, weeks=weeks, now=now)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    peak = _peak_mb()
    clocks = result["clocks"]
    totals = result["totals"]
    note = (
        f"{clocks:,} clocks ({totals['clocks']:,} stopped, {result['open']['running']:,} running); "
        f"compliance {totals['live_percent']}% -> {totals['draft_percent']}%; "
        f"flips {result['to_met_count']:,} to met, {result['to_breached_count']:,} to breached; "
        f"CPU {cpu:.1f} s"
    )
    print(f"  {label}: {wall:.2f} s wall, {cpu:.2f} s CPU, peak RSS {peak:.0f} MB; {note}")
    return [
        Row(f"what-if {weeks} weeks, {label}", wall, "s", target=TARGET_SECONDS, note=note),
        Row(
            f"what-if {weeks} weeks, {label}: peak RSS",
            peak,
            "MB",
            target=TARGET_MB,
            note=f"+{peak - before:.0f} MB over the process before it",
        ),
    ]


def _longer_hours(calendar: Any, *, now: datetime, weeks: int) -> dict[str, Any]:
    """The calendar's hours an hour longer at each end (within the day), and a holiday on the
    Monday five weeks back (inside a 12-week window)."""
    from sla.drafts import calendar_snapshot

    live = calendar_snapshot(calendar)
    hours = []
    for weekday, start, end in live["hours"]:
        opens = max(0, int(start[:2]) - 1)
        closes = None if end is None or int(end[:2]) >= 23 else f"{int(end[:2]) + 1:02d}{end[2:]}"
        hours.append([weekday, f"{opens:02d}{start[2:]}", closes])
    monday = (now - timedelta(weeks=min(5, weeks - 1), days=now.weekday())).date()
    return {
        "time_zone": live["time_zone"],
        "always_open": live["always_open"],
        "hours": _merge(hours),
        "holidays": [*live["holidays"], [monday.isoformat(), "Bench holiday"]],
    }


def _merge(hours: list[list[Any]]) -> list[list[Any]]:
    """Windows of one weekday that the widening made touch or overlap, as one."""
    merged: list[list[Any]] = []
    for weekday, start, end in sorted(hours, key=lambda row: (row[0], row[1])):
        last = merged[-1] if merged else None
        if last and last[0] == weekday and (last[2] is None or last[2] >= start):
            last[2] = None if last[2] is None or end is None else max(last[2], end)
            continue
        merged.append([weekday, start, end])
    return merged


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> int:
    """Run on ``BENCH_DATABASE_URL`` as it is: no migration, no seeding."""
    from bench import common

    common.configure()
    parser = argparse.ArgumentParser(prog="python -m bench.sla_whatif")
    add_arguments(parser)
    rows = run(parser.parse_args())
    print(common.format_table(rows))
    print(common.machine())
    return 1 if any(row.passed is False for row in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
