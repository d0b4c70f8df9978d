"""A person signs in through the company's identity provider in a real browser: the
application's login page, the provider's own login form and consent page (tests.oidc_provider,
a real OpenID Connect provider in its own process), and back as the role their groups give."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import Group, User
from playwright.sync_api import Page, expect

from escalation.roles import Role, user_roles
from tests.factories import TeamFactory
from tests.oidc_provider import fixtures
from tests.oidc_provider.fixtures import PROVIDER_PASSWORD, Provider

# The provider and the settings pointing at it (fixtures shared with other test modules).
oidc_provider = fixtures.oidc_provider
oidc_on = fixtures.oidc_on

pytestmark = [pytest.mark.integration, pytest.mark.browser]

SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"


@pytest.mark.django_db(transaction=True)
def test_a_manager_signs_in_with_the_identity_provider_and_lands_as_a_manager(
    live_server: Any, page: Page, oidc_on: Provider
) -> None:
    for role in Role:  # transactional tests flush the data migration's groups
        Group.objects.get_or_create(name=role.value)
    TeamFactory(name="Service desk")
    oidc_on.person("marta", groups=["esc-managers", "sd-team"])
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    page.goto(f"{live_server.url}/")
    expect(page.get_by_role("link", name="Sign in with Test IdP")).to_be_visible()
    page.screenshot(path=SCREENSHOTS / "oidc-login-page.png", full_page=True)
    page.get_by_role("link", name="Sign in with Test IdP").click()

    expect(page.get_by_role("heading", name="Test identity provider")).to_be_visible()
    page.get_by_label("Username").fill("marta")
    page.get_by_label("Password").fill(PROVIDER_PASSWORD)
    page.screenshot(path=SCREENSHOTS / "oidc-provider-login.png", full_page=True)
    page.get_by_role("button", name="Sign in at the provider").click()

    expect(page.get_by_role("heading", name="Authorize Escalation?")).to_be_visible()
    page.screenshot(path=SCREENSHOTS / "oidc-provider-consent.png", full_page=True)
    page.get_by_role("button", name="Authorize").click()

    expect(page.get_by_role("navigation", name="Main")).to_contain_text("Marta")
    expect(page).to_have_url(f"{live_server.url}/learning/")
    page.screenshot(path=SCREENSHOTS / "oidc-landed-as-manager.png", full_page=True)
    marta = User.objects.get(username="marta")
    assert user_roles(marta) == {Role.MANAGER}
    assert list(marta.teams.values_list("name", flat=True)) == ["Service desk"]
