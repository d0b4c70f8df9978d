"""The site's icon: linked from every page, and /favicon.ico (which browsers ask for anyway)
answers, signed in or not, instead of a 404 on every page."""

from __future__ import annotations

import pytest
from django.contrib.staticfiles import finders
from django.templatetags.static import static
from django.test import Client

from tests.conftest import client_for


@pytest.mark.django_db
def test_favicon_ico_redirects_to_the_svg_icon_without_a_login() -> None:
    response = Client().get("/favicon.ico")
    assert response.status_code == 302
    assert response["Location"] == static("favicon.svg")


def test_the_icon_is_a_static_svg_file() -> None:
    path = finders.find("favicon.svg")
    assert path is not None
    with open(path, encoding="utf-8") as icon:
        assert icon.read().startswith("<svg ")


def test_favicon_ico_answers_a_signed_in_user_too(alice) -> None:  # type: ignore[no-untyped-def]
    response = client_for(alice).get("/favicon.ico")
    assert response.status_code == 302
    assert response["Location"] == static("favicon.svg")


def test_pages_link_the_icon(alice) -> None:  # type: ignore[no-untyped-def]
    link = f'<link rel="icon" href="{static("favicon.svg")}" type="image/svg+xml">'
    assert link in Client().get("/accounts/login/").content.decode()
    assert link in client_for(alice).get("/cases/mine/").content.decode()
