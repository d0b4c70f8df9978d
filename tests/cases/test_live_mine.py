"""The operator's "My escalations" is live like the queue: its rows carry the mark and the
poll, and the refresh the poll asks for brings a new case of her team with a new mark."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from cases.selectors_live import case_change_mark
from tests.conftest import client_for
from tests.factories import CaseFactory

pytestmark = pytest.mark.django_db

MINE = reverse("cases:mine")
CHANGES = reverse("cases:changes")


def mark_in(text: str) -> str:
    found = re.search(r'id="mine-rows"[^>]*data-live-mark="([^"]+)"', text)
    assert found, "no live region on the page"
    return found.group(1)


def test_my_escalations_rows_carry_the_mark_and_the_poll(alice, service_desk) -> None:
    CaseFactory(team=service_desk)
    text = client_for(alice).get(MINE).content.decode()
    assert mark_in(text) == case_change_mark(viewer=alice)
    assert f'data-live-poll="{CHANGES}"' in text
    # "self": the browser's own address; the page does not echo its query (test_case_lists).
    assert 'data-live-refresh="self"' in text
    assert 'id="mine-pager"' in text


def test_a_new_case_of_her_team_moves_the_poll_and_shows_in_the_refresh(
    alice, service_desk
) -> None:
    client = client_for(alice)
    before = mark_in(client.get(f"{MINE}?status=open").content.decode())
    new = CaseFactory(team=service_desk, title="Printer on fire")
    assert client.get(CHANGES, {"mark": before}).status_code == 200
    refreshed = client.get(f"{MINE}?status=open").content.decode()
    assert new.reference in refreshed and mark_in(refreshed) != before


def test_another_teams_new_case_leaves_her_poll_quiet(alice, charlie, other_team) -> None:
    client = client_for(alice)
    before = mark_in(client.get(MINE).content.decode())
    CaseFactory(team=other_team, raised_by=charlie)
    assert client.get(CHANGES, {"mark": before}).status_code == 204
