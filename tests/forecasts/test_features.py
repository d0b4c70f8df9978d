"""The features of a clock's state, for scoring (running now) and training (sampled)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from cases.models import CaseEvent, EventKind, Severity, Status, Tier
from forecasts.features import history_frame, running_frame
from tests.factories import CaseFactory, CustomerFactory
from tests.forecasts.conftest import history
from tests.sla.factories import clock_stored

pytestmark = pytest.mark.django_db

MINUTE = timedelta(minutes=1)


def test_a_running_clock_has_its_known_features(service_desk) -> None:  # type: ignore[no-untyped-def]
    now = timezone.now()
    customer = CustomerFactory(name="Big Bank", tier=Tier.STRATEGIC)
    case = CaseFactory(
        customer=customer, severity=Severity.S1, team=service_desk, status=Status.IN_PROGRESS
    )
    CaseFactory(team=service_desk, status=Status.NEW)  # the team's load: two open cases
    CaseFactory(team=service_desk, status=Status.CLOSED)
    clock = clock_stored(case, due_in=30 * MINUTE, warn_in=15 * MINUTE)  # 60 min target
    for kind, to in (
        (EventKind.ASSIGNED, ""),
        (EventKind.ESCALATED, ""),
        (EventKind.STATUS, "waiting"),
    ):
        CaseEvent.objects.create(case=case, created_at=now - 10 * MINUTE, kind=kind, to_value=to)

    frame = running_frame(now=now, limit=10)

    assert list(frame.clock_ids) == [clock.pk]
    c = {name: values[0] for name, values in frame.columns.items()}
    assert (c["kind"], c["tier"], c["severity"], c["level"]) == (
        "resolution",
        "strategic",
        "S1",
        "L1",
    )
    assert c["team"] == str(service_desk.pk) and c["category"] == str(case.category_id)
    assert c["elapsed_share"] == pytest.approx(0.5, abs=0.01)
    assert c["minutes_left"] == pytest.approx(30, abs=0.5)
    assert c["target_minutes"] == 60
    assert (c["pause_count"], c["reassignments"], c["team_load"]) == (1, 2, 2)
    assert not frame.extra["breached"][0]


def test_a_clock_past_its_deadline_is_marked_breached(service_desk) -> None:  # type: ignore[no-untyped-def]
    case = CaseFactory(team=service_desk, status=Status.IN_PROGRESS)
    clock_stored(case, due_in=-5 * MINUTE, warn_in=-20 * MINUTE)

    frame = running_frame(now=timezone.now(), limit=10)

    assert frame.extra["breached"][0] and frame.columns["elapsed_share"][0] > 1


def test_stopped_clocks_and_closed_cases_are_not_scored(service_desk) -> None:  # type: ignore[no-untyped-def]
    clock_stored(
        CaseFactory(status=Status.IN_PROGRESS), due_in=MINUTE, warn_in=MINUTE, stopped=True
    )
    clock_stored(CaseFactory(status=Status.CLOSED), due_in=MINUTE, warn_in=MINUTE)

    assert len(running_frame(now=timezone.now(), limit=10)) == 0


def test_history_samples_each_clock_only_while_it_still_ran() -> None:
    met, breached = history(count=2, breaches=lambda case, rng: case.title == "History 1")
    frame = history_frame(stopped_before=timezone.now(), limit=10)

    samples = {
        case.pk: sorted(frame.columns["elapsed_share"][frame.case_ids == case.pk].tolist())
        for case in (met, breached)
    }
    ran = met.clocks.get().elapsed_seconds / (4 * 3600)
    assert samples[met.pk] == [s for s in (0.0, 0.25, 0.5, 0.75) if s < ran]
    assert samples[breached.pk] == [0.0, 0.25, 0.5, 0.75]
    assert set(frame.labels[frame.case_ids == breached.pk]) == {True}
    assert set(frame.labels[frame.case_ids == met.pk]) == {False}


def test_history_before_a_cutoff_leaves_later_clocks_out() -> None:
    history(count=5, breaches=lambda case, rng: False)

    early = history_frame(stopped_before=timezone.now() - timedelta(days=90), limit=10)

    assert len(early) == 0
