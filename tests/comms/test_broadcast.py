"""One update on a major incident's parent, posted once on every open child (comms.broadcast):
each child's timeline and mail, progress, refusals, re-runs and the sweep for lost tasks.

Personas of tests/conftest.py: alice (operator of the service desk, which holds the parent),
bob (manager), charlie (operator of another team), erin (executive).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone

from cases.models import Case, CaseEvent, EventKind, Status
from comms import broadcast as broadcasting
from comms import tasks
from comms.broadcast import NO_ADDRESS, broadcast_start, broadcasts_redispatch
from comms.models import Broadcast, BroadcastState, BroadcastTarget, Delivery
from escalation.errors import DomainError
from incidents.services import incident_declare
from tests.cases.factories import case_in
from tests.conftest import client_for
from tests.factories import ContactFactory

pytestmark = pytest.mark.django_db

# When the frozen tests post: an hour after the fixtures' cases were raised.
NOON = (datetime.now(UTC) + timedelta(hours=1)).replace(microsecond=0)
UPDATE = "Engineering rolled back the payment release; checkouts work again since 10:40."


def affected(parent: Case, status: Status = Status.IN_PROGRESS, **kwargs) -> Case:  # type: ignore[no-untyped-def]
    """A child of ``parent`` whose contact has an address."""
    case = case_in(status, parent=parent, **kwargs)
    case.contact = ContactFactory(customer=case.customer)
    case.save(update_fields=["contact"])
    return case


@pytest.fixture
def parent(service_desk, alice) -> Case:  # type: ignore[no-untyped-def]
    return case_in(Status.IN_PROGRESS, team=service_desk, owner=alice, title="Payments down")


@pytest.fixture
def children(parent: Case, service_desk) -> list[Case]:  # type: ignore[no-untyped-def]
    return [affected(parent, team=service_desk) for _ in range(3)]


@pytest.fixture
def handed_out(monkeypatch) -> list[list[int]]:  # type: ignore[no-untyped-def]
    """The batches of target ids handed to the workers after commit (the tests run them)."""
    batches: list[list[int]] = []
    monkeypatch.setattr(broadcasting, "broadcast_dispatch", lambda ids: batches.append(list(ids)))
    return batches


def start(parent: Case, by, capture, body: str = UPDATE, **kwargs) -> Broadcast:  # type: ignore[no-untyped-def]
    with capture(execute=True):
        return broadcast_start(parent=parent, author=by, body=body, **kwargs)


def deliver(batches: list[list[int]], capture) -> None:  # type: ignore[no-untyped-def]
    """Run each handed-out batch's task, its mail sent after commit."""
    for batch in batches:
        with capture(execute=True):
            tasks.broadcast_deliver(batch)


def updates(case: Case) -> list[CaseEvent]:
    return list(case.events.filter(kind=EventKind.UPDATE))


# --- Success ----------------------------------------------------------------------------------


def test_an_update_lands_once_on_every_open_childs_timeline_and_mails_its_contact(
    parent: Case, children: list[Case], bob, handed_out, django_capture_on_commit_callbacks
) -> None:
    closed = affected(parent, Status.CLOSED)
    elsewhere = affected(case_in(Status.IN_PROGRESS))
    sent = start(parent, bob, django_capture_on_commit_callbacks)
    assert (sent.total, sent.done, sent.finished_at) == (3, 0, None)
    assert sorted(sum(handed_out, [])) == sorted(t.pk for t in sent.targets.all())

    deliver(handed_out, django_capture_on_commit_callbacks)

    for child in children:
        [update] = updates(child)
        assert (update.body, update.actor) == (UPDATE, bob)
        target = BroadcastTarget.objects.get(broadcast=sent, case=child)
        assert (target.state, target.event, target.reason) == (BroadcastState.SENT, update, "")
        [delivery] = Delivery.objects.filter(case=child)
        assert (delivery.event, delivery.recipient) == (update, child.contact.email)
    assert updates(closed) == [] and updates(elsewhere) == []
    received = sorted(m.to[0] for m in mail.outbox)
    assert received == sorted(c.contact.email for c in children)
    sent.refresh_from_db()
    assert (sent.done, sent.total) == (3, 3) and sent.finished_at is not None


