"""Who may work one case, page and API: every row of the WORK_RULES tables of
tests/cases/access.py and access_api.py, POSTed by every persona of tests/access.py on a case of
its own, each refusal next to the successes."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from cases.models import Case, CaseEvent, Level, Severity, Status
from escalation.roles import Role
from tests.access import ANONYMOUS, CASE_PERSONAS, STRANGER, ActionRule, Crew
from tests.cases import access, access_api
from tests.cases.factories import case_in, root_cause
from tests.cases.test_api import api_for
from tests.conftest import client_for
from tests.factories import TeamFactory, UserFactory

pytestmark = pytest.mark.django_db

RULES: dict[str, ActionRule] = {
    **{f"page: {label}": rule for label, rule in access.WORK_RULES.items()},
    **{f"api: {label}": rule for label, rule in access_api.WORK_RULES.items()},
}


@pytest.fixture
def crew(alice, charlie, bob, erin, nora, service_desk, other_team) -> Crew:  # type: ignore[no-untyped-def]
    def operator(username: str, team: Any) -> Any:
        user = UserFactory(username=username, first_name=username.title(), role=Role.OPERATOR)
        team.members.add(user)
        return user

    return Crew(
        owner=operator("olga", service_desk),
        teammate=alice,
        raiser=charlie,
        stranger=operator("dave", other_team),
        manager=bob,
        executive=erin,
        norole=nora,
        team=service_desk,
        extra={
            "mate": operator("mate", service_desk),
            "next_team": TeamFactory(name="Level 2", level=Level.L2),
            "root_cause": root_cause(),
        },
    )


def case_for(crew: Crew, status: str) -> Case:
    """The raiser's case, held by the owner in the service desk."""
    return case_in(
        Status(status),
        raised_by=crew.raiser,
        team=crew.team,
        owner=crew.owner,
        severity=Severity.S3,
    )


def post_as(persona: str, crew: Crew, rule: ActionRule, case: Case) -> Any:
    url = reverse(rule.url, args=[case.reference])
    data = rule.data(crew)
    if rule.api:
        client: APIClient = APIClient() if persona == ANONYMOUS else api_for(getattr(crew, persona))
        return client.post(url, data, format="json")
    page: Client = Client() if persona == ANONYMOUS else client_for(getattr(crew, persona))
    return page.post(url, data)


def snapshot(case: Case) -> tuple[Any, ...]:
    case.refresh_from_db()
    return (case.status, case.severity, case.owner_id, case.team_id, case.root_cause_id)


@pytest.mark.parametrize("label", RULES)
def test_each_persona_works_the_case_or_is_refused_as_the_table_says(
    label: str, crew: Crew
) -> None:
    rule = RULES[label]
    failures = []
    for persona in CASE_PERSONAS:
        case = case_for(crew, rule.status)
        before = snapshot(case)
        response = post_as(persona, crew, rule, case)
        status = response.status_code
        to_login = status == 302 and "/accounts/login/" in response.headers.get("Location", "")
        if persona in rule.allowed:
            case.refresh_from_db()
            ok = status in (200, 201, 302) and not to_login and rule.done(case)
            if status == 200 and not rule.api:
                ok = False  # the page answers 200 only to show a refused form
        else:
            if persona == ANONYMOUS:
                ok = status in (401, 403) if rule.api else to_login
            else:
                ok = status == (rule.stranger_status if persona == STRANGER else 403)
            events = CaseEvent.objects.filter(case=case).exists()
            unchanged = snapshot(case) == before and not events
            ok = ok and unchanged
        if not ok:
            failures.append(f"{persona}: {status}")
    assert not failures, f"{label} answered wrongly: {failures}"


def test_the_tables_cover_every_persona_and_both_sides() -> None:
    # A guard on the tables themselves: page and API say the same of each action.
    assert access.WORK_RULES.keys() == access_api.WORK_RULES.keys()
    for label, rule in access.WORK_RULES.items():
        assert rule.allowed == access_api.WORK_RULES[label].allowed, label
        assert rule.status == access_api.WORK_RULES[label].status, label
