"""Who works a case (cases.permissions.can_work) and how the services hold to it: the engineer
who owns the case and her team-mates acknowledge, set the status, resolve and hand it on;
managers do all that and the rest; executives and other teams nothing. Each refusal sits next
to its success.

olga owns the service desk's case and alice is her team-mate; charlie, of another team, raised
it; bob is a manager, erin an executive.
"""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied

from cases.models import Case, EventKind, Level, Status
from cases.permissions import can_work, hand_on_refusal
from cases.services import (
    case_acknowledge,
    case_assign,
    case_change_severity,
    case_close,
    case_link,
    case_reopen,
    case_resolve,
    case_set_root_cause,
    case_set_status,
    cases_bulk_update,
)
from escalation.errors import DomainError
from escalation.roles import Role
from tests.cases.factories import case_in, root_cause
from tests.factories import TeamFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def level2(db: None):  # type: ignore[no-untyped-def]
    return TeamFactory(name="Level 2", level=Level.L2)


@pytest.fixture
def ines(level2):  # type: ignore[no-untyped-def]
    user = UserFactory(username="ines", first_name="Ines", role=Role.OPERATOR)
    level2.members.add(user)
    return user


def her_case(owner, team, raiser, status: Status = Status.IN_PROGRESS) -> Case:  # type: ignore[no-untyped-def]
    return case_in(status, owner=owner, team=team, raised_by=raiser)


# --- The predicate ------------------------------------------------------------------------------


def test_the_owner_and_her_team_mates_work_the_case(olga, alice, charlie, service_desk) -> None:
    case = her_case(olga, service_desk, charlie)
    assert can_work(olga, case)
    assert can_work(alice, case)


def test_an_unassigned_case_of_the_team_is_worked_by_any_of_its_operators(
    alice, charlie, service_desk
) -> None:
    assert can_work(alice, case_in(Status.NEW, team=service_desk, raised_by=charlie))


def test_the_operator_who_raised_it_from_another_team_does_not_work_it(
    olga, charlie, service_desk
) -> None:
    assert not can_work(charlie, her_case(olga, service_desk, charlie))


def test_the_owner_works_her_case_even_outside_its_team(alice, charlie, other_team) -> None:
    # She kept the case when it moved to a team she does not belong to.
    assert can_work(alice, her_case(alice, other_team, charlie))


def test_managers_work_every_case_and_executives_none(bob, erin, olga, charlie, other_team) -> None:
    case = her_case(olga, other_team, charlie)
    assert can_work(bob, case)
    assert not can_work(erin, case)


def test_an_executive_in_the_team_still_works_nothing(erin, olga, charlie, service_desk) -> None:
    service_desk.members.add(erin)
    assert not can_work(erin, her_case(olga, service_desk, charlie))


def test_an_inactive_account_or_one_without_a_role_works_nothing(
    olga, nora, bob, charlie, service_desk
) -> None:
    case = her_case(olga, service_desk, charlie)
    service_desk.members.add(nora)
    assert not can_work(nora, case)
    for user in (olga, bob):
        user.is_active = False
        assert not can_work(user, case)


# --- Working the case through the services --------------------------------------------------


def test_the_owner_works_her_escalated_case_from_acknowledged_to_resolved(
    olga, charlie, service_desk
) -> None:
    case = her_case(olga, service_desk, charlie, Status.NEW)
    case = case_acknowledge(case=case, by=olga)
    assert (case.status, case.owner) == (Status.ACKNOWLEDGED, olga)
    case = case_set_status(case=case, by=olga, status=Status.WAITING, reason="Asked for logs")
    case = case_set_status(case=case, by=olga, status=Status.IN_PROGRESS)
    case = case_resolve(case=case, by=olga, summary="Renewed it", root_cause=root_cause())
    assert case.status == Status.RESOLVED
    kinds = list(case.events.order_by("id").values_list("kind", "actor__username"))
    assert kinds == [
        (EventKind.ACKNOWLEDGED, "olga"),
        (EventKind.STATUS, "olga"),
        (EventKind.STATUS, "olga"),
        (EventKind.RESOLVED, "olga"),
    ]


def test_a_team_mate_who_acknowledges_an_unassigned_case_takes_it(
    alice, charlie, service_desk
) -> None:
    case = case_acknowledge(
        case=case_in(Status.NEW, team=service_desk, raised_by=charlie), by=alice
    )
    assert case.owner == alice