@time_machine.travel(NOON, tick=False)
def test_the_parent_shows_its_own_update_and_how_many_cases_it_went_to(
    parent: Case, children: list[Case], bob, handed_out, django_capture_on_commit_callbacks
) -> None:
    sent = start(parent, bob, django_capture_on_commit_callbacks)
    [update] = updates(parent)
    [record] = parent.events.filter(kind=EventKind.INCIDENT)
    assert sent.parent_event == update and update.body == UPDATE
    assert record.to_value == "Update sent to 3 affected cases"
    assert record.data == {"broadcast": sent.pk, "update": update.pk, "total": 3}
    parent.refresh_from_db()
    assert parent.last_customer_update_at == NOON


@time_machine.travel(NOON, tick=False)
def test_each_child_counts_as_updated_for_the_customer(
    parent: Case, children: list[Case], bob, handed_out, django_capture_on_commit_callbacks
) -> None:
    start(parent, bob, django_capture_on_commit_callbacks)
    deliver(handed_out, django_capture_on_commit_callbacks)
    for child in children:
        child.refresh_from_db()
        assert child.last_customer_update_at == NOON
        assert child.first_response_at is not None


def test_progress_counts_each_target_as_it_is_done(
    parent: Case, children: list[Case], bob, handed_out, django_capture_on_commit_callbacks
) -> None:
    sent = start(parent, bob, django_capture_on_commit_callbacks)
    first, *rest = sum(handed_out, [])
    tasks.broadcast_deliver([first])
    sent.refresh_from_db()
    assert (sent.done, sent.total, sent.finished_at) == (1, 3, None)
    tasks.broadcast_deliver(rest)
    sent.refresh_from_db()
    assert (sent.done, sent.total) == (3, 3) and sent.finished_at is not None


def test_a_given_set_of_cases_can_be_updated_instead_of_the_children(
    parent: Case, bob, handed_out, django_capture_on_commit_callbacks
) -> None:
    others = [affected(case_in(Status.NEW)) for _ in range(2)]
    sent = start(
        parent,
        bob,
        django_capture_on_commit_callbacks,
        children=Case.objects.filter(pk__in=[c.pk for c in others]),
    )
    deliver(handed_out, django_capture_on_commit_callbacks)
    assert sent.total == 2
    assert [len(updates(c)) for c in others] == [1, 1]


def test_the_parents_operator_posts_as_herself_where_she_may_and_as_the_system_elsewhere(
    parent: Case, service_desk, other_team, alice, handed_out, django_capture_on_commit_callbacks
) -> None:
    ours = affected(parent, team=service_desk)
    theirs = affected(parent, team=other_team)
    start(parent, alice, django_capture_on_commit_callbacks)
    deliver(handed_out, django_capture_on_commit_callbacks)
    assert updates(ours)[0].actor == alice
    assert updates(theirs)[0].actor is None
    assert len(mail.outbox) == 2


# --- Children that cannot be mailed -----------------------------------------------------------


def test_a_child_closed_meanwhile_gets_the_text_as_a_note_and_no_mail(
    parent: Case, children: list[Case], bob, handed_out, django_capture_on_commit_callbacks
) -> None:
    sent = start(parent, bob, django_capture_on_commit_callbacks)
    gone = children[0]
    Case.objects.filter(pk=gone.pk).update(status=Status.CLOSED)  # resolved and closed since
    deliver(handed_out, django_capture_on_commit_callbacks)

    assert updates(gone) == []
    [note] = gone.events.filter(kind=EventKind.NOTE)
    assert note.body == UPDATE and note.data == {"broadcast": sent.pk}
    assert note.reason.startswith(f"Update of {parent.reference}, not sent to the customer:")
    assert "closed" in note.reason
    target = BroadcastTarget.objects.get(broadcast=sent, case=gone)
    assert (target.state, target.event) == (BroadcastState.SKIPPED, note)
    assert "closed" in target.reason
    assert not Delivery.objects.filter(case=gone).exists()
    assert len(mail.outbox) == 2
    sent.refresh_from_db()
    assert sent.done == 3 and sent.finished_at is not None


def test_a_child_whose_contacts_have_no_address_gets_the_update_and_the_reason(
    parent: Case, bob, handed_out, django_capture_on_commit_callbacks
) -> None:
    child = case_in(Status.IN_PROGRESS, parent=parent)
    child.contact = ContactFactory(customer=child.customer, email="")
    child.save(update_fields=["contact"])
    sent = start(parent, bob, django_capture_on_commit_callbacks)
    deliver(handed_out, django_capture_on_commit_callbacks)
    [update] = updates(child)
    target = BroadcastTarget.objects.get(broadcast=sent)
    assert (target.state, target.event, target.reason) == (
        BroadcastState.SKIPPED,
        update,
        NO_ADDRESS,
    )
    assert mail.outbox == []


