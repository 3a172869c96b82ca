"""The team's mailbox over IMAP: read new mail by UID, mark it processed, quarantine what cannot
be read, file a copy of each reply and look replies up by Message-ID.

IMAPClient is blocking (and mature: UIDs, MOVE with a COPY+EXPUNGE fallback, literal handling);
the connector calls this module through ``asyncio.to_thread``, one call at a time per session.
Connection failures surface as ``ImapConnectionLost`` so the caller can keep what it already
read; a server's "NO"/"BAD" answers as ``ImapRefused``.
"""

from __future__ import annotations

import imaplib
import logging
import socket
import ssl
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientAbortError, IMAPClientError, LoginError

from .config import EmailConfig

log = logging.getLogger(__name__)

CONNECTION_ERRORS: tuple[type[BaseException], ...] = (
    OSError,  # socket.timeout, ConnectionResetError, ssl.SSLError are OSErrors
    IMAPClientAbortError,
    imaplib.IMAP4.abort,
    EOFError,
)


class ImapConnectionLost(Exception):
    """The connection failed or dropped: what was read before it still counts."""


class ImapRefused(Exception):
    """The server answered NO or BAD (a login refused, a folder it will not create)."""


class ImapLoginRefused(ImapRefused):
    pass


@dataclass(frozen=True)
class Fetched:
    uid: int
    raw: bytes
    received: datetime | None  # INTERNALDATE: when the server got it


@dataclass(frozen=True)
class Selected:
    uidvalidity: int
    keywords: bool  # the mailbox keeps custom keywords (PERMANENTFLAGS has \*)


