"""Settings come from the environment; bad values stop the app with a message naming them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION = {
    "DEBUG": "false",
    "SECRET_KEY": "x7-production-like-secret-key-with-enough-entropy-0f3a9c2e71b84d5aa6",
    "ALLOWED_HOSTS": "escalation.example.com",
    "SITE_URL": "https://escalation.example.com",
}


def run_manage(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    # The test run's own flags (e.g. DJANGO_ALLOW_ASYNC_UNSAFE for the browser) are not production.
    base = {
        k: v
        for k, v in os.environ.items()
        if k not in PRODUCTION and k != "DJANGO_ALLOW_ASYNC_UNSAFE"
    }
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_deploy_check_is_silent_with_production_values() -> None:
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION)
    assert result.returncode == 0, result.stderr + result.stdout
    assert "WARNINGS" not in result.stderr + result.stdout


def test_deploy_check_is_silent_behind_a_tls_terminating_proxy() -> None:
    result = run_manage(
        "check", "--deploy", "--fail-level", "WARNING", **PRODUCTION, SECURE_SSL_REDIRECT="false"
    )
    assert result.returncode == 0, result.stderr + result.stdout


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("DEBUG", "perhaps", "DEBUG must be true or false"),
        ("SECRET_KEY", "", "SECRET_KEY must be set when DEBUG is off"),
        ("ALLOWED_HOSTS", "", "ALLOWED_HOSTS must be set when DEBUG is off"),
        ("TIME_ZONE", "Mars/Olympus_Mons", "TIME_ZONE is not a known time zone"),
        ("DATABASE_URL", "nosuchdb://x/y", "DATABASE_URL is not a valid database URL"),
        ("REDIS_URL", "http://localhost:6379", "REDIS_URL must be a redis:// URL"),
        ("EMAIL_PORT", "smtp", "EMAIL_PORT must be a whole number"),
        ("SLA_SWEEP_SECONDS", "0", "SLA_SWEEP_SECONDS must be at least 1"),
        ("SITE_URL", "escalation.example.com", "SITE_URL must start with http"),
    ],
)
def test_a_bad_setting_stops_the_app_naming_the_variable(
    variable: str, value: str, message: str
) -> None:
    result = run_manage("check", **{**PRODUCTION, variable: value})
    assert result.returncode != 0
    assert message in result.stderr


def test_links_in_mail_follow_where_the_app_listens_unless_site_url_says_otherwise() -> None:
    show = "from django.conf import settings; print(settings.SITE_URL)"
    base = {k: v for k, v in os.environ.items() if k not in ("SITE_URL", "BIND")}

    def site_url(**env: str) -> str:
        result = subprocess.run(
            [sys.executable, "manage.py", "shell", "-c", show],
            cwd=ROOT,
            env={**base, **env},
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode == 0, result.stderr
        return result.stdout.strip().splitlines()[-1]

    assert site_url() == "http://127.0.0.1:8000"
    assert site_url(BIND="0.0.0.0:9000") == "http://127.0.0.1:9000"
    assert site_url(BIND="10.0.0.5:8080") == "http://10.0.0.5:8080"
    assert site_url(BIND="0.0.0.0:9000", SITE_URL="https://esc.example.com/") == (
        "https://esc.example.com"
    )
