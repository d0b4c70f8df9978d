"""Personas and shared fixtures.

alice is an operator in the service desk; charlie an operator in another team (he must be
refused alice's team's cases); bob is an escalation manager; erin an executive; nora has an
account but no role.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator

import pytest
from django.conf import settings
from django.test import Client
from django.utils import translation

from cases.models import Level, Team
from escalation.roles import Role
from sla import outbox
from tests.factories import PASSWORD, TeamFactory, UserFactory

IN_CI = os.environ.get("CI", "").lower() == "true"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def pytest_configure(config: pytest.Config) -> None:
    """Parallel test processes (pytest-xdist) each get their own test database from
    pytest-django; on a shared Redis they also need their own cache keys (locks, rate limits,
    cached rows of their own database), and so do the Celery processes they start."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if worker and "KEY_PREFIX" in settings.CACHES["default"]:
        prefix = f"test-{worker}"
        os.environ["CACHE_KEY_PREFIX"] = prefix
        settings.CACHES["default"]["KEY_PREFIX"] = prefix


def require_service(available: bool, what: str) -> None:
    """Skip locally when a real service is missing; under CI=true fail loudly instead."""
    if available:
        return
    if IN_CI:
        pytest.fail(f"{what} is required in CI but is not available", pytrace=False)
    pytest.skip(f"{what} is not available on this machine")


@pytest.fixture(autouse=True)
def _site_language() -> Iterator[None]:
    """Each test starts and ends in the site's language: a request in Italian leaves Italian
    active in the thread (LocaleMiddleware does not undo it), and the next test in the same
    process would read its labels in Italian."""
    translation.deactivate()
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings) -> None:  # type: ignore[no-untyped-def]
    # A real hasher costs ~0.4 s per user; tests check behaviour, not key stretching.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def service_desk(db: None) -> Team:
    return TeamFactory(name="Service desk", level=Level.L1)


@pytest.fixture
def other_team(db: None) -> Team:
    return TeamFactory(name="Field support", level=Level.L1)


@pytest.fixture
def alice(service_desk: Team):  # type: ignore[no-untyped-def]
    user = UserFactory(username="alice", first_name="Alice", role=Role.OPERATOR)
    service_desk.members.add(user)
    return user


@pytest.fixture
def charlie(other_team: Team):  # type: ignore[no-untyped-def]
    user = UserFactory(username="charlie", first_name="Charlie", role=Role.OPERATOR)
    other_team.members.add(user)
    return user


@pytest.fixture
def bob(db: None):  # type: ignore[no-untyped-def]
    return UserFactory(username="bob", first_name="Bob", role=Role.MANAGER)


@pytest.fixture
def erin(db: None):  # type: ignore[no-untyped-def]
    return UserFactory(username="erin", first_name="Erin", role=Role.EXECUTIVE)


@pytest.fixture
def nora(db: None):  # type: ignore[no-untyped-def]
    return UserFactory(username="nora", first_name="Nora")


def client_for(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def password() -> str:
    return PASSWORD


# --- Browser tests (pytest-playwright) -------------------------------------------------------


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict) -> dict:  # type: ignore[type-arg]
    require_service(bool(shutil.which("chromium")) or os.path.exists(CHROMIUM), "Chromium")
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture(autouse=True, scope="session")
def _allow_sync_orm_in_playwright_tests() -> None:
    # Playwright's sync API runs an event loop in the test thread; Django's ORM refuses to run
    # inside one unless told it is safe, which it is here (one thread, test-only).
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(autouse=True)
def _outbox_sent_in_process(request, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """When a change commits, its outbox mail is sent here, once, by the worker's own service
    (``sla.outbox.outbox_send``), so ``mail.outbox`` shows it; a failure stays in the outbox for a
    retry. Tests with real Celery workers keep the broker."""
    if "celery_processes" in request.fixturenames:
        return
    monkeypatch.setattr(
        "sla.outbox.mail_dispatch", lambda mail_ids: outbox.outbox_send(mail_ids=mail_ids)
    )
