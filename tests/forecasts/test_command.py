"""``manage.py forecast_train``: trains and prints the metrics; ``--backtest`` prints the
Brier scores and calibration against the elapsed-percentage warning."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from forecasts.models import ForecastModel
from tests.forecasts.conftest import history, severity_decides

pytestmark = pytest.mark.django_db


def test_forecast_train_trains_now_and_prints_the_metrics() -> None:
    history(count=300, breaches=severity_decides)
    out = StringIO()

    call_command("forecast_train", stdout=out)

    model = ForecastModel.objects.get(active=True)
    assert f"Model v{model.version} (Gradient boosting, calibrated)" in out.getvalue()
    assert '"brier"' in out.getvalue() and '"peak_rss_mb"' in out.getvalue()


def test_forecast_train_backtest_prints_brier_scores_and_calibration() -> None:
    history(count=50, breaches=severity_decides)
    out = StringIO()

    call_command("forecast_train", "--backtest", stdout=out)

    text = out.getvalue()
    assert text.startswith("Back-test: trained (fallback)")
    assert "elapsed_share" in text and "warn_at_75" in text and "Calibration" in text
    assert not ForecastModel.objects.exists()
