"""Real mail servers for tests of mail channels: a Dovecot IMAP account and an aiosmtpd SMTP
server (STARTTLS with a throwaway CA, AUTH, refusals on demand).

Use the fixtures from a ``conftest.py``::

    from deskpilot.testing.mail import imap_account, mailbox, smtp_server  # noqa: F401

* ``imap_account`` (session): ``DESKPILOT_TEST_IMAP_URL`` when set (``.ci/run`` exports it),
  else a Dovecot started for the session when the ``dovecot`` binary is installed; otherwise
  the test is skipped, saying why.
* ``mailbox``: a ``TestMailbox`` on that account with folder names of its own (``inbox``,
  ``processed``, ``quarantine``, ``sent``), so tests never see each other's mail.
* ``smtp_server``: a started ``SmtpServer`` on a free loopback port, stopped after the test.
"""

from __future__ import annotations

import itertools
import logging
import os
import ssl
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest

from deskpilot.testing.dovecot import IMAP_URL_ENV, ImapAccount, dovecot_binary, free_port
from deskpilot.testing.dovecot import start as start_dovecot
from deskpilot.testing.dovecot import stop as stop_dovecot

# aiosmtpd itself sets the deprecated Session.login_data on every AUTH and logs a warning.
logging.getLogger("mail.log").addFilter(
    lambda record: "login_data is deprecated" not in record.getMessage()
)
# Read once at import: tests clear DESKPILOT_* variables from their environment.
EXPORTED_IMAP_URL = os.environ.get(IMAP_URL_ENV, "")
_folders = itertools.count(1)


@pytest.fixture(scope="session")
def imap_account() -> Iterator[ImapAccount]:
    if EXPORTED_IMAP_URL:
        yield ImapAccount.from_url(EXPORTED_IMAP_URL)
        return
    if dovecot_binary() is None:
        pytest.skip(
            f"no IMAP server: set {IMAP_URL_ENV} or install Dovecot "
            "(Debian: apt-get install dovecot-imapd) and the tests start one"
        )
    folder = Path(tempfile.mkdtemp(prefix="deskpilot-dovecot-"))
    try:
        account = start_dovecot(folder)
    except Exception as error:  # say why and skip, rather than fail every test
        stop_dovecot(folder)
        pytest.skip(f"Dovecot is installed but did not start: {error}")
    try:
        yield account
    finally:
        stop_dovecot(folder)


class TestMailbox:
    """An IMAP account seen through folders of this test's own; each call opens a connection
    (tests look at the server as another client would)."""

    __test__ = False  # not a test class, whatever its name

    def __init__(self, account: ImapAccount, prefix: str) -> None:
        self.account = account
        self.inbox = f"{prefix}-inbox"
        self.processed = f"{prefix}-processed"
        self.quarantine = f"{prefix}-quarantine"
        self.sent = f"{prefix}-sent"
        with self.client() as client:
            client.create_folder(self.inbox)

    def client(self) -> Any:
        from imapclient import IMAPClient  # the email connector's dependency, not the kit's

        client = IMAPClient(self.account.host, port=self.account.port, ssl=False, timeout=10)
        client.login(self.account.user, self.account.password)
        return client

    def append(self, mail: bytes | EmailMessage, folder: str | None = None) -> int:
        """Deliver ``mail`` into ``folder`` (the inbox); returns its UID."""
        raw = mail if isinstance(mail, bytes) else mail.as_bytes(policy=policy.SMTP)
        with self.client() as client:
            answer = client.append(folder or self.inbox, raw)
        # APPENDUID (RFC 4315): "[APPENDUID <uidvalidity> <uid>] ..."
        text = answer.decode() if isinstance(answer, bytes) else str(answer)
        return int(text.split("APPENDUID", 1)[1].split()[1].rstrip("]"))

    def uids(self, folder: str | None = None) -> list[int]:
        with self.client() as client:
            if not client.folder_exists(folder or self.inbox):
                return []
            client.select_folder(folder or self.inbox, readonly=True)
            return sorted(int(uid) for uid in client.search(["ALL"]))

    def flags(self, folder: str | None = None) -> dict[int, set[str]]:
        with self.client() as client:
            client.select_folder(folder or self.inbox, readonly=True)
            answer = client.get_flags(client.search(["ALL"]))
        return {int(uid): {f.decode() for f in flags} for uid, flags in answer.items()}

    def messages(self, folder: str | None = None) -> list[EmailMessage]:
        with self.client() as client:
            if not client.folder_exists(folder or self.inbox):
                return []
            client.select_folder(folder or self.inbox, readonly=True)
            fetched = client.fetch(client.search(["ALL"]), ["BODY.PEEK[]"])
        return [_parse(fetched[uid][b"BODY[]"]) for uid in sorted(fetched)]

    def recreate_inbox(self) -> None:
        """Delete and create the inbox again: the server gives it a new UIDVALIDITY."""
        with self.client() as client:
            client.delete_folder(self.inbox)
            client.create_folder(self.inbox)


