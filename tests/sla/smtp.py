"""A real SMTP server for the mail tests (aiosmtpd on a free loopback port), kept in memory.

The port is chosen when the server is made, so a test can point the app (or a worker) at it while
it is down, then start it: ``stop()`` and ``start()`` again model an outage.
"""

from __future__ import annotations

import asyncio
import socket
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Received:
    to: str
    subject: str
    body: str
    # The whole message as parsed (headers, alternatives), for tests that look further.
    message: EmailMessage | None = None


@dataclass
class SmtpServer:
    port: int = field(default_factory=free_port)
    received: list[Received] = field(default_factory=list)
    # Addresses the server refuses, with its answer ("550 No such user").
    refuse: dict[str, str] = field(default_factory=dict)
    # Seconds the server takes to accept each message (a slow mail server).
    delay: float = 0.0
    _controller: Controller | None = None

    def start(self) -> None:
        if self._controller is None:
            self._controller = Controller(_Handler(self), hostname="127.0.0.1", port=self.port)
            self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def counts(self) -> Counter[tuple[str, str]]:
        """How many times each (recipient, subject) arrived."""
        return Counter((message.to, message.subject) for message in self.received)

    def settings(self) -> dict[str, str]:
        """The environment that points the app's SMTP backend at this server."""
        return {"EMAIL_HOST": "127.0.0.1", "EMAIL_PORT": str(self.port), "EMAIL_USE_TLS": "false"}


class _Handler:
    def __init__(self, server: SmtpServer) -> None:
        self.server = server

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: Any
    ) -> str:
        if address in self.server.refuse:
            return self.server.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.server.delay:
            await asyncio.sleep(self.server.delay)
        message = message_from_bytes(envelope.content, policy=policy.default)
        body = message.get_body(("plain",))
        text = body.get_content() if body is not None else ""
        for to in envelope.rcpt_tos:
            self.server.received.append(
                Received(to=to, subject=str(message["subject"]), body=text, message=message)
            )
        return "250 Message accepted"


@pytest.fixture(name="smtp_server")
def smtp_server_fixture(settings) -> Iterator[SmtpServer]:  # type: ignore[no-untyped-def]
    """A running SMTP server, and Django's SMTP backend pointed at it (stop it for an outage)."""
    server = SmtpServer()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", server.port
    settings.EMAIL_USE_TLS, settings.EMAIL_HOST_USER, settings.EMAIL_HOST_PASSWORD = False, "", ""
    settings.EMAIL_TIMEOUT = 5
    server.start()
    try:
        yield server
    finally:
        server.stop()
