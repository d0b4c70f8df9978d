"""Fetching customers' replies from a mailbox over IMAP (stdlib ``imaplib``), as Znuny and
Zammad do, for deployments that receive their own mail.

``imap_fetch``, run by beat every ``COMMS_IMAP_SECONDS`` (``comms.tasks.imap_fetch``):

1. Take the fetch lock (``cache.add``, atomic in Redis): a second fetch while one runs, from
   beat on another worker or a slow run overlapping the next, returns at once.
2. Log in, select the folder and list the unseen messages (``UID SEARCH UNSEEN``), oldest first.
3. In batches: fetch them without marking them read (``BODY.PEEK[]``), hand each to
   ``comms.inbound.inbound_receive`` (which stores and posts it in one transaction, once per
   Message-ID), then flag the batch ``\\Seen``.
4. Stop at ``deadline`` seconds, leaving the rest to the next run.

A crash between steps 3's receiving and flagging leaves messages unseen: the next run fetches
them again and ``inbound_receive`` finds each one's row, so nothing is posted twice. The mailbox
is the app's own: a person reading it in a mail client (marking mail read) hides it from us.
"""

from __future__ import annotations

import imaplib
import logging
import re
import secrets
import ssl
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError

from comms.inbound import inbound_keep_unreadable, inbound_receive
from comms.models import InboundMessage, InboundSource

logger = logging.getLogger(__name__)

LOCK_KEY = "comms:imap-fetch"
FETCH_BATCH = 100
IMAP_TIMEOUT = 30
_UID = re.compile(rb"\bUID (\d+)")


@dataclass(frozen=True)
class Mailbox:
    host: str
    port: int
    tls: bool
    user: str
    password: str
    folder: str

    @classmethod
    def from_url(cls, url: str) -> Mailbox:
        """``imaps://user:password@host:993/INBOX`` (user and password URL-quoted)."""
        parts = urlsplit(url)
        if parts.scheme not in ("imap", "imaps") or not parts.hostname:
            raise ValueError("an IMAP URL is imaps://user:password@host:port/folder")
        tls = parts.scheme == "imaps"
        return cls(
            host=parts.hostname,
            port=parts.port or (993 if tls else 143),
            tls=tls,
            user=unquote(parts.username or ""),
            password=unquote(parts.password or ""),
            folder=unquote(parts.path.lstrip("/")) or "INBOX",
        )


@dataclass
class FetchResult:
    fetched: int = 0
    skipped: bool = False
    remaining: int = 0
    states: dict[str, int] = field(default_factory=dict)


@contextmanager
def imap_session(mailbox: Mailbox) -> Iterator[imaplib.IMAP4]:
    """A logged-in connection with ``mailbox.folder`` selected, logged out afterwards."""
    connection: imaplib.IMAP4
    if mailbox.tls:
        connection = imaplib.IMAP4_SSL(
            mailbox.host,
            mailbox.port,
            ssl_context=ssl.create_default_context(),
            timeout=IMAP_TIMEOUT,
        )
    else:
        connection = imaplib.IMAP4(mailbox.host, mailbox.port, timeout=IMAP_TIMEOUT)
    try:
        connection.login(mailbox.user, mailbox.password)
        status, _ = connection.select(_quoted(mailbox.folder))
        if status != "OK":
            raise imaplib.IMAP4.error(f"cannot select folder {mailbox.folder!r}")
        yield connection
    finally:
        try:
            connection.logout()
        except (imaplib.IMAP4.error, OSError):
            pass


def imap_fetch(*, url: str, deadline: float = 200.0, batch: int = FETCH_BATCH) -> FetchResult:
    """Fetch and receive the unseen messages of the mailbox at ``url`` (see the module
    docstring)."""
    token = secrets.token_hex(8)
    if not cache.add(LOCK_KEY, token, timeout=settings.CELERY_TASK_TIME_LIMIT):
        return FetchResult(skipped=True)
    try:
        return _fetch(Mailbox.from_url(url), deadline=deadline, batch=batch)
    finally:
        if cache.get(LOCK_KEY) == token:
            cache.delete(LOCK_KEY)


def _fetch(mailbox: Mailbox, *, deadline: float, batch: int) -> FetchResult:
    started = time.monotonic()
    result = FetchResult()
    with imap_session(mailbox) as connection:
        status, data = connection.uid("SEARCH", "UNSEEN")
        if status != "OK":
            raise imaplib.IMAP4.error(f"UID SEARCH failed: {data!r}")
        uids = [uid.decode() for uid in (data[0] or b"").split()]
        for start in range(0, len(uids), batch):
            if time.monotonic() - started > deadline:
                result.remaining = len(uids) - start
                break
            chunk = uids[start : start + batch]
            for raw in _fetch_raw(connection, chunk):
                message = _receive(raw)
                result.fetched += 1
                result.states[message.state] = result.states.get(message.state, 0) + 1
            connection.uid("STORE", ",".join(chunk), "+FLAGS.SILENT", r"(\Seen)")
    return result


def _receive(raw: bytes) -> InboundMessage:
    """Receive one message; one that fails to be read is quarantined rather than left to
    block every run after it. The database failing is not the message's fault: it stops the
    run (the task retries)."""
    try:
        return inbound_receive(raw=raw, source=InboundSource.IMAP)
    except DatabaseError:
        raise
    except Exception as problem:  # noqa: BLE001 - kept on the message for a manager
        logger.warning("imap fetch: a message could not be received: %r", problem)
        return inbound_keep_unreadable(raw=raw, source=InboundSource.IMAP, problem=problem)


def _fetch_raw(connection: imaplib.IMAP4, uids: Sequence[str]) -> list[bytes]:
    """The raw messages of ``uids``, in the order the server answers."""
    status, data = connection.uid("FETCH", ",".join(uids), "(UID BODY.PEEK[])")
    if status != "OK":
        raise imaplib.IMAP4.error(f"UID FETCH failed: {data!r}")
    return [
        item[1]
        for item in data
        if isinstance(item, tuple) and _UID.search(item[0]) and isinstance(item[1], bytes)
    ]


def _quoted(folder: str) -> str:
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'
