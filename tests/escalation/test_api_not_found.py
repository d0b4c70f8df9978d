"""An /api/ path that no endpoint answers gets the API's JSON 404, whatever the method."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.cases.test_api import api_for

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "path", ["/api/no-such-endpoint/", "/api/cases/ESC-1/nothing/", "/api/a/b/c/"]
)
def test_an_unknown_api_path_is_a_json_404(alice, path) -> None:
    for answer in (api_for(alice).get(path), Client().post(path, {}), api_for(alice).delete(path)):
        assert answer.status_code == 404
        assert answer["Content-Type"] == "application/json"
        assert answer.json() == {"detail": "Not found."}


def test_known_endpoints_still_answer_and_a_missing_slash_still_redirects(alice) -> None:
    assert api_for(alice).get("/api/cases/").status_code == 200
    assert api_for(alice).get("/api/cases", follow=True).status_code == 200
