"""Asking for a replay, running it (inline or in a worker, once), its page and who sees it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.urls import reverse

from cases import services
from cases.models import Severity, Tier
from escalation.errors import DomainError
from sla import whatif
from sla.drafts import draft_discard, draft_start
from sla.models import ReplayState, WhatIfReplay
from sla.whatif_tasks import whatif_replay
from tests.cases.factories import root_cause
from tests.conftest import client_for
from tests.factories import CustomerFactory
from tests.sla.factories import BusinessCalendarFactory, SlaPolicyFactory, office_calendar

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 9, 10, 0, tzinfo=UTC)


@pytest.fixture
def draft(bob: Any) -> Any:
    """A draft halving the resolution target of Standard S3 (24x7, 8 h), over one case raised
    three days ago and still open, and one resolved after 6 h (met live, breached at 4 h)."""
    policy = SlaPolicyFactory(tier=Tier.STANDARD, severity=Severity.S3)
    customer = CustomerFactory(tier=Tier.STANDARD)
    for hours_ago, resolve_after in ((72, 6), (5, None)):
        with time_machine.travel(NOW - timedelta(hours=hours_ago), tick=False):
            case = services.case_raise(
                raised_by=bob,
                customer=customer,
                title="Checkout fails",
                description="Orders stop.",
                severity=Severity.S3,
            )
            services.case_acknowledge(case=case, by=bob)
        if resolve_after:
            with time_machine.travel(NOW - timedelta(hours=hours_ago - resolve_after), tick=False):
                services.case_resolve(case=case, by=bob, summary="Fixed", root_cause=root_cause())
    made = draft_start(by=bob, now=NOW, policy=policy)
    made.resolution_minutes = 240
    made.save()
    return made


def test_a_short_replay_runs_in_the_request_and_shows_weeks_and_flips(bob, draft) -> None:
    with time_machine.travel(NOW, tick=False):
        response = client_for(bob).post(
            reverse("sla:replay_new", kwargs={"pk": draft.pk}), {"weeks": "4"}
        )
    replay = WhatIfReplay.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("sla:replay_detail", kwargs={"pk": replay.pk})
    assert replay.state == ReplayState.DONE
    assert replay.result["to_breached_count"] == 1
    assert replay.result["open"]["running"] >= 1
    page = client_for(bob).get(response["Location"]).content.decode()
    assert 'id="replay-weeks"' in page and 'id="flips-to-breached"' in page
    assert "hx-get" not in page


def test_an_executive_reads_a_replay_and_an_operator_is_refused(alice, erin, bob, draft) -> None:
    replay = whatif.replay_request(draft_id=draft.pk, weeks=4, by=bob, now=NOW)
    url = reverse("sla:replay_detail", kwargs={"pk": replay.pk})
    assert client_for(erin).get(url).status_code == 200
    assert client_for(alice).get(url).status_code == 403
    for user in (alice, erin):
        response = client_for(user).post(
            reverse("sla:replay_new", kwargs={"pk": draft.pk}), {"weeks": "4"}
        )
        assert response.status_code == 403
    assert WhatIfReplay.objects.count() == 1


def test_a_replay_over_weeks_not_offered_is_refused(bob, draft) -> None:
    response = client_for(bob).post(
        reverse("sla:replay_new", kwargs={"pk": draft.pk}), {"weeks": "7"}
    )
    assert response.status_code == 400
    assert "weeks" in response.context["replay_form"].errors
    with pytest.raises(DomainError, match="4, 12 or 52"):
        whatif.replay_request(draft_id=draft.pk, weeks=7, by=bob, now=NOW)
    assert not WhatIfReplay.objects.exists()


def test_a_discarded_draft_is_not_replayed(bob, draft) -> None:
    draft_discard(draft_id=draft.pk, by=bob, now=NOW)
    with pytest.raises(DomainError, match="not yet published or discarded"):
        whatif.replay_request(draft_id=draft.pk, weeks=4, by=bob, now=NOW)


def test_a_long_replay_goes_to_a_worker_and_its_page_polls_until_done(
    bob, draft, monkeypatch, django_capture_on_commit_callbacks
) -> None:
    monkeypatch.setattr(whatif, "INLINE_CLOCKS", 0)
    queued: list[int] = []
    monkeypatch.setattr(whatif_replay, "delay", queued.append)
    with django_capture_on_commit_callbacks(execute=True):
        replay = whatif.replay_request(draft_id=draft.pk, weeks=12, by=bob, now=NOW)
    assert queued == [replay.pk]
    assert replay.state == ReplayState.QUEUED and replay.clocks_total > 0
    body = reverse("sla:replay_body", kwargs={"pk": replay.pk})
    page = client_for(bob).get(reverse("sla:replay_detail", kwargs={"pk": replay.pk}))
    assert f'hx-get="{body}"' in page.content.decode()
    whatif_replay(replay.pk)
    replay.refresh_from_db()
    assert replay.state == ReplayState.DONE
    assert replay.clocks_done == replay.clocks_total
    polled = client_for(bob).get(body).content.decode()
    assert 'id="replay-weeks"' in polled and "hx-get" not in polled


def test_a_replay_delivered_twice_runs_once(bob, draft, monkeypatch) -> None:
    monkeypatch.setattr(whatif, "INLINE_CLOCKS", 0)
    monkeypatch.setattr(whatif_replay, "delay", lambda pk: None)
    replay = whatif.replay_request(draft_id=draft.pk, weeks=4, by=bob, now=NOW)
    whatif_replay(replay.pk)
    first = WhatIfReplay.objects.get(pk=replay.pk).finished_at
    runs: list[int] = []
    monkeypatch.setattr(whatif, "replay_compute", lambda **kwargs: runs.append(1))
    whatif_replay(replay.pk)
    assert runs == []
    assert WhatIfReplay.objects.get(pk=replay.pk).finished_at == first


def test_a_replay_that_fails_says_so_on_its_page(bob, draft, monkeypatch) -> None:
    def broken(**kwargs: Any) -> None:
        raise ValueError("calendar has no business hours")

    monkeypatch.setattr(whatif, "replay_compute", broken)
    replay = whatif.replay_request(draft_id=draft.pk, weeks=4, by=bob, now=NOW)
    assert replay.state == ReplayState.FAILED
    page = client_for(bob).get(reverse("sla:replay_detail", kwargs={"pk": replay.pk}))
    assert "The replay failed: calendar has no business hours" in page.content.decode()


def test_a_calendar_draft_governs_every_policy_on_that_calendar(bob) -> None:
    office = office_calendar()
    SlaPolicyFactory(tier=Tier.STANDARD, severity=Severity.S3, calendar=office)
    SlaPolicyFactory(tier=Tier.STANDARD, severity=Severity.S2, calendar=office)
    SlaPolicyFactory(tier=Tier.PREMIUM, severity=Severity.S3, calendar=BusinessCalendarFactory())
    draft = draft_start(by=bob, now=NOW, calendar=office)
    assert len(whatif.replay_terms(draft)) == 2
