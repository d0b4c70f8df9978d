"""The rule of who may open a case, read from both sides: the cases a user may open
(``case_visible_to``, ``can_view_case``) and the users who may open a case
(``users_who_may_open``, which the review form's owner picker offers) always agree.

alice operates the service desk, charlie field support, bob manages, erin reads (executive),
nora has no role; dave is inactive.
"""

from __future__ import annotations

import itertools

import pytest

from cases.models import Case, Status
from cases.permissions import can_view_case
from cases.visibility import case_visible_to, users_who_may_open
from escalation.roles import Role
from tests.cases.factories import case_in
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def cases(alice, charlie, bob, service_desk, other_team) -> list[Case]:  # type: ignore[no-untyped-def]
    made = []
    for raiser, team, owner in itertools.product(
        (alice, charlie, bob), (service_desk, other_team, None), (None, alice, charlie)
    ):
        made.append(case_in(Status.IN_PROGRESS, raised_by=raiser, team=team, owner=owner))
    return made


def test_the_users_who_may_open_a_case_are_exactly_those_whose_cases_include_it(
    cases, alice, charlie, bob, erin, nora
) -> None:
    dave = UserFactory(username="dave", role=Role.MANAGER, is_active=False)
    people = [alice, charlie, bob, erin, nora, dave]
    visible = {
        user.pk: set(case_visible_to(viewer=user).values_list("pk", flat=True)) for user in people
    }
    for case in cases:
        openers = set(users_who_may_open(case=case).values_list("pk", flat=True))
        expected = {user.pk for user in people if user.is_active and case.pk in visible[user.pk]}
        assert openers == expected, case
        for user in people:
            if user.is_active:
                assert can_view_case(user, case) == (case.pk in visible[user.pk]), (case, user)


def test_an_owner_who_left_the_team_still_opens_the_case_she_holds(
    alice, charlie, other_team
) -> None:
    held = case_in(Status.IN_PROGRESS, raised_by=charlie, team=other_team, owner=alice)
    assert case_visible_to(viewer=alice).filter(pk=held.pk).exists()
    assert can_view_case(alice, held)
    assert alice in users_who_may_open(case=held)