# --- Exactly once -----------------------------------------------------------------------------


def test_a_batch_run_twice_posts_and_mails_nothing_the_second_time(
    parent: Case, children: list[Case], bob, handed_out, django_capture_on_commit_callbacks
) -> None:
    sent = start(parent, bob, django_capture_on_commit_callbacks)
    deliver(handed_out, django_capture_on_commit_callbacks)
    deliver(handed_out, django_capture_on_commit_callbacks)
    assert [len(updates(c)) for c in children] == [1, 1, 1]
    assert Delivery.objects.filter(case__in=children).count() == 3
    assert len(mail.outbox) == 3
    sent.refresh_from_db()
    assert sent.done == 3


@pytest.fixture
def broken(monkeypatch, children: list[Case]) -> Case:  # type: ignore[no-untyped-def]
    """The second child, on which posting always raises something unexpected (a bug)."""
    post = broadcasting.cases_add_customer_updates

    def failing(*, updates):  # type: ignore[no-untyped-def]
        if any(u.case.pk == children[1].pk for u in updates):
            raise RuntimeError("template blew up")
        return post(updates=updates)

    monkeypatch.setattr(broadcasting, "cases_add_customer_updates", failing)
    return children[1]


def test_a_target_that_always_fails_is_isolated_and_the_others_go_out(
    parent: Case,
    children: list[Case],
    broken: Case,
    bob,
    handed_out,
    django_capture_on_commit_callbacks,
    caplog,
) -> None:
    sent = start(parent, bob, django_capture_on_commit_callbacks)
    deliver(handed_out, django_capture_on_commit_callbacks)
    fine = [c for c in children if c != broken]
    assert [len(updates(c)) for c in fine] == [1, 1] and updates(broken) == []
    assert sorted(m.to[0] for m in mail.outbox) == sorted(c.contact.email for c in fine)
    target = BroadcastTarget.objects.get(broadcast=sent, case=broken)
    assert target.state == BroadcastState.FAILED and target.event is None
    assert "RuntimeError: template blew up" in target.reason
    assert broken.reference in caplog.text
    sent.refresh_from_db()
    assert sent.done == 3 and sent.finished_at is not None


def test_a_failed_target_is_not_handed_out_again_nor_posted_by_a_rerun(
    parent: Case,
    children: list[Case],
    broken: Case,
    bob,
    handed_out,
    django_capture_on_commit_callbacks,
) -> None:
    start(parent, bob, django_capture_on_commit_callbacks)
    deliver(handed_out, django_capture_on_commit_callbacks)
    result = broadcasting.broadcast_targets_deliver(target_ids=sum(handed_out, []))
    assert (result.sent, result.failed, result.passed) == (0, 0, 3)
    assert broadcasts_redispatch(now=timezone.now() + timedelta(days=1)) == 0


def test_the_parents_panel_lists_the_failed_cases_for_managers(
    parent: Case,
    children: list[Case],
    broken: Case,
    bob,
    alice,
    handed_out,
    django_capture_on_commit_callbacks,
) -> None:
    incident_declare(case=parent, by=bob)
    start(parent, bob, django_capture_on_commit_callbacks)
    deliver(handed_out, django_capture_on_commit_callbacks)
    url = reverse("incidents:panel", args=[parent.reference])
    page = client_for(bob).get(url).content.decode()
    assert 'id="broadcast-failed"' in page and broken.reference in page
    assert "template blew up" in page
    assert 'id="broadcast-failed"' not in client_for(alice).get(url).content.decode()


def test_a_target_that_is_gone_is_passed_over(
    parent: Case, children: list[Case], bob, handed_out, django_capture_on_commit_callbacks
) -> None:
    start(parent, bob, django_capture_on_commit_callbacks)
    result = broadcasting.broadcast_targets_deliver(target_ids=[*sum(handed_out, []), 999_999])
    assert (result.sent, result.skipped, result.passed) == (3, 0, 1)


