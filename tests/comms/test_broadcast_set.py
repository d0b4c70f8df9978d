"""The set-based customer update behind a broadcast (``cases_add_customer_updates``): the same
checks and effects as ``case_add_note(customer_facing=True)`` for each case, with a number of
statements that does not grow with the cases."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cases.models import Case, EventKind, Status
from cases.services import case_add_note
from cases.services.triage import CustomerUpdate, cases_add_customer_updates
from comms.models import CaseCc, Delivery
from escalation.errors import DomainError
from sla.models import CaseClock
from tests.cases.factories import case_in
from tests.factories import ContactFactory

pytestmark = pytest.mark.django_db

TEXT = "The fix is deployed; payments work again."


def mailed_case(service_desk, status: Status = Status.IN_PROGRESS) -> Case:  # type: ignore[no-untyped-def]
    case = case_in(status, team=service_desk)
    case.contact = ContactFactory(customer=case.customer)
    case.save(update_fields=["contact"])
    return case


def clocks(case: Case) -> list[tuple[str, object, object]]:
    return sorted(CaseClock.objects.filter(case=case).values_list("kind", "due_at", "stopped_at"))


def test_each_case_gets_what_case_add_note_gives_it(service_desk, bob) -> None:
    one, many = mailed_case(service_desk), mailed_case(service_desk)
    cc = ContactFactory(customer=many.customer)
    CaseCc.objects.create(case=many, contact=cc, added_at=timezone.now())
    single = case_add_note(case=one, by=bob, body=TEXT, customer_facing=True)
    [event] = cases_add_customer_updates(updates=[CustomerUpdate(many, bob, TEXT)]).values()
    assert not isinstance(event, DomainError)
    for case, update in ((one, single), (many, event)):
        case.refresh_from_db()
        assert (update.kind, update.body, update.actor) == (EventKind.UPDATE, TEXT, bob)
        assert case.last_customer_update_at == case.updated_at
        assert case.first_response_at is not None
        assert [c[0] for c in clocks(case)] == [c[0] for c in clocks(one)]
    [delivery] = Delivery.objects.filter(event=single)
    assert delivery.recipient == one.contact.email
    assert sorted(Delivery.objects.filter(event=event).values_list("recipient", "cc")) == sorted(
        [(many.contact.email, False), (cc.email, True)]
    )


def test_a_closed_case_is_refused_alone(service_desk, bob) -> None:
    open_case = mailed_case(service_desk)
    closed = mailed_case(service_desk, Status.CLOSED)
    outcomes = cases_add_customer_updates(
        updates=[CustomerUpdate(open_case, bob, TEXT), CustomerUpdate(closed, None, TEXT)]
    )
    assert isinstance(outcomes[closed.pk], DomainError) and "closed" in str(
        outcomes[closed.pk].message
    )
    assert not closed.events.filter(kind=EventKind.UPDATE).exists()
    assert open_case.events.filter(kind=EventKind.UPDATE).count() == 1


def test_an_author_who_may_not_contribute_is_refused_for_all(service_desk, erin) -> None:
    case = mailed_case(service_desk)
    with pytest.raises(PermissionDenied):
        cases_add_customer_updates(updates=[CustomerUpdate(case, erin, TEXT)])
    assert not case.events.filter(kind=EventKind.UPDATE).exists()


def test_an_empty_text_is_refused(service_desk, bob) -> None:
    with pytest.raises(DomainError):
        cases_add_customer_updates(updates=[CustomerUpdate(mailed_case(service_desk), bob, " ")])


def test_the_statements_do_not_grow_with_the_cases(service_desk, bob) -> None:
    few = [mailed_case(service_desk) for _ in range(2)]
    many = [mailed_case(service_desk) for _ in range(8)]
    counted = []
    # The author's roles are read once and kept on the user: read them before counting.
    cases_add_customer_updates(updates=[CustomerUpdate(mailed_case(service_desk), bob, TEXT)])
    for cases in (few, many):
        with CaptureQueriesContext(connection) as queries:
            cases_add_customer_updates(updates=[CustomerUpdate(c, bob, TEXT) for c in cases])
        counted.append(len(queries))
    assert counted[0] == counted[1]
