"""The hook through which case services announce what they did (cases.events): handlers run in
order, in the service's transaction, and a failing handler undoes the whole change."""

from __future__ import annotations

import pytest

from cases.events import CaseAssigned, CaseChanged, CaseResolved, subscribe
from cases.models import CaseEvent, EventKind, Status
from cases.services import case_assign, case_resolve
from reviews.models import Review
from sla.models import Notification
from tests.cases.factories import case_in, root_cause

pytestmark = pytest.mark.django_db


class Refused(Exception):
    pass


def test_handlers_run_in_the_order_they_subscribed_after_the_apps_own(bob) -> None:
    heard: list[str] = []
    stops = [
        subscribe(CaseChanged, lambda event: heard.append("first")),
        subscribe(CaseChanged, lambda event: heard.append("second")),
        subscribe(CaseResolved, lambda event: heard.append("resolved")),
    ]
    try:
        case_resolve(case=case_in(Status.WAITING), by=bob, summary="Fixed", root_cause=root_cause())
    finally:
        for stop in stops:
            stop()
    assert heard == ["first", "second", "resolved"]


def test_a_failing_handler_undoes_the_change_and_what_other_handlers_wrote(bob) -> None:
    case = case_in(Status.WAITING, severity="S1")

    def refuse(event: CaseResolved) -> None:
        assert Review.objects.filter(case=event.case).exists()  # the reviews app ran first
        raise Refused

    stop = subscribe(CaseResolved, refuse)
    try:
        with pytest.raises(Refused):
            case_resolve(case=case, by=bob, summary="Fixed", root_cause=root_cause())
    finally:
        stop()
    case.refresh_from_db()
    assert case.status == Status.WAITING
    assert not Review.objects.filter(case=case).exists()
    assert not CaseEvent.objects.filter(case=case, kind=EventKind.RESOLVED).exists()


def test_an_unsubscribed_handler_hears_nothing_more(bob) -> None:
    heard: list[CaseAssigned] = []
    stop = subscribe(CaseAssigned, heard.append)
    stop()
    case_assign(case=case_in(Status.ACKNOWLEDGED), by=bob, owner=bob, reason="Mine now")
    assert heard == []
    assert not Notification.objects.exists()  # bob gave it to himself: nobody is told
