"""The API's schema and docs are refused exactly as the API is: to anonymous callers and to
signed-in users without a role; every staff role reads them."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from tests.cases.test_api import api_for
from tests.conftest import client_for

pytestmark = pytest.mark.django_db

SCHEMA = ["/api/schema/", "/api/schema/?format=json"]
JSON = {"HTTP_ACCEPT": "application/json"}


@pytest.mark.parametrize("path", SCHEMA)
def test_a_user_without_a_role_is_refused_the_schema_as_the_api_refuses_them(nora, path) -> None:
    api = api_for(nora).get("/api/cases/", **JSON)
    for client in (api_for(nora), client_for(nora)):
        answer = client.get(path, **JSON)
        assert (
            (answer.status_code, answer.json())
            == (api.status_code, api.json())
            == (
                403,
                {"detail": "Your role does not give access to this endpoint."},
            )
        )


@pytest.mark.parametrize("path", SCHEMA)
def test_anonymous_callers_are_refused_the_schema_as_the_api_refuses_them(path) -> None:
    api = APIClient().get("/api/cases/", **JSON)
    answer = APIClient().get(path, **JSON)
    assert api.status_code in (401, 403)
    assert (answer.status_code, answer.json()) == (api.status_code, api.json())


def test_the_docs_page_refuses_anonymous_callers_and_users_without_a_role(nora) -> None:
    for client in (client_for(nora), APIClient()):
        api = client.get("/api/cases/")
        answer = client.get("/api/docs/")
        assert answer.status_code == api.status_code == 403
        assert "Not allowed" in answer.content.decode()


@pytest.mark.parametrize("persona", ["alice", "bob", "erin"])
def test_every_staff_role_reads_the_schema_and_the_docs(request, persona) -> None:
    client = client_for(request.getfixturevalue(persona))
    schema = client.get("/api/schema/?format=json")
    assert schema.status_code == 200
    assert "/api/cases/" in schema.json()["paths"]
    assert client.get("/api/docs/").status_code == 200


def test_the_case_list_documents_its_sla_filters_sorts_and_count(bob) -> None:
    schema = client_for(bob).get("/api/schema/?format=json").json()
    listing = schema["paths"]["/api/cases/"]["get"]
    parameters = {p["name"]: p for p in listing["parameters"]}
    for name in ("sla", "sla_response", "sla_resolution", "sla_update"):
        assert parameters[name]["schema"]["type"] == "array", name
        assert "breached" in parameters[name]["schema"]["items"]["enum"], name
    assert "met" in parameters["sla_response"]["schema"]["items"]["enum"]
    assert {"urgency", "due"} <= set(parameters["sort"]["schema"]["enum"])
    page = listing["responses"]["200"]["content"]["application/json"]["schema"]
    if "$ref" in page:
        page = schema["components"]["schemas"][page["$ref"].rsplit("/", 1)[1]]
    assert {"count", "count_exact", "next", "previous", "results"} <= set(page["required"])
    assert page["properties"]["count"]["type"] == "integer"
