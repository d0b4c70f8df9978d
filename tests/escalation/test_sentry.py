"""Error tracking (escalation.errors_tracking): off without SENTRY_DSN; with it, a view's
unhandled exception and a task's failure become events. No network: events go to a transport
that keeps them."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sentry_sdk
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.test import Client, override_settings
from django.urls import include, path
from sentry_sdk.envelope import Envelope
from sentry_sdk.transport import Transport

from escalation.celery import app as celery_app
from escalation.errors_tracking import sentry_active, sentry_init

ROOT = Path(__file__).resolve().parents[2]
DSN = "https://public-key@errors.example.invalid/42"


class Recorder(Transport):
    """Keeps each event sentry-sdk would have sent."""

    def __init__(self, options: dict[str, Any] | None = None) -> None:
        super().__init__(options)
        self.events: list[dict[str, Any]] = []

    def capture_envelope(self, envelope: Envelope) -> None:
        for item in envelope.items:
            if item.type == "event":
                payload = item.payload.json
                assert payload is not None
                self.events.append(payload)


@pytest.fixture
def recorder() -> Iterator[Recorder]:
    transport = Recorder()
    sentry_init(dsn=DSN, environment="test", transport=transport)
    try:
        yield transport
    finally:
        sentry_sdk.get_client().close()
        sentry_sdk.get_global_scope().set_client(None)  # off again


@login_not_required
def broken_view(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("the ledger is unbalanced")


# The project's URLs (the error page links to them) and one view that fails.
urlpatterns = [path("broken/", broken_view, name="broken"), path("", include("escalation.urls"))]


def settings_in_a_new_process(**environ: str) -> str:
    """Whether sentry-sdk is on in a process that loads the settings with ``environ``."""
    env = {k: v for k, v in os.environ.items() if k != "SENTRY_DSN"} | environ
    code = (
        "import django; django.setup(); "
        "from escalation.errors_tracking import sentry_active; print(sentry_active())"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip().splitlines()[-1]


def test_error_tracking_is_off_without_a_dsn_and_on_with_one() -> None:
    assert settings_in_a_new_process(DJANGO_SETTINGS_MODULE="escalation.settings") == "False"
    on = settings_in_a_new_process(DJANGO_SETTINGS_MODULE="escalation.settings", SENTRY_DSN=DSN)
    assert on == "True"


def test_the_test_run_itself_reports_nothing() -> None:
    assert not sentry_active()


@pytest.mark.django_db
@override_settings(ROOT_URLCONF=__name__)
def test_an_unhandled_exception_in_a_view_is_reported_with_its_url(
    recorder: Recorder,
) -> None:
    response = Client(raise_request_exception=False).get("/broken/?page=2")
    assert response.status_code == 500
    (event,) = recorder.events
    (exception,) = event["exception"]["values"]
    assert (exception["type"], exception["value"]) == ("RuntimeError", "the ledger is unbalanced")
    assert event["transaction"] == "/broken/"
    assert event["environment"] == "test"
    # No personal data unless asked for: no cookies, no user.
    assert "cookies" not in event.get("request", {}) and "user" not in event


@celery_app.task(name="tests.escalation.test_sentry.failing")
def failing() -> None:
    raise ValueError("no such template")


def test_a_failing_task_is_reported(recorder: Recorder) -> None:
    assert failing.apply().failed()
    (event,) = recorder.events
    assert event["exception"]["values"][-1]["type"] == "ValueError"
    assert event["transaction"] == "tests.escalation.test_sentry.failing"
    # Reported once: the log line that says it was given up carries the same exception.
