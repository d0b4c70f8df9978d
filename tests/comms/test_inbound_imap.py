"""Replies fetched from a real IMAP server (dovecot, tests/comms/imap.py) by the beat task."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from cases.models import Case, EventKind, Status
from comms import tasks
from comms.imap import LOCK_KEY, Mailbox, imap_fetch
from comms.models import InboundMessage, InboundState
from comms.threading import reply_address_for
from tests.comms.imap import ImapServer, imap_server_fixture  # noqa: F401 - fixture
from tests.comms.mails import bounce_mail, customer_mail
from tests.factories import CaseFactory, ContactFactory

DANA = "dana@customer.example"


@pytest.fixture
def case(db: None) -> Case:
    contact = ContactFactory(name="Dana Customer", email=DANA)
    return CaseFactory(customer=contact.customer, contact=contact, status=Status.WAITING)


@pytest.fixture
def mailbox(imap_server: ImapServer, settings) -> ImapServer:  # type: ignore[no-untyped-def]
    settings.COMMS_IMAP_URL = imap_server.url
    cache.delete(LOCK_KEY)
    return imap_server


def test_a_reply_in_the_mailbox_is_fetched_once_with_its_attachment(
    case: Case, mailbox: ImapServer
) -> None:
    mailbox.append(
        customer_mail(
            to=reply_address_for(case),
            body="The 502s are back, log attached.\n",
            attachments=[("trace.log", "text/plain", b"502 at 10:04\n")],
        )
    )
    tasks.imap_fetch()
    tasks.imap_fetch()
    [event] = case.events.filter(kind=EventKind.CUSTOMER_MESSAGE)
    assert event.body == "The 502s are back, log attached."
    assert [a["name"] for a in event.data["attachments"]] == ["trace.log"]
    case.refresh_from_db()
    assert case.status == Status.IN_PROGRESS
    assert mailbox.unseen() == 0


def test_a_crash_before_flagging_seen_posts_nothing_twice(case: Case, mailbox: ImapServer) -> None:
    raw = customer_mail(to=reply_address_for(case))
    mailbox.append(raw)
    imap_fetch(url=mailbox.url)
    # The same message still unseen, as if the worker died before its STORE \Seen.
    mailbox.append(raw)
    result = imap_fetch(url=mailbox.url)
    assert result.fetched == 1
    assert case.events.filter(kind=EventKind.CUSTOMER_MESSAGE).count() == 1
    assert InboundMessage.objects.count() == 1


def test_noise_and_strangers_in_the_mailbox_are_sorted_not_posted(
    case: Case,
    mailbox: ImapServer,
    settings,  # type: ignore[no-untyped-def]
) -> None:
    to = reply_address_for(case)
    mailbox.append(
        customer_mail(to=to, headers={"Auto-Submitted": "auto-replied"}, subject="Out of office"),
        bounce_mail(to=to, original=customer_mail(to="gone@customer.example")),
        customer_mail(to=to, sender=settings.COMMS_REPLY_ADDRESS),
        customer_mail(to="support@example.com", sender="stranger@else.example"),
    )
    result = imap_fetch(url=mailbox.url)
    assert result.states == {
        InboundState.AUTO_REPLY: 1,
        InboundState.BOUNCE: 1,
        InboundState.OWN: 1,
        InboundState.QUARANTINED: 1,
    }
    assert not case.events.filter(kind=EventKind.CUSTOMER_MESSAGE).exists()


def test_a_second_fetch_while_one_runs_returns_at_once(case: Case, mailbox: ImapServer) -> None:
    mailbox.append(customer_mail(to=reply_address_for(case)))
    cache.add(LOCK_KEY, "another worker", timeout=60)
    try:
        assert imap_fetch(url=mailbox.url).skipped
        assert mailbox.unseen() == 1
    finally:
        cache.delete(LOCK_KEY)


def test_the_task_does_nothing_without_a_mailbox(settings) -> None:  # type: ignore[no-untyped-def]
    settings.COMMS_IMAP_URL = ""
    tasks.imap_fetch()


def test_mailbox_urls_are_read_with_quoted_credentials() -> None:
    box = Mailbox.from_url("imaps://support%40example.com:p%3Ass@mail.example.com/Replies")
    assert (box.host, box.port, box.tls) == ("mail.example.com", 993, True)
    assert (box.user, box.password, box.folder) == ("support@example.com", "p:ss", "Replies")
    assert Mailbox.from_url("imap://u:p@h").port == 143


def test_a_message_that_cannot_be_read_is_quarantined_and_blocks_nothing(
    case: Case, mailbox: ImapServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    from comms import imap

    real = imap.inbound_receive

    def failing_on_the_first(*, raw: bytes, source: str) -> InboundMessage:
        if b"Subject: Broken" in raw:
            raise ValueError("no such charset")
        return real(raw=raw, source=source)  # type: ignore[arg-type]

    monkeypatch.setattr(imap, "inbound_receive", failing_on_the_first)
    to = reply_address_for(case)
    mailbox.append(customer_mail(to=to, subject="Broken"), customer_mail(to=to, subject="Fine"))
    result = imap_fetch(url=mailbox.url)
    assert result.states == {InboundState.QUARANTINED: 1, InboundState.POSTED: 1}
    broken = InboundMessage.objects.get(state=InboundState.QUARANTINED)
    assert "Could not be read: ValueError" in broken.reason
    assert mailbox.unseen() == 0