@pytest.fixture
def mailbox(imap_account: ImapAccount) -> TestMailbox:
    return TestMailbox(imap_account, f"t{os.getpid()}-{next(_folders)}-{uuid.uuid4().hex[:6]}")


def _parse(raw: bytes) -> EmailMessage:
    parsed = message_from_bytes(raw, policy=policy.default)
    assert isinstance(parsed, EmailMessage)
    return parsed


# --- SMTP -----------------------------------------------------------------------------------------


@dataclass
class Received:
    """One message the SMTP server accepted."""

    sender: str
    recipients: list[str]
    data: bytes
    login: str = ""  # the user that authenticated, "" without AUTH

    @property
    def message(self) -> EmailMessage:
        return _parse(self.data)


@dataclass
class _Handler:
    received: list[Received] = field(default_factory=list)
    refuse_data: list[str] = field(default_factory=list)  # replies for the next DATA commands
    refused_recipients: dict[str, str] = field(default_factory=dict)  # address -> reply
    drop_after_data: int = 0  # close the connection instead of answering the next N DATAs

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        refusal = self.refused_recipients.get(address.lower())
        if refusal:
            return refusal
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.drop_after_data:
            # Accept the mail, then lose the connection before saying so: the outcome the
            # client cannot know.
            self.drop_after_data -= 1
            self.received.append(self._record(session, envelope))
            server.transport.close()
            return "250 OK"
        if self.refuse_data:
            return self.refuse_data.pop(0)
        self.received.append(self._record(session, envelope))
        return "250 OK: queued"

    def _record(self, session: Any, envelope: Any) -> Received:
        login = session.auth_data
        user = login.decode() if isinstance(login, bytes) else str(login or "")
        return Received(
            sender=str(envelope.mail_from),
            recipients=list(envelope.rcpt_tos),
            data=bytes(envelope.original_content or envelope.content),
            login=user,
        )


class SmtpServer:
    """aiosmtpd on 127.0.0.1 in its own thread: STARTTLS (or implicit TLS) with a certificate
    from a throwaway CA (``ca_file`` is the CA to trust), AUTH PLAIN/LOGIN for ``user`` and
    ``password`` (required once TLS is on), and refusals on demand (``refuse_next_data``,
    ``refuse_recipient``)."""

    def __init__(self, security: str = "starttls", user: str = "desk", password: str = "") -> None:
        import trustme
        from aiosmtpd.controller import Controller
        from aiosmtpd.smtp import AuthResult, LoginPassword

        self.user = user
        self.password = password or uuid.uuid4().hex
        self.security = security
        self._folder = Path(tempfile.mkdtemp(prefix="deskpilot-smtp-"))
        authority = trustme.CA()
        certificate = authority.issue_cert("127.0.0.1", "localhost")
        self.ca_file = str(self._folder / "ca.pem")
        authority.cert_pem.write_to_path(self.ca_file)
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        certificate.configure_cert(context)
        self.handler = _Handler()
        self.port = free_port()

        def authenticate(
            server: Any, session: Any, envelope: Any, mechanism: str, data: Any
        ) -> Any:
            good = (
                isinstance(data, LoginPassword)
                and data.login.decode() == self.user
                and data.password.decode() == self.password
            )
            return AuthResult(success=good, handled=False, auth_data=data.login if good else None)

        options: dict[str, Any] = {"authenticator": authenticate, "auth_require_tls": True}
        if security == "starttls":
            options |= {"tls_context": context, "require_starttls": True, "auth_required": True}
        elif security == "ssl":
            # aiosmtpd counts only STARTTLS as TLS for AUTH; this whole connection is TLS.
            options |= {"ssl_context": context, "auth_required": True, "auth_require_tls": False}
        else:
            options |= {"auth_require_tls": False, "auth_required": False}
        self._controller = Controller(self.handler, hostname="127.0.0.1", port=self.port, **options)

    def start(self) -> SmtpServer:
        if self.security == "ssl":
            # The controller's readiness probe would speak plain SMTP to a TLS port.
            self._controller.ready_timeout = 5
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()

    @property
    def received(self) -> list[Received]:
        return self.handler.received

    def refuse_next_data(self, reply: str = "451 4.3.0 try again later", times: int = 1) -> None:
        self.handler.refuse_data.extend([reply] * times)

    def refuse_recipient(self, address: str, reply: str = "550 5.1.1 no such user") -> None:
        self.handler.refused_recipients[address.lower()] = reply

    def drop_after_next_data(self) -> None:
        self.handler.drop_after_data += 1


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    server = SmtpServer().start()
    try:
        yield server
    finally:
        server.stop()