@pytest.mark.parametrize("persona", ["charlie", "erin", "nora"])
def test_who_does_not_work_the_case_is_refused_each_action(
    persona, request, olga, service_desk
) -> None:
    user = request.getfixturevalue(persona)
    charlie = request.getfixturevalue("charlie")
    new = her_case(olga, service_desk, charlie, Status.NEW)
    working = her_case(olga, service_desk, charlie)
    attempts = [
        lambda: case_acknowledge(case=new, by=user),
        lambda: case_set_status(case=working, by=user, status=Status.WAITING),
        lambda: case_resolve(case=working, by=user, summary="x", root_cause=root_cause()),
        lambda: case_assign(case=working, by=user, owner=olga, team=service_desk, reason="x"),
    ]
    for attempt in attempts:
        with pytest.raises(PermissionDenied):
            attempt()
    new.refresh_from_db()
    working.refresh_from_db()
    assert (new.status, working.status) == (Status.NEW, Status.IN_PROGRESS)
    assert not new.events.exists() and not working.events.exists()


def test_managers_only_actions_stay_refused_to_the_owner(olga, charlie, service_desk) -> None:
    working = her_case(olga, service_desk, charlie)
    resolved = her_case(olga, service_desk, charlie, Status.RESOLVED)
    other = case_in(Status.NEW, team=service_desk, raised_by=charlie)
    attempts = [
        lambda: case_change_severity(case=working, by=olga, severity="S1", reason="x"),
        lambda: case_link(case=working, by=olga, target=other, kind="related"),
        lambda: case_set_root_cause(case=working, by=olga, root_cause=root_cause()),
        lambda: case_reopen(case=resolved, by=olga, reason="It came back"),
        lambda: case_close(case=resolved, by=olga),
        lambda: cases_bulk_update(case_ids=[working.pk], by=olga, status="waiting", reason="x"),
    ]
    for attempt in attempts:
        with pytest.raises(PermissionDenied):
            attempt()


# --- Handing the case back or on ------------------------------------------------------------


def test_the_owner_hands_the_case_to_a_team_mate(olga, alice, charlie, service_desk) -> None:
    case = case_assign(
        case=her_case(olga, service_desk, charlie), by=olga, owner=alice, reason="My shift ends"
    )
    assert (case.owner, case.team) == (alice, service_desk)


def test_a_team_mate_takes_the_case_herself(olga, alice, charlie, service_desk) -> None:
    case = case_assign(
        case=her_case(olga, service_desk, charlie), by=alice, owner=alice, reason="I know it"
    )
    assert case.owner == alice


def test_the_owner_hands_the_case_on_to_the_next_levels_queue(
    olga, charlie, service_desk, level2
) -> None:
    case = case_assign(
        case=her_case(olga, service_desk, charlie), by=olga, team=level2, reason="Needs L2"
    )
    assert (case.owner, case.team, case.level) == (None, level2, Level.L2)


def test_the_next_level_hands_the_case_back_to_the_service_desk(
    ines, charlie, service_desk, level2
) -> None:
    case = case_assign(
        case=her_case(ines, level2, charlie), by=ines, team=service_desk, reason="Not ours"
    )
    assert (case.owner, case.team, case.level) == (None, service_desk, Level.L1)


def test_an_engineer_names_no_person_of_another_team(
    olga, ines, charlie, service_desk, level2
) -> None:
    case = her_case(olga, service_desk, charlie)
    with pytest.raises(DomainError, match="without naming a person"):
        case_assign(case=case, by=olga, owner=ines, team=level2, reason="Ines knows it")
    case.refresh_from_db()
    assert (case.owner, case.team) == (olga, service_desk)


def test_a_manager_names_a_person_of_another_team(
    bob, olga, ines, charlie, service_desk, level2
) -> None:
    case = case_assign(
        case=her_case(olga, service_desk, charlie), by=bob, owner=ines, team=level2, reason="x"
    )
    assert (case.owner, case.team) == (ines, level2)


def test_an_engineer_hands_on_only_to_a_member_of_the_cases_team(
    olga, ines, charlie, service_desk
) -> None:
    # The service's own rule: an operator who holds a case belongs to its team.
    with pytest.raises(DomainError, match="not a member of Service desk"):
        case_assign(case=her_case(olga, service_desk, charlie), by=olga, owner=ines, reason="x")


def test_the_level_follows_the_team_for_an_engineer(olga, charlie, service_desk) -> None:
    case = her_case(olga, service_desk, charlie)
    with pytest.raises(DomainError, match="level follows the team"):
        case_assign(case=case, by=olga, level=Level.L3, reason="Harder than it looked")
    assert hand_on_refusal(olga, case, owner=None, team=service_desk, level=Level.L1) is None


def test_an_engineer_hands_nothing_to_an_executive(olga, erin, charlie, service_desk) -> None:
    service_desk.members.add(erin)
    with pytest.raises(DomainError, match="cannot hold cases"):
        case_assign(case=her_case(olga, service_desk, charlie), by=olga, owner=erin, reason="x")


def test_an_engineer_of_both_teams_takes_the_case_along_to_the_other(
    olga, charlie, service_desk, level2
) -> None:
    level2.members.add(olga)
    case = case_assign(
        case=her_case(olga, service_desk, charlie), by=olga, owner=olga, team=level2, reason="x"
    )
    assert (case.owner, case.team) == (olga, level2)
