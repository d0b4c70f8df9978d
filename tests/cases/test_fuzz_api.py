"""Fuzz the cases API from its own OpenAPI schema: whatever schemathesis sends, as a manager,
the answer is never a server error.

The schema is the one the app serves at /api/schema/, loaded through schemathesis' WSGI
transport, so requests go through the whole Django stack in this process (and its test
transaction). Bounded and deterministic: a fixed number of examples per operation and mode,
derandomized, no example database, no shrinking. Path parameters point at real rows (a case,
a team), so the action endpoints run their services with fuzzed bodies rather than all
answering 404.

(schemathesis' own pytest integration, ``schema.parametrize()`` / ``from_fixture``, does not
run on pytest 9 - it writes ``node._nodeid`` - so the operations are walked here with
Hypothesis directly.)
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core.cache.backends.locmem import LocMemCache
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, given, settings
from rest_framework.authtoken.models import Token
from rest_framework.throttling import SimpleRateThrottle
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error

from cases.models import Status
from tests.cases.factories import case_in, root_cause
from tests.factories import CategoryFactory, ContactFactory, CustomerFactory, ProductFactory

pytestmark = pytest.mark.django_db

EXAMPLES_PER_OPERATION = 15
OUR_PATHS = r"^/api/(cases|customers|products|categories|root-causes|teams)/"


@pytest.fixture
def fuzz_world(bob, alice, service_desk, monkeypatch) -> Iterator[dict[str, Any]]:  # type: ignore[no-untyped-def]
    # A real WSGI request closes the database connection when it ends, which would end the
    # test's transaction (Django's test client unhooks this the same way). Throttling counts
    # in a private cache with rates out of reach, so a shared Redis is left alone.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    monkeypatch.setattr(SimpleRateThrottle, "cache", LocMemCache("fuzz-throttle", {}))
    monkeypatch.setattr(
        SimpleRateThrottle,
        "THROTTLE_RATES",
        {"anon": "100000/minute", "user": "100000/minute", "case_create": "100000/minute"},
    )
    acme = CustomerFactory(name="Acme")
    ContactFactory(customer=acme)
    ProductFactory(name="Portal")
    CategoryFactory(name="Login")
    root_cause()
    case = case_in(Status.IN_PROGRESS, team=service_desk, raised_by=alice, customer=acme)
    case_in(Status.RESOLVED, team=service_desk)
    token = Token.objects.create(user=bob)
    try:
        yield {
            "headers": {"Authorization": f"Token {token.key}"},
            "path": {"reference": case.reference, "team_id": service_desk.pk},
        }
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def test_the_api_never_answers_a_manager_with_a_server_error(fuzz_world: dict[str, Any]) -> None:
    schema = schemathesis.openapi.from_wsgi(
        "/api/schema/?format=json", get_wsgi_application(), headers=fuzz_world["headers"]
    ).include(path_regex=OUR_PATHS)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 19, [op.label for op in operations]

    failures: dict[str, str] = {}
    calls = 0
    for operation in operations:
        path = {
            name: value
            for name, value in fuzz_world["path"].items()
            if "{" + name + "}" in operation.path
        }
        # Negative examples need an input to break: operations that take no body and no query
        # (acknowledge, close, timeline, the pickers) have only the fixed path.
        takes_input = len(operation.body) > 0 or len(operation.query) > 0
        modes = [GenerationMode.POSITIVE] + ([GenerationMode.NEGATIVE] if takes_input else [])
        for mode in modes:
            strategy = operation.as_strategy(mode, path_parameters=path)

            @given(case=strategy)
            @settings(
                max_examples=EXAMPLES_PER_OPERATION,
                derandomize=True,
                database=None,
                deadline=None,
                phases=[Phase.explicit, Phase.generate],
                suppress_health_check=list(HealthCheck),
            )
            def fuzz(case: Any) -> None:
                nonlocal calls
                calls += 1
                case.call_and_validate(headers=fuzz_world["headers"], checks=[not_a_server_error])

            try:
                fuzz()
            except AssertionError as failure:  # collected, reported together below
                failures[f"{operation.label} ({mode.value})"] = str(failure)[:2000]
    assert not failures, "\n\n".join(f"{label}:\n{text}" for label, text in failures.items())
    # The fuzzing really ran: most operations and modes produced their examples.
    assert calls >= len(operations) * 5, calls
