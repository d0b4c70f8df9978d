"""Training the breach forecaster and measuring it: ``forecast_train`` stores a new active
model; ``forecast_backtest`` trains on history before the last weeks and scores those weeks."""

from __future__ import annotations

import resource
import threading
import time
from datetime import datetime, timedelta
from typing import Any

import numpy as np
from django.conf import settings
from django.db import transaction
from django.db.models import Max

from forecasts.features import Frame, history_frame
from forecasts.models import ForecastModel, ModelKind
from forecasts.training import Forecaster, evaluate, fit_boosted, fit_fallback

# Warn-at rule of the plain elapsed-percentage warning the back-test compares with.
PLAIN_WARN_SHARE = 0.75

_loaded: dict[int, Forecaster] = {}
_lock = threading.Lock()


def forecaster_fit(frame: Frame) -> Forecaster:
    """The model, or with fewer than FORECAST_MIN_EXAMPLES examples (or one outcome only) the
    fallback rule."""
    labels = frame.labels if frame.labels is not None else np.array([], dtype=bool)
    both_outcomes = bool(labels.any()) and not bool(labels.all())
    if len(frame) < settings.FORECAST_MIN_EXAMPLES or not both_outcomes:
        return fit_fallback(frame)
    return fit_boosted(frame)


def forecast_train(*, now: datetime, limit: int | None = None) -> ForecastModel:
    """Train on the finished cases' clocks up to ``now`` and make the result the active model.

    The model's metrics: examples, base rate, the Brier score on the training examples (the
    honest figure is the back-test's), training seconds and the process's peak memory.
    """
    began = time.perf_counter()
    frame = history_frame(stopped_before=now, limit=limit or settings.FORECAST_MAX_CLOCKS)
    forecaster = forecaster_fit(frame)
    seconds = time.perf_counter() - began
    labels = frame.labels if frame.labels is not None else np.array([], dtype=bool)
    metrics: dict[str, Any] = {
        "clocks": int(len(np.unique(frame.clock_ids))),
        "train_seconds": round(seconds, 2),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "in_sample": evaluate(forecaster.predict(frame), labels),
    }
    with transaction.atomic():
        last = ForecastModel.objects.select_for_update().aggregate(v=Max("version"))["v"] or 0
        ForecastModel.objects.filter(active=True).update(active=False)
        model = ForecastModel.objects.create(
            version=last + 1,
            kind=ModelKind.BOOSTED if forecaster.kind == "boosted" else ModelKind.FALLBACK,
            trained_at=now,
            n_examples=len(frame),
            metrics=metrics,
            artefact=forecaster.dumps(),
            active=True,
        )
    with _lock:
        _loaded[model.version] = forecaster
    return model


def forecaster_active() -> tuple[int, Forecaster] | None:
    """The active model's version and forecaster (its artefact read once per process and
    version); None before the first training."""
    version = ForecastModel.objects.filter(active=True).values_list("version", flat=True).first()
    if version is None:
        return None
    with _lock:
        cached = _loaded.get(version)
    if cached is not None:
        return version, cached
    artefact = ForecastModel.objects.values_list("artefact", flat=True).get(version=version)
    forecaster = Forecaster.loads(bytes(artefact))
    with _lock:
        _loaded.clear()
        _loaded[version] = forecaster
    return version, forecaster


def forecast_backtest(*, now: datetime, weeks: int = 12, limit: int | None = None) -> dict:
    """Train on clocks that stopped before the last ``weeks`` weeks, test on the clocks that
    started within them (and have stopped by ``now``): the model's Brier score and calibration
    deciles against the plain elapsed-percentage warning, as a probability (the share used)
    and as the warn-at-75% rule (0 or 1)."""
    cutoff = now - timedelta(weeks=weeks)
    cap = limit or settings.FORECAST_MAX_CLOCKS
    began = time.perf_counter()
    train = history_frame(stopped_before=cutoff, limit=cap)
    forecaster = forecaster_fit(train)
    train_seconds = time.perf_counter() - began
    test = history_frame(stopped_before=now, started_after=cutoff, limit=cap)
    labels = test.labels if test.labels is not None else np.array([], dtype=bool)
    share = np.clip(test.columns["elapsed_share"], 0.0, 1.0)
    model = forecaster.predict(test)
    return {
        "cutoff": cutoff.isoformat(),
        "model_kind": forecaster.kind,
        "train_examples": len(train),
        "test_examples": len(test),
        "train_seconds": round(train_seconds, 2),
        "model": evaluate(model, labels),
        "elapsed_share": evaluate(share, labels),
        "warn_at_75": evaluate((share >= PLAIN_WARN_SHARE).astype(np.float64), labels),
        "fallback_rule": evaluate(fit_fallback(train).predict(test), labels),
    }
