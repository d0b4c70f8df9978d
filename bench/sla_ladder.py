"""SLA ladder: from an acknowledge window's end to the committed climb, live worker and beat.

Issue #16 part 3 (acknowledge or climb). A worker (prefork, ``--sla-concurrency`` processes,
bench/_sla_celery.py) and a beat run against the SLA benchmark database (bench/_sla.py) with
the SLA settings left at their defaults (no SLA_SWEEP_SECONDS). For each spread of
``--sla-ladder-spreads`` (default 0 and 60 seconds), ``--sla-ladder-count`` (2,000) new L1
cases have response deadlines at one moment or spread uniformly over that many seconds, on a
policy of their own (Standard S2 on the bench 24x7 calendar, ``acknowledge_minutes`` =
``--sla-ladder-window``, 1): the breach escalates each to L2 and opens its acknowledge window;
nobody acts on it, so it climbs to L3 (rung 1, next level), then, the L3 team having no lead,
to the manager on duty (rung 3). This process polls every 50 ms for the climbs' escalation
records (written in the worker's transaction, so visible once committed).

- Lag of a climb: the moment it was first seen minus its due moment, which is the previous
  step's record time (the breach's, then the first climb's) plus the window: 24x7 business
  time is wall time. Up to 50 ms of it is polling.
- Exactly once: each case ends with one breach record and one record per climb, and as many
  ``escalated`` timeline events (checked a few seconds after the last climb).

The spread of the windows' ends follows the breaches': with spread 0 they end within the time
the worker takes to escalate the 2,000 breaches (reported as the breach lag).
"""

from __future__ import annotations

import argparse
import random
import time
from collections import Counter
from datetime import timedelta
from typing import Any

from bench import _sla, _sla_celery
from bench.common import Row, Timing

POLL_SECONDS = 0.05
SETTLE_SECONDS = 5.0
LADDER_SEVERITY = "S2"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--sla-ladder-count", type=int, default=2000, help="escalations per run (2,000)"
    )
    parser.add_argument(
        "--sla-ladder-spreads",
        default="0,60",
        help="seconds the breaches (so the windows' ends) are spread over, comma-separated",
    )
    parser.add_argument(
        "--sla-ladder-window", type=int, default=1, help="acknowledge window, minutes (1)"
    )


def run(args: argparse.Namespace) -> list[Row]:
    from django.conf import settings

    rows: list[Row] = []
    period = settings.SLA_SWEEP_SECONDS
    concurrency = getattr(args, "sla_concurrency", 2)
    with _sla.sla_database():
        policy = _ladder_policy(window=args.sla_ladder_window)
        for spread in (int(s) for s in args.sla_ladder_spreads.split(",")):
            result = measure(
                policy_id=policy,
                period=period,
                cases=args.sla_ladder_count,
                spread=spread,
                window=args.sla_ladder_window,
                concurrency=concurrency,
            )
            what = f"{args.sla_ladder_count:,} escalations, windows end over {spread} s"
            for name, timing in result.items():
                rows.append(Row(f"{name} lag, {what}, median", timing.median / 1000, "s"))
                rows.append(Row(f"{name} lag, {what}, p99", timing.p99 / 1000, "s"))
                rows.append(Row(f"{name} lag, {what}, max", timing.slowest / 1000, "s"))
    return rows


def _ladder_policy(*, window: int) -> int:
    """The ladder's own policy (so the other SLA benchmarks' S3 policy keeps no window)."""
    from cases.models import Tier
    from sla.models import SlaPolicy

    base = _sla.ensure_reference()["policy"]
    policy, _ = SlaPolicy.objects.update_or_create(
        tier=Tier.STANDARD,
        severity=LADDER_SEVERITY,
        defaults={
            "calendar": base.calendar,
            "response_minutes": base.response_minutes,
            "resolution_minutes": base.resolution_minutes,
            "update_minutes": None,
            "warn_percent": base.warn_percent,
            "reescalate_minutes": None,
            "acknowledge_minutes": window,
        },
    )
    return int(policy.pk)


