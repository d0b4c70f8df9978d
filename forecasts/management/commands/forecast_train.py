"""``manage.py forecast_train``: train the breach forecaster now and print its metrics;
``--backtest``: hold out the last weeks, train on what came before and compare the model with
the plain elapsed-percentage warning (Brier score and calibration deciles)."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from forecasts import scoring, services


class Command(BaseCommand):
    help = "Train the breach forecaster now (or back-test it) and print the metrics."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--backtest", action="store_true", help="Back-test instead.")
        parser.add_argument("--weeks", type=int, default=12, help="Weeks held out (back-test).")
        parser.add_argument("--limit", type=int, default=None, help="Most recent clocks used.")
        parser.add_argument("--score", action="store_true", help="Score the open cases after.")

    def handle(self, *args: Any, **options: Any) -> None:
        now = timezone.now()
        if options["backtest"]:
            result = services.forecast_backtest(
                now=now, weeks=options["weeks"], limit=options["limit"]
            )
            self.stdout.write(backtest_text(result))
            return
        model = services.forecast_train(now=now, limit=options["limit"])
        self.stdout.write(
            f"Model v{model.version} ({model.get_kind_display()}), "
            f"{model.n_examples} examples, trained at {model.trained_at:%Y-%m-%d %H:%M}"
        )
        self.stdout.write(json.dumps(model.metrics, indent=2))
        if options["score"]:
            scored = scoring.risks_score_all(now=timezone.now())
            self.stdout.write(f"Scored {scored.scored} running clocks, {scored.warned} warned.")


def backtest_text(result: dict[str, Any]) -> str:
    """The back-test as a small report: Brier scores, then the calibration deciles."""
    lines = [
        f"Back-test: trained ({result['model_kind']}) on {result['train_examples']} examples "
        f"stopped before {result['cutoff'][:10]}, tested on {result['test_examples']}.",
        "",
        f"{'forecast':<16} {'Brier':>8} {'base rate':>10}",
    ]
    names = ("model", "fallback_rule", "elapsed_share", "warn_at_75")
    for name in names:
        figures = result[name]
        lines.append(f"{name:<16} {figures['brier']:>8.4f} {figures['base_rate'] or 0:>10.3f}")
    lines += ["", "Calibration (predicted / observed breach share, n) per predicted decile:"]
    for name in ("model", "elapsed_share"):
        lines.append(f"  {name}:")
        for row in result[name]["calibration"]:
            if row["n"]:
                lines.append(
                    f"    {row['decile']:>8}  {row['predicted']:.3f} / {row['observed']:.3f}"
                    f"  (n={row['n']})"
                )
    return "\n".join(lines) + "\n"
