"""Every URL pattern of the project, opened by every persona, against the expected-access table."""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

import tests
from cases.models import Status
from tests.access import ANONYMOUS, PERSONAS, Rule, World
from tests.conftest import client_for
from tests.factories import CaseFactory

# URL names that are not ours to rule: the Django admin checks is_staff itself.
FOREIGN_NAMESPACES = ("admin",)


def iter_url_names(resolvers: list[URLPattern | URLResolver], prefix: str = "") -> Iterator[str]:
    for entry in resolvers:
        if isinstance(entry, URLResolver):
            namespace = entry.namespace
            if namespace in FOREIGN_NAMESPACES:
                continue
            yield from iter_url_names(
                entry.url_patterns, f"{prefix}{namespace}:" if namespace else prefix
            )
        elif entry.name:
            yield f"{prefix}{entry.name}"


def all_rules() -> dict[str, Rule]:
    rules: dict[str, Rule] = {}
    # Each app's test package lists its rules in access.py or access_<part>.py modules.
    for package in pkgutil.iter_modules(tests.__path__):
        if not package.ispkg:
            continue
        package_path = [str(Path(tests.__path__[0]) / package.name)]
        for module in pkgutil.iter_modules(package_path):
            if module.name == "access" or module.name.startswith("access_"):
                access = importlib.import_module(f"tests.{package.name}.{module.name}")
                rules.update(access.RULES)
    return rules


URL_NAMES = sorted(set(iter_url_names(get_resolver().url_patterns)))
RULES = all_rules()


def test_every_url_pattern_has_an_access_rule() -> None:
    missing = [name for name in URL_NAMES if name not in RULES]
    assert not missing, f"URL names without an access rule in tests/<app>/access.py: {missing}"


def test_the_access_table_names_no_url_that_does_not_exist() -> None:
    stale = [name for name in RULES if name not in URL_NAMES]
    assert not stale, f"access rules for URL names that no longer exist: {stale}"


@pytest.fixture
def world(alice, charlie, bob, erin, nora, service_desk, other_team) -> World:  # type: ignore[no-untyped-def]
    case = CaseFactory(raised_by=alice, team=service_desk, status=Status.IN_PROGRESS)
    other_case = CaseFactory(raised_by=charlie, team=other_team)
    return World(
        operator=alice,
        other_operator=charlie,
        manager=bob,
        executive=erin,
        norole=nora,
        case=case,
        other_case=other_case,
    )


def client_as(persona: str, world: World) -> Client:
    if persona == ANONYMOUS:
        return Client()
    return client_for(getattr(world, persona))


@pytest.mark.parametrize("name", [n for n in URL_NAMES if n in RULES])
@pytest.mark.django_db
def test_each_persona_is_admitted_or_refused_as_the_table_says(name: str, world: World) -> None:
    rule = RULES[name]
    url = reverse(name, kwargs=rule.kwargs(world) if rule.kwargs else None) + rule.query
    failures = []
    for persona in PERSONAS:
        response = client_as(persona, world).get(url)
        status = response.status_code
        location = response.headers.get("Location", "")
        to_login = status == 302 and "/accounts/login/" in location
        if persona in rule.allowed:
            ok = status in rule.ok_statuses and not (to_login and persona != ANONYMOUS)
            if persona == ANONYMOUS and to_login:
                ok = False
        elif persona == ANONYMOUS:
            ok = (status in (401, 403)) if rule.api else to_login
        else:
            ok = status in (403, 404)
        if not ok:
            failures.append(f"{persona}: {status} {location}")
    assert not failures, f"{name} ({url}) answered wrongly: {failures}"


@pytest.mark.django_db
def test_operator_is_refused_another_teams_case_in_the_world(world: World) -> None:
    # A guard on the fixture itself: the refusal rows above rely on these two cases differing.
    assert world.case.team != world.other_case.team
