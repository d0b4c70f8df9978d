"""Learning P(breach | the clock's state now) from resolved cases, and the fallback rule.

``Forecaster`` is what a ``ForecastModel`` stores (a joblib dump): the encoder of the
categorical features, the calibrated gradient-boosting classifier (or the fallback table), and
the typical value of each feature the reasons compare with.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from typing import Any

import joblib
import numpy as np
from django.utils.translation import gettext as _
from sklearn.calibration import CalibratedClassifierCV
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.frozen import FrozenEstimator

from forecasts.features import CATEGORICAL, FEATURES, NUMERIC, Frame

# A categorical feature keeps its most frequent values (HistGradientBoosting's limit is 255
# categories); a rarer or unseen value is "missing".
MAX_CATEGORIES = 250
# Elapsed-share buckets of the fallback rule: [0, 25%), [25%, 50%), [50%, 75%), [75%, ...).
FALLBACK_EDGES = (0.25, 0.5, 0.75)
# The fallback's breach rate of a bucket is smoothed towards the overall rate with this many
# pseudo-examples, so a bucket with three clocks does not say 100%.
FALLBACK_PRIOR = 10.0
# Share of the training clocks held out to calibrate the classifier's probabilities.
CALIBRATION_SHARE = 0.2


@dataclass
class Encoder:
    """Categorical values -> small integer codes (NaN for unknown); numeric columns as is."""

    vocabulary: dict[str, dict[str, int]]

    @classmethod
    def fit(cls, frame: Frame) -> Encoder:
        vocabulary = {}
        for name in CATEGORICAL:
            values, counts = np.unique(frame.columns[name].astype(str), return_counts=True)
            order = np.argsort(-counts, kind="stable")[:MAX_CATEGORIES]
            vocabulary[name] = {str(values[i]): code for code, i in enumerate(order)}
        return cls(vocabulary=vocabulary)

    def matrix(self, frame: Frame) -> np.ndarray:
        out = np.empty((len(frame), len(FEATURES)), dtype=np.float64)
        for j, name in enumerate(FEATURES):
            if name in self.vocabulary:
                # Each distinct value looked up once (a few hundred), not each row (millions).
                codes = self.vocabulary[name]
                values, inverse = np.unique(frame.columns[name].astype(str), return_inverse=True)
                lookup = np.array([codes.get(str(v), np.nan) for v in values], dtype=np.float64)
                out[:, j] = lookup[inverse.reshape(-1)]
            else:
                out[:, j] = frame.columns[name]
        return out


@dataclass
class FallbackRule:
    """Too little history for a model: the (smoothed) breach rate of past clocks of the same
    severity in the same elapsed-share bucket; with no history at all, the elapsed share."""

    rates: dict[tuple[str, int], tuple[float, int]]
    overall: float | None

    @classmethod
    def fit(cls, frame: Frame) -> FallbackRule:
        if len(frame) == 0 or frame.labels is None:
            return cls(rates={}, overall=None)
        labels = frame.labels.astype(np.float64)
        overall = float(labels.mean())
        buckets = np.digitize(frame.columns["elapsed_share"], FALLBACK_EDGES)
        rates: dict[tuple[str, int], tuple[float, int]] = {}
        severities = frame.columns["severity"].astype(str)
        for severity in np.unique(severities):
            for bucket in range(len(FALLBACK_EDGES) + 1):
                mask = (severities == severity) & (buckets == bucket)
                n = int(mask.sum())
                if n:
                    rate = (labels[mask].sum() + FALLBACK_PRIOR * overall) / (n + FALLBACK_PRIOR)
                    rates[(str(severity), bucket)] = (float(rate), n)
        return cls(rates=rates, overall=overall)

    def predict(self, frame: Frame) -> np.ndarray:
        share = frame.columns["elapsed_share"]
        if self.overall is None:
            return np.clip(share, 0.0, 1.0)
        buckets = np.digitize(share, FALLBACK_EDGES)
        return np.array(
            [
                self.rates.get((str(s), int(b)), (self.overall, 0))[0]
                for s, b in zip(frame.columns["severity"], buckets, strict=True)
            ],
            dtype=np.float64,
        )

    def explain(self, frame: Frame) -> list[list[str]]:
        share = frame.columns["elapsed_share"]
        if self.overall is None:
            return [
                [
                    _("%(used)s%% of the target used (no history yet)")
                    % {"used": round(100 * min(s, 1.0))}
                ]
                for s in share
            ]
        buckets = np.digitize(share, FALLBACK_EDGES)
        reasons = []
        for severity, bucket in zip(frame.columns["severity"], buckets, strict=True):
            rate, n = self.rates.get((str(severity), int(bucket)), (self.overall, 0))
            low = 0 if bucket == 0 else round(100 * FALLBACK_EDGES[bucket - 1])
            reasons.append(
                [
                    _(
                        "%(rate)s%% of %(count)s past %(severity)s clocks at %(low)s%%+ of the "
                        "target breached (fallback rule)"
                    )
                    % {"rate": round(100 * rate), "count": n, "severity": severity, "low": low}
                ]
            )
        return reasons


@dataclass
class Forecaster:
    """A trained model or the fallback, and what its reasons compare with."""

    kind: str
    encoder: Encoder | None = None
    classifier: Any = None
    fallback: FallbackRule | None = None
    # The typical value of each feature (median, or the most frequent category), and each
    # team's usual open load, for the reasons.
    typical: dict[str, Any] = field(default_factory=dict)
    team_load: dict[str, float] = field(default_factory=dict)

    def predict(self, frame: Frame) -> np.ndarray:
        if len(frame) == 0:
            return np.array([], dtype=np.float64)
        if self.fallback is not None:
            return self.fallback.predict(frame)
        assert self.encoder is not None
        return self.predict_matrix(self.encoder.matrix(frame))

    def predict_matrix(self, matrix: np.ndarray) -> np.ndarray:
        """The boosted model's probabilities for already encoded rows (one ``predict_proba``
        call: scikit-learn's per-call overhead, ~10 ms, dwarfs the work for a few rows)."""
        if len(matrix) == 0:
            return np.array([], dtype=np.float64)
        return np.asarray(self.classifier.predict_proba(matrix)[:, 1])

    def dumps(self) -> bytes:
        buffer = io.BytesIO()
        joblib.dump(self, buffer, compress=3)
        return buffer.getvalue()

    @staticmethod
    def loads(data: bytes) -> Forecaster:
        loaded = joblib.load(io.BytesIO(bytes(data)))
        if not isinstance(loaded, Forecaster):
            raise TypeError("Not a forecaster artefact.")
        return loaded


