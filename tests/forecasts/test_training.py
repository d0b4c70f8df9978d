"""Training: the fallback with little history, a model that learns what decides breaches,
and the stored, versioned result."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from cases.models import Severity, Status
from forecasts.features import running_frame
from forecasts.models import ForecastModel, ModelKind
from forecasts.scoring import forecast
from forecasts.services import forecast_backtest, forecast_train, forecaster_active
from tests.factories import CaseFactory
from tests.forecasts.conftest import history, running_clock, severity_decides

pytestmark = pytest.mark.django_db


def _open_cases_half_way(team, customer=None):  # type: ignore[no-untyped-def]
    """One open case per severity, its resolution clock half way to the deadline."""
    cases = {}
    for severity in Severity.values:
        extra = (
            {
                "customer": customer.customer,
                "product": customer.product,
                "category": customer.category,
            }
            if customer is not None
            else {}
        )
        case = CaseFactory(severity=severity, status=Status.IN_PROGRESS, team=team, **extra)
        running_clock(case, share=0.5)
        cases[severity] = case
    return cases


def test_too_little_history_falls_back_to_an_explained_rule(service_desk) -> None:  # type: ignore[no-untyped-def]
    history(count=20, breaches=severity_decides)

    model = forecast_train(now=timezone.now())

    assert model.kind == ModelKind.FALLBACK and model.n_examples < 200
    cases = _open_cases_half_way(service_desk)
    frame = running_frame(now=timezone.now(), limit=10)
    probabilities, reasons = forecast(forecaster_active()[1], frame)  # type: ignore[index]
    assert all(0 <= p <= 1 for p in probabilities)
    assert all("fallback rule" in words[0] for words in reasons)
    assert len(frame) == len(cases)


def test_without_any_history_the_fallback_is_the_elapsed_share(service_desk) -> None:  # type: ignore[no-untyped-def]
    forecast_train(now=timezone.now())
    _open_cases_half_way(service_desk)

    probabilities, reasons = forecast(
        forecaster_active()[1],  # type: ignore[index]
        running_frame(now=timezone.now(), limit=10),
    )

    assert probabilities == pytest.approx([0.5] * 4, abs=0.01)
    assert reasons[0] == ["50% of the target used (no history yet)"]


def test_the_model_learns_that_severity_decides_breaches(service_desk) -> None:  # type: ignore[no-untyped-def]
    past = history(count=600, breaches=severity_decides, team=service_desk)

    model = forecast_train(now=timezone.now())

    assert model.kind == ModelKind.BOOSTED and model.n_examples > 500
    assert model.metrics["in_sample"]["base_rate"] == pytest.approx(
        0.5, abs=0.1
    )  # breached clocks give 4 samples
    cases = _open_cases_half_way(service_desk, customer=past[0])
    frame = running_frame(now=timezone.now(), limit=10)
    probabilities, reasons = forecast(forecaster_active()[1], frame)  # type: ignore[index]
    by_severity = {
        case.severity: probabilities[list(frame.case_ids).index(case.pk)] for case in cases.values()
    }
    # At half way the true chances are about 88%, 65%, 39% and 9%; isotonic calibration makes
    # steps, so neighbours may share one: the far ends must stand apart.
    assert by_severity["S1"] >= by_severity["S3"] >= by_severity["S4"]
    assert by_severity["S2"] >= by_severity["S4"]
    assert by_severity["S1"] - by_severity["S4"] > 0.2
    s1 = reasons[list(frame.case_ids).index(cases["S1"].pk)]
    assert s1 and all(isinstance(words, str) and words for words in s1)


def test_each_training_is_a_new_active_version(service_desk) -> None:  # type: ignore[no-untyped-def]
    first = forecast_train(now=timezone.now())
    second = forecast_train(now=timezone.now())

    assert (first.version, second.version) == (1, 2)
    assert list(ForecastModel.objects.filter(active=True).values_list("version", flat=True)) == [2]
    assert forecaster_active()[0] == 2  # type: ignore[index]
    assert second.trained_at is not None and second.artefact


def test_the_backtest_compares_the_model_with_the_elapsed_share_warning() -> None:
    now = timezone.now()
    history(count=600, breaches=severity_decides, end=now - timedelta(weeks=13))
    history(count=200, breaches=severity_decides, end=now, seed=2)

    result = forecast_backtest(now=now, weeks=12)

    assert result["model_kind"] == "boosted"
    assert result["test_examples"] > 0 and result["train_examples"] > 600
    assert result["model"]["brier"] < result["elapsed_share"]["brier"]
    assert len(result["model"]["calibration"]) == 10


def test_a_history_too_lopsided_to_calibrate_falls_back_instead_of_failing(settings) -> None:  # type: ignore[no-untyped-def]
    settings.FORECAST_MIN_EXAMPLES = 50
    lone = {}

    def one_breach(case, rng):  # type: ignore[no-untyped-def]
        return lone.setdefault("breached", case.pk) == case.pk

    history(count=300, breaches=one_breach)

    model = forecast_train(now=timezone.now())

    assert model.kind == ModelKind.FALLBACK and model.n_examples >= 300
