"""Inbound mail: 1,000 queued replies fetched over IMAP and posted on their cases, one worker.

A real IMAP server (Debian's dovecot, ``make imap``; started as the tests start it, from
tests/comms/imap.py) gets ``--inbound-replies`` customer replies by IMAP APPEND, each to the
signed reply address of one of 200 open cases, from a contact of the case's customer, one in
ten with a small attachment. Then ``comms.imap.imap_fetch`` runs in this process (what the
beat task calls, one worker): the figure is the seconds until every reply is fetched, stored
and posted; a second fetch must find nothing to post (idempotency).
"""

from __future__ import annotations

import argparse
import time
from email.message import EmailMessage
from email.utils import make_msgid

from bench.common import Row

CASES = 200
TARGET_SECONDS = 30.0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--inbound-replies", type=int, default=1_000, help="replies queued in the mailbox"
    )


def run(args: argparse.Namespace) -> list[Row]:
    from tests.comms.imap import dovecot, dovecot_available

    if not dovecot_available():
        raise SystemExit("comms_inbound needs dovecot: run `make imap` first")
    with dovecot() as server:
        return measure(server, count=args.inbound_replies)


def _replies(count: int) -> list[bytes]:
    from cases.models import Case, Contact, Status
    from comms.threading import reply_address_for

    cases = list(
        Case.objects.filter(status__in=Status.OPEN)
        .select_related("customer")
        .order_by("-id")[:CASES]
    )
    senders = {}
    for case in cases:
        if case.customer_id not in senders:
            contact, _ = Contact.objects.get_or_create(
                customer=case.customer,
                email=f"bench-replies-{case.customer_id}@customer.example",
                defaults={"name": "Bench Replier"},
            )
            senders[case.customer_id] = contact.email
    raws = []
    for n in range(count):
        case = cases[n % len(cases)]
        message = EmailMessage()
        message["From"] = senders[case.customer_id]
        message["To"] = reply_address_for(case)
        message["Subject"] = f"Re: [{case.reference}] {case.title}"
        message["Message-ID"] = make_msgid(domain="customer.example")
        message.set_content(
            f"Reply {n}: still seeing the problem after the fix.\n\n"
            "On Mon, 30 Nov 2026, Support wrote:\n> We deployed a fix.\n"
        )
        if n % 10 == 0:
            message.add_attachment(
                b"502 at 10:04\n" * 20, maintype="text", subtype="plain", filename="trace.log"
            )
        raws.append(message.as_bytes())
    return raws


def measure(server, *, count: int) -> list[Row]:  # type: ignore[no-untyped-def]
    from django.core.cache import cache

    from cases.models import CaseEvent, EventKind
    from comms.imap import LOCK_KEY, imap_fetch

    raws = _replies(count)
    connection = server.connect()
    try:
        for raw in raws:
            connection.append("INBOX", None, None, raw)
    finally:
        connection.logout()
    print(f"  {count:,} replies queued in the mailbox", flush=True)
    before = CaseEvent.objects.filter(kind=EventKind.CUSTOMER_MESSAGE).count()
    cache.delete(LOCK_KEY)
    started = time.monotonic()
    result = imap_fetch(url=server.url, deadline=600)
    seconds = time.monotonic() - started
    posted = CaseEvent.objects.filter(kind=EventKind.CUSTOMER_MESSAGE).count() - before
    # Everything unseen again, as after a crash before the \Seen flags: nothing posts twice.
    connection = server.connect()
    try:
        connection.uid("STORE", "1:*", "-FLAGS.SILENT", r"(\Seen)")
    finally:
        connection.logout()
    again_started = time.monotonic()
    imap_fetch(url=server.url, deadline=600)
    again = time.monotonic() - again_started
    twice = CaseEvent.objects.filter(kind=EventKind.CUSTOMER_MESSAGE).count() - before - posted
    print(f"  fetched {result.fetched:,}: {result.states}; posted {posted:,}", flush=True)
    return [
        Row(
            f"fetch and post {count:,} queued replies (one worker)",
            seconds,
            "s",
            target=TARGET_SECONDS,
            note=f"{posted:,} posted",
        ),
        Row("... per reply", seconds / max(count, 1) * 1000, "ms"),
        Row(
            "refetch of the same replies (all found, none posted)",
            again,
            "s",
            note=f"{twice} posted",
        ),
        Row("replies posted twice", float(twice), "", target=0.0),
    ]