def fit_fallback(frame: Frame) -> Forecaster:
    return Forecaster(kind="fallback", fallback=FallbackRule.fit(frame))


def fit_boosted(frame: Frame, *, seed: int = 17) -> Forecaster:
    """Gradient boosting on most clocks, calibrated (isotonic) on the rest.

    1. Split by clock, not by example, so a clock's samples never sit on both sides.
    2. Fit HistGradientBoostingClassifier with the categorical features declared.
    3. Calibrate its probabilities on the held-out clocks (isotonic regression).
    A split with one outcome only on a side (a small or lopsided history) can neither learn nor
    calibrate: the fallback rule then, rather than scikit-learn's error.
    """
    assert frame.labels is not None
    held = _held_out(frame.clock_ids, share=CALIBRATION_SHARE, seed=seed)
    if any(len(np.unique(frame.labels[side])) < 2 for side in (held, ~held)):
        return fit_fallback(frame)
    encoder = Encoder.fit(frame)
    matrix = encoder.matrix(frame)
    classifier = HistGradientBoostingClassifier(
        categorical_features=[name in CATEGORICAL for name in FEATURES],
        max_iter=150,
        learning_rate=0.1,
        max_leaf_nodes=31,
        min_samples_leaf=40,
        l2_regularization=1.0,
        early_stopping=True,
        validation_fraction=0.1,
        random_state=seed,
    )
    classifier.fit(matrix[~held], frame.labels[~held])
    calibrated = CalibratedClassifierCV(FrozenEstimator(classifier), method="isotonic")
    calibrated.fit(matrix[held], frame.labels[held])
    return Forecaster(
        kind="boosted",
        encoder=encoder,
        classifier=calibrated,
        typical=_typical(frame),
        team_load=_team_typical_load(frame),
    )


def _held_out(clock_ids: np.ndarray, *, share: float, seed: int) -> np.ndarray:
    """A fixed pseudo-random share of the clocks, whole clocks at a time (the same clocks in
    the same order give the same split)."""
    clocks, inverse = np.unique(clock_ids, return_inverse=True)
    chosen = np.random.default_rng(seed).random(len(clocks)) < share
    return chosen[inverse]


def _typical(frame: Frame) -> dict[str, Any]:
    typical: dict[str, Any] = {}
    for name in CATEGORICAL:
        values, counts = np.unique(frame.columns[name].astype(str), return_counts=True)
        typical[name] = str(values[int(np.argmax(counts))]) if len(values) else ""
    for name in NUMERIC:
        values = frame.columns[name]
        typical[name] = float(np.median(values)) if len(values) else 0.0
    return typical


def _team_typical_load(frame: Frame) -> dict[str, float]:
    teams = frame.columns["team"].astype(str)
    loads = frame.columns["team_load"]
    return {str(team): float(np.median(loads[teams == team])) for team in np.unique(teams)}


def brier(probabilities: np.ndarray, labels: np.ndarray) -> float:
    return float(np.mean((probabilities - labels.astype(np.float64)) ** 2)) if len(labels) else 0.0


def calibration_deciles(probabilities: np.ndarray, labels: np.ndarray) -> list[dict[str, Any]]:
    """Per predicted-probability decile (0-10%, ..., 90-100%): how many, the mean prediction
    and the share that breached."""
    table = []
    bins = np.minimum((probabilities * 10).astype(int), 9)
    for decile in range(10):
        mask = bins == decile
        n = int(mask.sum())
        table.append(
            {
                "decile": f"{decile * 10}-{decile * 10 + 10}%",
                "n": n,
                "predicted": round(float(probabilities[mask].mean()), 4) if n else None,
                "observed": round(float(labels[mask].mean()), 4) if n else None,
            }
        )
    return table


def evaluate(probabilities: np.ndarray, labels: np.ndarray) -> dict[str, Any]:
    return {
        "n": len(labels),
        "brier": round(brier(probabilities, labels), 5),
        "base_rate": round(float(labels.mean()), 4) if len(labels) else None,
        "calibration": calibration_deciles(probabilities, labels),
    }
