"""The top reasons of a forecast, in words.

Cheap by construction: for each group of features below, the batch is predicted once more with
that group set to its typical value (the training median, or the most frequent category; a
team's load to that team's usual load). What the prediction loses is the group's contribution;
the two or three largest positive ones are the reasons. The batch and its ten variants are
encoded once and stacked into one matrix, predicted in ONE call: never a call per group or row
(each ``predict_proba`` call costs ~10 ms of scikit-learn overhead whatever its size).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
from django.utils.dates import WEEKDAYS
from django.utils.translation import gettext as _

from cases.models import Category, Product, Team, Tier
from forecasts.features import FEATURES, Frame
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


def predict_explained(forecaster: Forecaster, frame: Frame) -> tuple[np.ndarray, list[list[str]]]:
    """Each row's probability and its top reasons, most important first."""
    if len(frame) == 0:
        return np.array([], dtype=np.float64), []
    if forecaster.fallback is not None:
        return forecaster.fallback.predict(frame), forecaster.fallback.explain(frame)
    predicted = forecaster.predict_matrix(_stacked(forecaster, frame))
    n = len(frame)
    base = predicted[:n]
    groups = list(GROUPS)
    # Row k of ``effects``: what group k adds to each row's probability.
    effects = base - predicted[n:].reshape(len(groups), n)
    names = _names()
    words = _wording(forecaster, frame, names)
    out: list[list[str]] = []
    for i in range(n):
        order = np.argsort(-effects[:, i], kind="stable")[:TOP_REASONS]
        chosen = [words[groups[j]](i) for j in order if effects[j, i] >= MIN_EFFECT]
        out.append(chosen or [_("no single factor stands out")])
    return base, out


def _stacked(forecaster: Forecaster, frame: Frame) -> np.ndarray:
    """The encoded batch, then one copy of it per group of GROUPS with that group's features
    at their typical values: ``(1 + len(GROUPS)) * n`` rows."""
    assert forecaster.encoder is not None
    base = forecaster.encoder.matrix(frame)
    column = {name: j for j, name in enumerate(FEATURES)}
    vocabulary = forecaster.encoder.vocabulary
    blocks = [base]
    for names in GROUPS.values():
        block = base.copy()
        for name in names:
            j = column[name]
            if name == "team_load":
                block[:, j] = [
                    forecaster.team_load.get(str(t), forecaster.typical[name])
                    for t in frame.columns["team"]
                ]
            elif name in vocabulary:
                block[:, j] = vocabulary[name].get(str(forecaster.typical[name]), np.nan)
            else:
                block[:, j] = forecaster.typical[name]
        blocks.append(block)
    return np.vstack(blocks)


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
        return _("%(severity)s with %(used)s%% of the target used") % {
            "severity": c["severity"][i],
            "used": used,
        }

    def team_load(i: int) -> str:
        usual = forecaster.team_load.get(str(c["team"][i]), forecaster.typical["team_load"])
        load = int(c["team_load"][i])
        if load > usual:
            text = _("team load %(load)s open cases, above its usual %(usual)s")
        else:
            text = _("team load %(load)s open cases, at or below its usual %(usual)s")
        return text % {"load": load, "usual": round(usual)}

    def pauses(i: int) -> str:
        count = int(c["pause_count"][i])
        if count == 0:
            return _("not paused yet")
        if count == 1:
            return _("paused once already")
        if count == 2:
            return _("paused twice already")
        return _("paused %(count)s times already") % {"count": count}

    def reassignments(i: int) -> str:
        count = int(c["reassignments"][i])
        if count == 0:
            return _("not reassigned yet")
        if count == 1:
            return _("reassigned once")
        if count == 2:
            return _("reassigned twice")
        return _("reassigned %(count)s times") % {"count": count}

    def start(i: int) -> str:
        day = WEEKDAYS[int(c["start_weekday"][i]) % 7]
        return _("started on a %(day)s at %(hour)s") % {
            "day": day,
            "hour": f"{int(c['start_hour'][i]):02d}:00",
        }

    def named(group: str, phrase: str) -> Callable[[int], str]:
        def word(i: int) -> str:
            value = str(c[group][i])
            return phrase % {"name": names.get(group, {}).get(value, value or _("none"))}

        return word

    return {
        "progress": progress,
        "severity": lambda i: _("severity %(severity)s") % {"severity": c["severity"][i]},
        "tier": lambda i: (
            _("%(tier)s customer") % {"tier": names["tier"].get(str(c["tier"][i]), c["tier"][i])}
        ),
        "team_load": team_load,
        "pauses": pauses,
        "reassignments": reassignments,
        "category": named("category", _("category %(name)s")),
        "product": named("product", _("product %(name)s")),
        "team": named("team", _("team %(name)s")),
        "start": start,
    }
