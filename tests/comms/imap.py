"""A real IMAP server for the inbound mail tests: Debian's dovecot (``make imap`` installs it),
run by the fixture on a free loopback port with a passwd-file login and a maildir in a fresh
temporary folder. Tests put mail in with IMAP APPEND, as a mail server delivering it would.

Run as root (CI), dovecot's mail processes run as its ``dovecot`` user, which then owns the
maildir; run as anyone else, everything runs as that user.
"""

from __future__ import annotations

import imaplib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import require_service
from tests.sla.smtp import free_port

DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"
USER, PASSWORD = "support", "s3cret-imap"

CONFIG = """\
protocols = imap
listen = 127.0.0.1
base_dir = {root}/run
state_dir = {root}/state
instance_name = escalation-test-{port}
log_path = {root}/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
first_valid_uid = 0
default_login_user = {login_user}
default_internal_user = {internal_user}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/passwd
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={root}/mail/%u
}}
mail_location = maildir:~/Maildir
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
"""


@dataclass
class ImapServer:
    port: int
    root: Path

    @property
    def url(self) -> str:
        return f"imap://{USER}:{PASSWORD}@127.0.0.1:{self.port}/INBOX"

    def connect(self) -> imaplib.IMAP4:
        connection = imaplib.IMAP4("127.0.0.1", self.port, timeout=10)
        connection.login(USER, PASSWORD)
        connection.select("INBOX")
        return connection

    def append(self, *raws: bytes) -> None:
        """Deliver messages to the mailbox, unseen."""
        connection = self.connect()
        try:
            for raw in raws:
                status, data = connection.append("INBOX", None, None, raw)
                assert status == "OK", data
        finally:
            connection.logout()

    def unseen(self) -> int:
        connection = self.connect()
        try:
            _, data = connection.uid("SEARCH", "UNSEEN")
            return len((data[0] or b"").split())
        finally:
            connection.logout()


def _users() -> tuple[str, str, int, int]:
    """(login user, internal user, mail uid, mail gid) for whoever runs the tests."""
    if os.getuid() == 0:
        dovecot = pwd.getpwnam("dovecot")
        return "dovenull", "dovecot", dovecot.pw_uid, dovecot.pw_gid
    me = pwd.getpwuid(os.getuid())
    return me.pw_name, me.pw_name, me.pw_uid, me.pw_gid


def _listening(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.settimeout(0.2)
        return probe.connect_ex(("127.0.0.1", port)) == 0


def dovecot_available() -> bool:
    try:
        _users()  # dovecot's system users come with Debian's package
    except KeyError:
        return False
    return os.path.exists(DOVECOT)


@contextmanager
def dovecot() -> Iterator[ImapServer]:
    """A running dovecot with one empty mailbox (``support``), stopped and removed afterwards."""
    root = Path(tempfile.mkdtemp(prefix="escalation-imap-"))
    login_user, internal_user, uid, gid = _users()
    port = free_port()
    for sub in ("run", "state", "mail"):
        (root / sub).mkdir()
    root.chmod(0o755)
    os.chown(root / "mail", uid, gid)
    (root / "passwd").write_text(f"{USER}:{{PLAIN}}{PASSWORD}::::::\n")
    config = root / "dovecot.conf"
    config.write_text(
        CONFIG.format(
            root=root,
            port=port,
            login_user=login_user,
            internal_user=internal_user,
            uid=uid,
            gid=gid,
        )
    )
    process = subprocess.Popen([DOVECOT, "-F", "-c", str(config)], stderr=subprocess.PIPE)
    try:
        # Bounded wait for the listener: dovecot starts in well under a second.
        for _ in range(100):
            if _listening(port) or process.poll() is not None:
                break
            time.sleep(0.05)
        if not _listening(port):
            log = (root / "dovecot.log").read_text() if (root / "dovecot.log").exists() else ""
            raise RuntimeError(f"dovecot did not start: {log[-2000:]}")
        yield ImapServer(port=port, root=root)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(name="imap_server")
def imap_server_fixture() -> Iterator[ImapServer]:
    """A running dovecot with one empty mailbox, for one test."""
    require_service(dovecot_available(), "dovecot (make imap)")
    with dovecot() as server:
        yield server