def test_the_sweep_hands_out_again_only_targets_left_pending_too_long(
    parent: Case,
    children: list[Case],
    bob,
    handed_out,
    django_capture_on_commit_callbacks,
    settings,
) -> None:
    settings.COMMS_BROADCAST_REDISPATCH_SECONDS = 120
    sent = start(parent, bob, django_capture_on_commit_callbacks)
    first, *lost = sum(handed_out, [])
    tasks.broadcast_deliver([first])  # the other task was lost
    handed_out.clear()
    later = timezone.now() + timedelta(seconds=60)
    with django_capture_on_commit_callbacks(execute=True):
        assert broadcasts_redispatch(now=later) == 0
    much_later = timezone.now() + timedelta(seconds=121)
    with django_capture_on_commit_callbacks(execute=True):
        assert broadcasts_redispatch(now=much_later) == 2
    assert sorted(sum(handed_out, [])) == sorted(lost)
    with django_capture_on_commit_callbacks(execute=True):
        assert broadcasts_redispatch(now=much_later + timedelta(seconds=1)) == 0
    deliver(handed_out, django_capture_on_commit_callbacks)
    sent.refresh_from_db()
    assert sent.done == 3
    assert [len(updates(c)) for c in children] == [1, 1, 1]


def test_the_beat_task_hands_out_what_was_lost(
    parent: Case, children: list[Case], bob, handed_out, django_capture_on_commit_callbacks
) -> None:
    start(parent, bob, django_capture_on_commit_callbacks)
    handed_out.clear()
    with time_machine.travel(timezone.now() + timedelta(minutes=10)):
        with django_capture_on_commit_callbacks(execute=True):
            tasks.broadcasts_redispatch()
    assert len(sum(handed_out, [])) == 3


# --- Refusals ---------------------------------------------------------------------------------


def nothing_written(parent: Case) -> bool:
    return not Broadcast.objects.exists() and not parent.events.exists()


def test_an_empty_update_is_refused(parent: Case, children: list[Case], bob, handed_out) -> None:
    with pytest.raises(DomainError) as refused:
        broadcast_start(parent=parent, author=bob, body="  \n ")
    assert refused.value.field == "body"
    assert nothing_written(parent) and handed_out == []


@pytest.mark.parametrize("who", ["erin", "charlie", "nora"])
def test_those_who_do_not_work_the_parent_are_refused(
    parent: Case, children: list[Case], who: str, request, handed_out
) -> None:
    person = request.getfixturevalue(who)
    with pytest.raises(PermissionDenied):
        broadcast_start(parent=parent, author=person, body=UPDATE)
    assert nothing_written(parent) and handed_out == []


def test_a_parent_without_open_children_still_gets_its_own_update(
    parent: Case, bob, handed_out, django_capture_on_commit_callbacks
) -> None:
    closed = affected(parent, Status.CLOSED)
    sent = start(parent, bob, django_capture_on_commit_callbacks)
    assert (sent.total, sent.done) == (0, 0) and sent.finished_at is not None
    assert [u.body for u in updates(parent)] == [UPDATE]
    note = parent.events.get(kind=EventKind.INCIDENT)
    assert "no open affected cases" in note.to_value
    assert updates(closed) == [] and handed_out == [] and not sent.targets.exists()


def test_a_closed_parent_is_refused(parent: Case, children: list[Case], bob, handed_out) -> None:
    Case.objects.filter(pk=parent.pk).update(status=Status.CLOSED)
    with pytest.raises(DomainError, match="closed"):
        broadcast_start(parent=parent, author=bob, body=UPDATE)
    assert nothing_written(parent) and handed_out == []


# --- The admin --------------------------------------------------------------------------------


def test_the_admin_lists_broadcasts_and_their_targets_read_only(
    parent: Case, children: list[Case], bob, handed_out, django_capture_on_commit_callbacks
) -> None:
    start(parent, bob, django_capture_on_commit_callbacks)
    admin = get_user_model().objects.create_superuser("root", "root@example.com", "pw")
    client = client_for(admin)
    listed = client.get(reverse("admin:comms_broadcast_changelist"))
    assert listed.status_code == 200 and parent.reference in listed.content.decode()
    targets = client.get(reverse("admin:comms_broadcasttarget_changelist"))
    assert targets.status_code == 200 and targets.content.decode().count("Pending") >= 3
    assert client.get(reverse("admin:comms_broadcast_add")).status_code == 403