class ImapSession:
    """One logged-in connection. Create with ``open``; ``close`` it when done."""

    def __init__(self, config: EmailConfig, client: IMAPClient) -> None:
        self.config = config
        self.client = client
        self.selected: Selected | None = None

    @classmethod
    def open(cls, config: EmailConfig) -> ImapSession:
        try:
            client = IMAPClient(
                config.imap_host,
                port=config.imap_port,
                ssl=config.imap_ssl,
                ssl_context=config.tls_context() if config.imap_ssl else None,
                timeout=config.timeout_seconds,
            )
        except CONNECTION_ERRORS as error:
            raise ImapConnectionLost(_describe(error)) from None
        try:
            if not config.imap_ssl and b"STARTTLS" in client.capabilities():
                client.starttls(config.tls_context())
            client.login(config.login_user, config.imap_secret())
        except LoginError:
            _quietly_close(client)
            raise ImapLoginRefused("the server refused the user name or password") from None
        except CONNECTION_ERRORS as error:
            _quietly_close(client)
            raise ImapConnectionLost(_describe(error)) from None
        except IMAPClientError as error:
            _quietly_close(client)
            raise ImapRefused(str(error)) from None
        return cls(config, client)

    def close(self) -> None:
        _quietly_close(self.client)

    # --- reading ------------------------------------------------------------------------------

    def select(self, folder: str) -> Selected:
        with _translated():
            answer = self.client.select_folder(folder)
        flags = answer.get(b"PERMANENTFLAGS", ())
        self.selected = Selected(
            uidvalidity=int(answer[b"UIDVALIDITY"]), keywords=b"\\*" in tuple(flags)
        )
        return self.selected

    def unprocessed_after(self, last_uid: int) -> list[int]:
        """UIDs above ``last_uid`` not marked processed, oldest first."""
        criteria: list[str | bytes] = ["UID", f"{last_uid + 1}:*"]
        if self._selected().keywords:
            criteria += ["NOT", "KEYWORD", self.config.processed_keyword]
        with _translated():
            found = self.client.search(criteria)
        # "n:*" always includes the highest UID, even one below n.
        return sorted(int(uid) for uid in found if int(uid) > last_uid)

    def fetch(self, uids: Sequence[int]) -> list[Fetched]:
        """The raw mail of ``uids`` (BODY.PEEK: nobody's unread mail becomes read)."""
        with _translated():
            answer = self.client.fetch(list(uids), ["BODY.PEEK[]", "INTERNALDATE"])
        fetched = []
        for uid, data in answer.items():
            raw = data.get(b"BODY[]")
            if raw is None:
                continue  # expunged meanwhile
            moment = data.get(b"INTERNALDATE")
            if isinstance(moment, datetime) and moment.tzinfo is None:
                moment = moment.replace(tzinfo=UTC)
            fetched.append(Fetched(uid=int(uid), raw=bytes(raw), received=moment))
        return sorted(fetched, key=lambda item: item.uid)

    def wait_for_new_mail(self, timeout: float) -> bool:
        """IMAP IDLE on the selected mailbox until the server reports new mail (True) or
        ``timeout`` seconds pass (False). The connection does nothing else meanwhile."""
        with _translated():
            try:
                self.client.idle()
            except IMAPClientAbortError:
                raise
            except IMAPClientError:
                # An update (new mail) came before the server's "+ idling": imapclient calls
                # that unexpected. Saying "maybe new mail" costs one pull; missing it, a wait.
                return True
            deadline = time.monotonic() + timeout
            answers: list[Any] = []
            try:
                # The server may speak first about something else (RECENT, a keep-alive): keep
                # listening until new mail is announced or the time is up.
                while not _announces_mail(answers) and (left := deadline - time.monotonic()) > 0:
                    answers += self.client.idle_check(timeout=left)
            finally:
                _, at_end = self.client.idle_done()
        return _announces_mail(answers + list(at_end))

    def supports_idle(self) -> bool:
        with _translated():
            return bool(self.client.has_capability("IDLE"))

    # --- marking ------------------------------------------------------------------------------

    def mark_processed_up_to(self, last_uid: int) -> int:
        """Flag, or move to ``processed_folder``, what the desk has stored (UIDs up to the
        cursor it gave back); returns how many."""
        if last_uid <= 0:
            return 0
        criteria: list[str | bytes] = ["UID", f"1:{last_uid}"]
        if self._selected().keywords:
            criteria += ["NOT", "KEYWORD", self.config.processed_keyword]
        with _translated():
            done = [int(uid) for uid in self.client.search(criteria) if int(uid) <= last_uid]
        if not done:
            return 0
        if self.config.processed_folder:
            self.move(done, self.config.processed_folder)
        else:
            with _translated():
                self.client.add_flags(done, [self.processed_flag()], silent=True)
        return len(done)

    def processed_flag(self) -> bytes:
        # A server without custom keywords: \Seen is the only mark left that says "handled".
        return self.config.processed_keyword.encode() if self._selected().keywords else b"\\Seen"

    def move(self, uids: Iterable[int], folder: str) -> None:
        self.ensure_folder(folder)
        with _translated():
            if self.client.has_capability("MOVE"):
                self.client.move(list(uids), folder)
            else:
                self.client.copy(list(uids), folder)
                self.client.delete_messages(list(uids))
                if self.client.has_capability("UIDPLUS"):
                    self.client.uid_expunge(list(uids))
                else:
                    self.client.expunge()

    def ensure_folder(self, folder: str) -> None:
        with _translated():
            if not self.client.folder_exists(folder):
                try:
                    self.client.create_folder(folder)
                except IMAPClientError:
                    if not self.client.folder_exists(folder):  # another desk created it
                        raise

    # --- the Sent folder ------------------------------------------------------------------------

    def append_sent(self, raw: bytes) -> None:
        folder = self.config.sent_folder
        self.ensure_folder(folder)
        with _translated():
            self.client.append(folder, raw, flags=[b"\\Seen"], msg_time=datetime.now(UTC))

    def find_in(self, folder: str, message_id: str) -> bool:
        """Whether ``folder`` holds a message with this Message-ID header."""
        with _translated():
            if not self.client.folder_exists(folder):
                return False
            self.client.select_folder(folder, readonly=True)
            found = self.client.search(["HEADER", "Message-ID", message_id])
        self.selected = None  # the mailbox is no longer the selected folder
        return bool(found)

    def _selected(self) -> Selected:
        if self.selected is None:
            raise ImapRefused("no mailbox selected")
        return self.selected


@contextmanager
def _translated() -> Iterator[None]:
    """Connection errors become ``ImapConnectionLost``, NO/BAD answers ``ImapRefused``."""
    try:
        yield
    except CONNECTION_ERRORS as error:  # before IMAPClientError: an abort is one too
        raise ImapConnectionLost(_describe(error)) from None
    except IMAPClientError as error:
        raise ImapRefused(str(error)) from None


def _describe(error: BaseException) -> str:
    if isinstance(error, ssl.SSLCertVerificationError):
        return f"the server's certificate was not accepted ({error.verify_message})"
    if isinstance(error, socket.timeout | TimeoutError):
        return "no answer in time"
    if isinstance(error, socket.gaierror):
        return "the host name does not resolve"
    if isinstance(error, ConnectionRefusedError):
        return "the connection was refused (is the port right?)"
    return f"{type(error).__name__}: {error}" if str(error) else type(error).__name__


def _quietly_close(client: IMAPClient) -> None:
    try:
        client.logout()
    except Exception:  # closing a connection that may be gone already
        try:
            client.shutdown()
        except Exception:
            log.debug("IMAP connection already closed")


def _announces_mail(answers: list[Any]) -> bool:
    """Whether IDLE's untagged answers include an EXISTS (a message landed)."""
    return any(
        isinstance(answer, tuple) and len(answer) > 1 and answer[1] == b"EXISTS"
        for answer in answers
    )
