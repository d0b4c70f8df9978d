"""Fixtures around the real test provider: started once per run, seeded per test.

``oidc_provider`` starts the provider (tests.oidc_provider) as a runserver process on a free
port, with a fresh RSA signing key and SQLite database, and registers the application
(``live_server``) as its client. ``oidc_on`` points the application's settings at it.
``oidc_sign_in`` walks the authorization-code flow as a browser would, with ``requests``:
the provider's login form, its consent form, and back to the application's callback.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

ROOT = Path(__file__).resolve().parents[2]
CLIENT_ID = "escalation-tests"
CLIENT_SECRET = "escalation-tests-secret"  # the test provider's own client
PROVIDER_PASSWORD = "provider-password-1"
ROLE_MAP = (
    ("esc-operators", "Operators"),
    ("esc-managers", "Escalation managers"),
    ("esc-executives", "executive"),
)
TEAM_MAP = (("sd-team", "Service desk"), ("field-team", "Field support"))
# What escalation/settings/ makes of AUTHENTICATION_BACKENDS when OIDC_ENABLED is on.
OIDC_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "escalation.oidc.LocalPasswordBackend",
    "escalation.oidc.OidcBackend",
]


@dataclass
class Provider:
    url: str
    env: dict[str, str]
    log: Path

    @property
    def issuer(self) -> str:
        return f"{self.url}/o"

    def seed(self, *args: str) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "tests.oidc_provider.seed", *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        return done.stdout.strip()

    def person(self, username: str, *, groups: list[str], email: str = "") -> str:
        """Make (or update) a person at the provider with exactly ``groups``; their ``sub``."""
        return self.seed(
            "user",
            username,
            "--password",
            PROVIDER_PASSWORD,
            "--groups",
            ",".join(groups),
            "--email",
            email or f"{username}@example.com",
            "--first-name",
            username.capitalize(),
            "--last-name",
            "Provided",
        )


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture(scope="session")
def oidc_provider(live_server: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Provider]:
    folder = tmp_path_factory.mktemp("oidc-provider")
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    key_file = folder / "signing-key.pem"
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    url = f"http://127.0.0.1:{_free_port()}"
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")},
        "DJANGO_SETTINGS_MODULE": "tests.oidc_provider.settings",
        "OIDC_PROVIDER_DB": str(folder / "provider.sqlite3"),
        "OIDC_PROVIDER_KEY_FILE": str(key_file),
        "OIDC_PROVIDER_ISSUER": f"{url}/o",
    }
    provider = Provider(url=url, env=env, log=folder / "runserver.log")
    subprocess.run(
        [sys.executable, "-m", "django", "migrate", "--verbosity=0"],
        cwd=ROOT,
        env=env,
        check=True,
    )
    provider.seed(
        "app",
        "--client-id",
        CLIENT_ID,
        "--secret",
        CLIENT_SECRET,
        "--redirect-uri",
        f"{live_server.url}/oidc/callback/",
    )
    host_port = url.removeprefix("http://")
    with provider.log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "django", "runserver", host_port, "--noreload"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if requests.get(f"{url}/o/.well-known/openid-configuration", timeout=2).ok:
                    break
            except requests.ConnectionError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"the test provider did not start:\n{provider.log.read_text()}")
            time.sleep(0.2)  # waiting for a process to listen, not for the code under test
        yield provider
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


@pytest.fixture
def oidc_on(settings: Any, oidc_provider: Provider) -> Provider:
    """The application signing in with the test provider, as README's variables would set it."""
    settings.OIDC_ENABLED = True
    settings.OIDC_PROVIDER_NAME = "Test IdP"
    settings.OIDC_RP_CLIENT_ID = CLIENT_ID
    settings.OIDC_RP_CLIENT_SECRET = CLIENT_SECRET
    settings.OIDC_OP_ISSUER = oidc_provider.issuer
    settings.OIDC_OP_AUTHORIZATION_ENDPOINT = f"{oidc_provider.issuer}/authorize/"
    settings.OIDC_OP_TOKEN_ENDPOINT = f"{oidc_provider.issuer}/token/"
    settings.OIDC_OP_USER_ENDPOINT = f"{oidc_provider.issuer}/userinfo/"
    settings.OIDC_OP_JWKS_ENDPOINT = f"{oidc_provider.issuer}/.well-known/jwks.json"
    settings.OIDC_ROLE_MAP = ROLE_MAP
    settings.OIDC_TEAM_MAP = TEAM_MAP
    settings.OIDC_LOCAL_LOGIN = "admins"
    settings.AUTHENTICATION_BACKENDS = OIDC_BACKENDS
    return oidc_provider


class _Forms(HTMLParser):
    """The inputs of each form of a page: enough to submit the provider's two forms."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "form":
            self.forms.append({})
        elif tag == "input" and self.forms and values.get("name"):
            if values.get("type") != "submit":
                self.forms[-1][values["name"] or ""] = values.get("value") or ""


def form_fields(html: str) -> dict[str, str]:
    parser = _Forms()
    parser.feed(html)
    assert parser.forms, f"no form in the page:\n{html[:2000]}"
    return parser.forms[0]


def oidc_to_callback(
    browser: requests.Session, app_url: str, username: str, *, next_url: str = "/"
) -> str:
    """Start at the application, sign in and consent at the provider; the callback URL the
    provider sends the browser back to (not yet followed)."""
    login = browser.get(f"{app_url}/oidc/authenticate/", params={"next": next_url}, timeout=30)
    assert "Test identity provider" in login.text, login.text[:2000]
    fields = form_fields(login.text)
    consent = browser.post(
        login.url,
        data={**fields, "username": username, "password": PROVIDER_PASSWORD},
        timeout=30,
    )
    assert "Authorize" in consent.text, consent.text[:2000]
    answer = browser.post(
        consent.url,
        data={**form_fields(consent.text), "allow": "Authorize"},
        allow_redirects=False,
        timeout=30,
    )
    assert answer.status_code == 302, answer.text[:2000]
    location: str = answer.headers["Location"]
    assert location.startswith(f"{app_url}/oidc/callback/"), location
    return location


def oidc_sign_in(
    browser: requests.Session, app_url: str, username: str, *, next_url: str = "/"
) -> requests.Response:
    """The whole flow: the application's answer at the end of it (redirects followed)."""
    callback = oidc_to_callback(browser, app_url, username, next_url=next_url)
    return browser.get(callback, timeout=30)