def measure(
    *, policy_id: int, period: int, cases: int, spread: int, window: int, concurrency: int
) -> dict[str, Timing]:
    celery = _sla_celery.Celery(concurrency=concurrency)
    ids: list[int] = []
    try:
        celery.start("worker")
        celery.start("beat")
        warmup = _sla_celery.wait_worker_ready(celery, timeout=period * 4 + 60)
        print(f"  worker and beat up ({period} s sweep; warm-up {warmup:.1f} s)")
        rng = random.Random(cases + spread)
        start = _sla_celery.utc_now() + timedelta(seconds=period + 5)
        deadlines = sorted(start + timedelta(seconds=rng.uniform(0, spread)) for _ in range(cases))
        ids = _sla.new_cases_due_at(deadlines, title="ladder")
        _move_to_policy(ids, policy_id=policy_id)
        cpu = celery.worker_cpu_seconds()
        seen = _wait_climbs(ids, timeout=period + 5 + spread + 2 * window * 60 + 120)
        cpu = celery.worker_cpu_seconds() - cpu
        time.sleep(SETTLE_SECONDS)  # a second climb of the same step would show by now
        result = _lags(ids, seen=seen, window=window)
        for name, timing in result.items():
            print(
                f"  spread {spread} s, {name}: median {timing.median / 1000:.2f} s, "
                f"p99 {timing.p99 / 1000:.2f} s, max {timing.slowest / 1000:.2f} s"
            )
        print(f"  worker CPU over the breaches and climbs: {cpu:.1f} s")
        _check_once(ids)
        return result
    finally:
        celery.stop_all()
        celery.purge()
        if ids:
            time.sleep(0.5)
            _sla.retire(ids, now=_sla_celery.utc_now())


def _move_to_policy(case_ids: list[int], *, policy_id: int) -> None:
    """Put the new cases and their clocks on the ladder's policy (before their deadlines)."""
    from cases.models import Case
    from sla.models import CaseClock
    from sla.services import cases_sla_marks_refresh

    Case.objects.filter(pk__in=case_ids).update(severity=LADDER_SEVERITY)
    CaseClock.objects.filter(case_id__in=case_ids).update(policy_id=policy_id)
    cases_sla_marks_refresh(case_ids=case_ids)


def _wait_climbs(case_ids: list[int], *, timeout: float) -> dict[tuple[int, str], float]:
    """Poll until every case has climbed twice (or ``timeout``): when each (case, climb step)
    record was first seen, epoch seconds."""
    from sla.models import EscalationRecord

    low, high = min(case_ids), max(case_ids)
    wanted = set(case_ids)
    seen: dict[tuple[int, str], float] = {}
    climbed: Counter[int] = Counter()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        now = time.time()
        records = EscalationRecord.objects.filter(
            case_id__gte=low, case_id__lte=high, step__startswith="climb-"
        ).values_list("case_id", "step")
        for case_id, step in records:
            if case_id in wanted and (case_id, step) not in seen:
                seen[case_id, step] = now
                climbed[case_id] += 1
        if len(climbed) == len(wanted) and min(climbed.values()) >= 2:
            break
        time.sleep(POLL_SECONDS)
    return seen


def _lags(
    case_ids: list[int], *, seen: dict[tuple[int, str], float], window: int
) -> dict[str, Timing]:
    """Per step (the breach, the first climb, the second), seen minus due, in ms."""
    from sla.models import CaseClock, EscalationRecord

    due = {
        case_id: at.timestamp()
        for case_id, at in CaseClock.objects.filter(
            case_id__in=case_ids, kind="response"
        ).values_list("case_id", "due_at")
    }
    records: dict[int, dict[str, float]] = {pk: {} for pk in case_ids}
    for case_id, step, at in EscalationRecord.objects.filter(
        case_id__in=case_ids, clock_kind="response"
    ).values_list("case_id", "step", "created_at"):
        records[case_id][step] = at.timestamp()
    missing = [pk for pk in case_ids if len([s for s in records[pk] if s.startswith("climb-")]) < 2]
    if missing:
        raise SystemExit(f"{len(missing)} cases did not climb twice in time, e.g. {missing[:5]}")
    breach: list[float] = []
    first: list[float] = []
    second: list[float] = []
    for pk in case_ids:
        steps = records[pk]
        climbs = sorted((s for s in steps if s.startswith("climb-")), key=lambda s: steps[s])
        breach.append((steps["breach"] - due[pk]) * 1000)
        first.append((seen[pk, climbs[0]] - steps["breach"] - window * 60) * 1000)
        second.append((seen[pk, climbs[1]] - steps[climbs[0]] - window * 60) * 1000)
    return {
        "breach (record time)": Timing.of(breach),
        "climb 1 (to L3)": Timing.of(first),
        "climb 2 (to the manager)": Timing.of(second),
    }


def _check_once(case_ids: list[int]) -> None:
    from cases.models import CaseEvent
    from sla.models import EscalationRecord

    records: Counter[Any] = Counter(
        EscalationRecord.objects.filter(case_id__in=case_ids)
        .exclude(step="warning")
        .values_list("case_id", flat=True)
    )
    events: Counter[Any] = Counter(
        CaseEvent.objects.filter(case_id__in=case_ids, kind="escalated").values_list(
            "case_id", flat=True
        )
    )
    wrong = [pk for pk in case_ids if records[pk] != 3 or events[pk] != 3]
    if wrong:
        raise SystemExit(
            f"{len(wrong)} cases do not have exactly one breach and two climbs, e.g. "
            f"{[(pk, records[pk], events[pk]) for pk in wrong[:5]]}"
        )
    print(f"  exactly once: {len(case_ids):,} cases, each 1 breach + 2 climbs (records, events)")
