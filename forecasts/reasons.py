"""The top reasons of a forecast, in words.

Cheap by construction: for each group of features below, the batch is predicted once more with
that group set to its typical value (the training median, or the most frequent category; a
team's load to that team's usual load). What the prediction loses is the group's contribution;
the two or three largest positive ones are the reasons. One extra prediction per group for the
whole batch, never per row.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from cases.models import Category, Product, Team, Tier
from forecasts.features import Frame
from forecasts.training import Forecaster

# A contribution smaller than this (in probability) is not worth a sentence.
MIN_EFFECT = 0.02
TOP_REASONS = 3
GROUPS: dict[str, tuple[str, ...]] = {
    "progress": ("elapsed_share", "minutes_left"),
    "severity": ("severity",),
    "tier": ("tier",),
    "team_load": ("team_load",),
    "pauses": ("pause_count", "pause_minutes"),
    "reassignments": ("reassignments",),
    "category": ("category",),
    "product": ("product",),
    "team": ("team",),
    "start": ("start_hour", "start_weekday"),
}
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
TIMES = {0: "not", 1: "once", 2: "twice"}


def _times(n: int) -> str:
    return TIMES.get(n, f"{n} times")


def contributions(forecaster: Forecaster, frame: Frame, base: np.ndarray) -> dict[str, np.ndarray]:
    """Each group's contribution to each row's probability (``base`` minus the prediction
    with the group at its typical value)."""
    effects = {}
    for group, names in GROUPS.items():
        columns = dict(frame.columns)
        for name in names:
            if name == "team_load":
                usual = [
                    forecaster.team_load.get(str(t), forecaster.typical[name])
                    for t in frame.columns["team"]
                ]
                columns[name] = np.array(usual, dtype=np.float64)
            else:
                columns[name] = np.full_like(frame.columns[name], forecaster.typical[name])
        typical = Frame(columns=columns, clock_ids=frame.clock_ids, case_ids=frame.case_ids)
        effects[group] = base - forecaster.predict(typical)
    return effects


def reasons_for(forecaster: Forecaster, frame: Frame, base: np.ndarray) -> list[list[str]]:
    """The top reasons of each row, most important first."""
    if forecaster.fallback is not None:
        return forecaster.fallback.explain(frame)
    if len(frame) == 0:
        return []
    effects = contributions(forecaster, frame, base)
    groups = list(effects)
    stacked = np.vstack([effects[g] for g in groups])
    names = _names()
    words = _wording(forecaster, frame, names)
    out: list[list[str]] = []
    for i in range(len(frame)):
        order = np.argsort(-stacked[:, i], kind="stable")[:TOP_REASONS]
        chosen = [words[groups[j]](i) for j in order if stacked[j, i] >= MIN_EFFECT]
        out.append(chosen or ["no single factor stands out"])
    return out


def _names() -> dict[str, dict[str, str]]:
    return {
        "category": {str(pk): name for pk, name in Category.objects.values_list("pk", "name")},
        "product": {str(pk): name for pk, name in Product.objects.values_list("pk", "name")},
        "team": {str(pk): name for pk, name in Team.objects.values_list("pk", "name")},
        "tier": {str(value): str(label) for value, label in Tier.choices},
    }


def _wording(
    forecaster: Forecaster, frame: Frame, names: Mapping[str, Mapping[str, str]]
) -> dict[str, Callable[[int], str]]:
    c: dict[str, Any] = frame.columns

    def progress(i: int) -> str:
        used = round(100 * float(c["elapsed_share"][i]))
        return f"{c['severity'][i]} with {used}% of the target used"

    def team_load(i: int) -> str:
        usual = forecaster.team_load.get(str(c["team"][i]), forecaster.typical["team_load"])
        load = int(c["team_load"][i])
        side = "above" if load > usual else "at or below"
        return f"team load {load} open cases, {side} its usual {round(usual)}"

    def pauses(i: int) -> str:
        count = int(c["pause_count"][i])
        return "not paused yet" if count == 0 else f"paused {_times(count)} already"

    def reassignments(i: int) -> str:
        count = int(c["reassignments"][i])
        return "not reassigned yet" if count == 0 else f"reassigned {_times(count)}"

    def start(i: int) -> str:
        day = WEEKDAYS[int(c["start_weekday"][i]) % 7]
        return f"started on a {day} at {int(c['start_hour'][i]):02d}:00"

    def named(group: str, prefix: str) -> Callable[[int], str]:
        def word(i: int) -> str:
            value = str(c[group][i])
            return f"{prefix} {names.get(group, {}).get(value, value or 'none')}"

        return word

    return {
        "progress": progress,
        "severity": lambda i: f"severity {c['severity'][i]}",
        "tier": lambda i: f"{names['tier'].get(str(c['tier'][i]), c['tier'][i])} customer",
        "team_load": team_load,
        "pauses": pauses,
        "reassignments": reassignments,
        "category": named("category", "category"),
        "product": named("product", "product"),
        "team": named("team", "team"),
        "start": start,
    }
