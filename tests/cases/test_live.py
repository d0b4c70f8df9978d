"""The live pages' "changed since" poll over cases: 204 with one query while nothing the viewer
may see changed, the new mark once something did; refused to anyone the pages refuse."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cases import services
from cases.models import Case, Severity, Status
from cases.selectors_live import NO_CASES, case_change_mark
from escalation.roles import user_roles
from tests.conftest import client_for
from tests.factories import CaseFactory, RootCauseFactory

pytestmark = pytest.mark.django_db

CHANGES = reverse("cases:changes")
# What every signed-in request reads before the view runs: the session, the user, their roles.
AUTH_TABLES = ("django_session", "auth_user", "auth_group")


def earlier(case: Case, *, minutes: int) -> Case:
    """Age the case's last change, as if it had been made that long ago."""
    stamp = timezone.now() - timedelta(minutes=minutes)
    Case.objects.filter(pk=case.pk).update(raised_at=stamp, updated_at=stamp)
    case.refresh_from_db()
    return case


def own_queries(captured: CaptureQueriesContext) -> list[str]:
    return [q["sql"] for q in captured if not any(t in q["sql"] for t in AUTH_TABLES)]


def test_the_poll_answers_no_content_with_one_query_while_nothing_changed(bob) -> None:
    earlier(CaseFactory(), minutes=10)
    mark = case_change_mark(viewer=bob)
    client = client_for(bob)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(CHANGES, {"mark": mark})
    assert response.status_code == 204
    assert response.content == b""
    assert len(own_queries(captured)) == 1
    assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]


def test_the_mark_is_one_query_for_each_role(bob, erin, alice) -> None:
    CaseFactory(raised_by=alice)
    for viewer in (bob, erin, alice):
        user_roles(viewer)  # read once a request, by the login and role checks before the view
        with CaptureQueriesContext(connection) as captured:
            case_change_mark(viewer=viewer)
        assert len(captured) == 1, viewer.username


def test_the_poll_answers_the_new_mark_once_a_case_changed(bob) -> None:
    case = earlier(CaseFactory(severity=Severity.S3), minutes=10)
    client = client_for(bob)
    before = case_change_mark(viewer=bob)
    services.case_change_severity(case=case, by=bob, severity=Severity.S2, reason="Spreading")
    response = client.get(CHANGES, {"mark": before})
    assert response.status_code == 200
    after = response.content.decode()
    assert after != before and after == case_change_mark(viewer=bob)
    assert client.get(CHANGES, {"mark": after}).status_code == 204


def test_a_new_case_moves_the_mark(bob) -> None:
    earlier(CaseFactory(), minutes=10)
    before = case_change_mark(viewer=bob)
    CaseFactory()
    assert case_change_mark(viewer=bob) != before


def test_a_change_committed_late_with_an_older_stamp_still_moves_the_mark(bob) -> None:
    """A service stamps updated_at when it starts; a slower one commits after a quicker one
    that started later, so its stamp is older than the newest a poll has already seen."""
    quick = earlier(CaseFactory(), minutes=10)
    slow = earlier(CaseFactory(), minutes=30)
    Case.objects.filter(pk=quick.pk).update(updated_at=timezone.now())
    seen = case_change_mark(viewer=bob)
    Case.objects.filter(pk=slow.pk).update(updated_at=timezone.now() - timedelta(seconds=2))
    assert case_change_mark(viewer=bob) != seen


def test_a_case_leaving_the_open_list_moves_the_mark(bob) -> None:
    case = earlier(CaseFactory(status=Status.IN_PROGRESS, owner=bob), minutes=10)
    before = case_change_mark(viewer=bob)
    services.case_resolve(
        case=case, by=bob, summary="Restarted the gateway", root_cause=RootCauseFactory()
    )
    assert case_change_mark(viewer=bob) != before


def test_an_operators_mark_ignores_cases_she_may_not_see(alice, charlie, bob, other_team) -> None:
    hers = earlier(CaseFactory(raised_by=alice), minutes=10)
    theirs = earlier(CaseFactory(raised_by=charlie, team=other_team), minutes=10)
    before = case_change_mark(viewer=alice)
    services.case_change_severity(case=theirs, by=bob, severity=Severity.S1, reason="Spreading")
    assert case_change_mark(viewer=alice) == before
    services.case_change_severity(case=hers, by=bob, severity=Severity.S1, reason="Spreading")
    assert case_change_mark(viewer=alice) != before


def test_no_case_to_see_is_a_mark_of_its_own(alice, charlie, other_team) -> None:
    CaseFactory(raised_by=charlie, team=other_team)
    assert case_change_mark(viewer=alice) == NO_CASES
    assert client_for(alice).get(CHANGES, {"mark": NO_CASES}).status_code == 204


def test_a_missing_or_odd_mark_is_answered_with_the_current_one(bob) -> None:
    CaseFactory()
    client = client_for(bob)
    for query in ({}, {"mark": "not-a-mark"}):
        response = client.get(CHANGES, query)
        assert response.status_code == 200
        assert response.content.decode() == case_change_mark(viewer=bob)


def test_an_anonymous_poll_is_sent_to_the_login_page(client) -> None:
    response = client.get(CHANGES, {"mark": NO_CASES})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_someone_without_a_role_is_refused_the_poll(nora) -> None:
    assert client_for(nora).get(CHANGES, {"mark": NO_CASES}).status_code == 403


def test_the_poll_takes_no_post(bob) -> None:
    assert client_for(bob).post(CHANGES, {"mark": NO_CASES}).status_code == 405


def test_the_queue_rows_carry_the_mark_and_the_poll(bob) -> None:
    CaseFactory()
    text = client_for(bob).get(reverse("cases:queue")).content.decode()
    assert f'data-live-mark="{case_change_mark(viewer=bob)}"' in text
    assert f'data-live-poll="{CHANGES}"' in text
    assert 'id="queue-rows"' in text and 'id="queue-pager"' in text


def test_the_dashboard_carries_the_mark(bob) -> None:
    CaseFactory()
    text = client_for(bob).get(reverse("reviews:dashboard")).content.decode()
    assert f'data-live-mark="{case_change_mark(viewer=bob)}"' in text
    assert 'id="dashboard-live"' in text


def test_the_poll_interval_is_a_setting(bob, settings) -> None:
    settings.LIVE_POLL_SECONDS = 3
    text = client_for(bob).get(reverse("cases:queue")).content.decode()
    assert 'data-live-every="3"' in text
