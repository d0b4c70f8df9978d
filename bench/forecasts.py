"""Breach forecasts: training time and memory, scoring every open clock and one case, and the
12-week back-test (Brier score vs the plain elapsed-percentage warning).

The run adds a model and the risks of the open clocks to the benchmark database and removes
them at the end (the database stays as it was; no warnings are sent: the threshold is lifted
for the run). Training runs in a child process, so its peak memory is its own.
"""

from __future__ import annotations

import json
import multiprocessing
import resource
import time
from typing import Any

from bench.common import Row, time_it


def add_arguments(parser: Any) -> None:
    parser.add_argument(
        "--forecast-limit", type=int, default=None, help="recent finished clocks to train on"
    )
    parser.add_argument("--forecast-weeks", type=int, default=12, help="weeks held out")
    parser.add_argument(
        "--forecast-backtest-json", default="", help="write the whole back-test to this file"
    )
    parser.add_argument(
        "--forecast-skip-backtest", action="store_true", help="time training and scoring only"
    )


def _train(limit: int | None, queue: Any) -> None:
    import django

    django.setup()
    from django.utils import timezone

    from forecasts.services import forecast_train

    began = time.perf_counter()
    model = forecast_train(now=timezone.now(), limit=limit)
    queue.put(
        {
            "seconds": time.perf_counter() - began,
            "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "examples": model.n_examples,
            "version": model.version,
            "kind": model.kind,
        }
    )


def run(args: Any) -> list[Row]:
    from django.conf import settings
    from django.db import connection
    from django.utils import timezone

    from cases.models import Status
    from forecasts.models import ClockRisk, ForecastModel
    from forecasts.scoring import case_risks_score, risks_score_all
    from forecasts.services import forecast_backtest
    from sla.models import CaseClock

    settings.FORECAST_RISK_PERCENT = 10_000  # no warnings (and no mail) from a benchmark
    before = set(ForecastModel.objects.values_list("pk", flat=True))
    was_active = ForecastModel.objects.filter(active=True).values_list("pk", flat=True).first()
    connection.close()
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    child = context.Process(target=_train, args=(args.forecast_limit, queue))
    child.start()
    trained = queue.get()
    child.join()
    rows = [
        Row("training, wall", trained["seconds"], "s", target=300),
        Row("training, peak memory (child process)", trained["rss_mb"], "MB", target=1024),
        Row(f"training examples ({trained['kind']})", trained["examples"], "rows"),
    ]
    try:
        began = time.perf_counter()
        cpu = time.process_time()
        result = risks_score_all(now=timezone.now())
        rows.append(Row("score every open clock, wall", time.perf_counter() - began, "s", 30))
        rows.append(Row("score every open clock, CPU", time.process_time() - cpu, "s"))
        rows.append(Row("open clocks scored", result.scored, "clocks"))
        case_id = (
            CaseClock.objects.filter(stopped_at=None, case__status__in=Status.OPEN)
            .order_by("-id")
            .values_list("case_id", flat=True)
            .first()
        )
        if case_id is not None:
            one = time_it(
                lambda: case_risks_score(case_id=case_id, now=timezone.now()), runs=args.runs
            )
            rows.append(Row("score one case, median", one.median, "ms", target=20))
            rows.append(Row("score one case, CPU median", one.cpu_median, "ms"))
        if args.forecast_skip_backtest:
            return rows
        backtest = forecast_backtest(
            now=timezone.now(), weeks=args.forecast_weeks, limit=args.forecast_limit
        )
        for name in ("model", "fallback_rule", "elapsed_share", "warn_at_75"):
            rows.append(
                Row(
                    f"back-test Brier, {name}",
                    backtest[name]["brier"],
                    "",
                    note=f"n={backtest[name]['n']} base={backtest[name]['base_rate']}",
                )
            )
        if args.forecast_backtest_json:
            with open(args.forecast_backtest_json, "w") as out:
                json.dump(backtest, out, indent=2)
    finally:
        ClockRisk.objects.all().delete()
        ForecastModel.objects.exclude(pk__in=before).delete()
        if was_active is not None:
            ForecastModel.objects.filter(pk=was_active).update(active=True)
    return rows
