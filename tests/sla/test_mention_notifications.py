"""The sla app tells each person a note mentions (sla.notifications.mentioned_on_case_mentioned):
a notification in the bell and the same by mail through the outbox, once per note, never for a
change that rolled back. Who counts as mentioned is tested in tests/cases/test_mentions.py."""

from __future__ import annotations

import pytest
from django.core import mail
from django.db import transaction
from django.urls import reverse

from cases.models import Status
from cases.services import case_add_note
from escalation.users import user_language_set
from sla.models import Notification, NotificationKind, OutgoingMail
from sla.notifications import MENTION_EXCERPT
from tests.cases.factories import case_in
from tests.conftest import client_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def case(alice, service_desk):  # type: ignore[no-untyped-def]
    return case_in(Status.IN_PROGRESS, raised_by=alice, team=service_desk, title="Proxy down")


def test_the_mentioned_colleague_is_notified_once_and_mailed_after_commit(
    alice, bob, case, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        case_add_note(case=case, by=bob, body="@alice can you look? @alice, the logs too.")

    [note] = Notification.objects.all()
    assert (note.recipient, note.case, note.kind) == (alice, case, NotificationKind.MENTIONED)
    assert note.subject == f"You were mentioned on {case.reference} Proxy down"
    assert note.body == (
        "Bob mentioned you in an internal note:\n\n@alice can you look? @alice, the logs too."
    )
    [message] = mail.outbox
    assert message.to == ["alice@example.com"]
    assert message.subject == f"[Escalation] You were mentioned on {case.reference} Proxy down"
    assert f"/cases/{case.reference}/" in message.body


def test_an_executive_is_notified_too(erin, bob, case) -> None:
    case_add_note(case=case, by=bob, body="@erin for your information")
    assert list(Notification.objects.values_list("recipient__username", "kind")) == [
        ("erin", NotificationKind.MENTIONED)
    ]


def test_those_who_may_not_see_the_case_and_the_author_are_not_notified(
    bob, charlie, nora, case, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        case_add_note(case=case, by=bob, body="@charlie @nora @bob @ghost")
    assert not Notification.objects.exists() and not OutgoingMail.objects.exists()
    assert mail.outbox == []


def test_a_customer_update_notifies_no_one(alice, bob, case) -> None:
    case_add_note(case=case, by=bob, body="Thanks @alice", customer_facing=True)
    assert not Notification.objects.exists()


def test_a_long_note_is_quoted_in_part(alice, bob, case) -> None:
    body = "@alice " + "x" * 2_000
    case_add_note(case=case, by=bob, body=body)
    quoted = Notification.objects.get().body.split("\n\n", 1)[1]
    assert len(quoted) == MENTION_EXCERPT and body.startswith(quoted[:-1])


def test_a_change_rolled_back_notifies_and_mails_no_one(
    alice, bob, case, django_capture_on_commit_callbacks
) -> None:
    class Refused(Exception):
        pass

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(Refused), transaction.atomic():
            case_add_note(case=case, by=bob, body="@alice look")
            raise Refused
    assert callbacks == []
    assert not Notification.objects.exists() and not OutgoingMail.objects.exists()
    assert mail.outbox == []


def test_the_bell_shows_the_mention_to_the_mentioned_user_only(alice, bob, charlie, case) -> None:
    case_add_note(case=case, by=bob, body="@alice @charlie look")
    page = client_for(alice).get(reverse("cases:detail", args=[case.reference])).content.decode()
    assert 'data-testid="unread-count">1</span>' in page
    listed = client_for(alice).get(reverse("sla:notifications")).content.decode()
    assert f"You were mentioned on {case.reference} Proxy down" in listed
    other = client_for(charlie).get(reverse("sla:notifications")).content.decode()
    assert "You were mentioned" not in other and 'data-testid="unread-count"' not in other


def test_each_person_mentioned_reads_it_in_their_language(
    alice, bob, erin, case, django_capture_on_commit_callbacks
) -> None:
    """One note mentions two people: the one who chose Italian reads Italian, in the bell and
    the mail; the other the site's English."""
    user_language_set(user=alice, language="it")
    with django_capture_on_commit_callbacks(execute=True):
        case_add_note(case=case, by=bob, body="@alice @erin the proxy logs, please.")

    by_reader = {n.recipient: n for n in Notification.objects.all()}
    assert by_reader[alice].subject == f"Sei stato menzionato in {case.reference} Proxy down"
    assert by_reader[alice].body.startswith("Bob ti ha menzionato in una nota interna:")
    assert by_reader[erin].subject == f"You were mentioned on {case.reference} Proxy down"
    mailed = {m.to[0]: m.subject for m in mail.outbox}
    assert (
        mailed["alice@example.com"]
        == f"[Escalation] Sei stato menzionato in {case.reference} Proxy down"
    )
    assert mailed["erin@example.com"].startswith("[Escalation] You were mentioned on")
