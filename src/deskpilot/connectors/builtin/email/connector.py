"""The ``email`` connector: a team's mailbox as a ticket channel (IMAP in, SMTP out).

``pull`` reads the mail that arrived after the cursor (UIDVALIDITY + last UID), in UID order, a
batch at a time; when the connection drops part-way it returns what it read with the cursor
after it, so the next pull goes on from there. Mail is marked processed (a keyword, or moved to
``processed_folder``) only on the next pull, for UIDs up to the cursor the desk gives back: the
desk persists that cursor after storing the messages, so a crash in between never leaves a
message marked but not stored. Machines' mail and the team's own are skipped (and marked with
the rest); mail that cannot be parsed is moved to ``quarantine_folder`` at once.

``deliver`` sends a reply by SMTP with its fixed Message-ID, then files a copy in the Sent
folder; ``find_delivered`` looks there for that Message-ID after an attempt whose outcome was
unknown.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable
from datetime import datetime
from typing import ClassVar, TypeVar

from deskpilot.connectors.base import Connector, ConnectorConfig, ConnectorContext
from deskpilot.connectors.capabilities import TicketSource
from deskpilot.connectors.errors import (
    ConnectorAuthError,
    ConnectorError,
    ConnectorUnavailableError,
    DeliveryError,
)
from deskpilot.connectors.models import Delivered, InboundMessage, OutboundReply, Pulled
from deskpilot.models import Ticket
from deskpilot.terminal_text import visible

from .._common import hint
from .compose import compose
from .config import EmailConfig
from .cursor import MailboxCursor
from .ids import bracketed
from .imap import ImapConnectionLost, ImapLoginRefused, ImapRefused, ImapSession
from .mime import read_mail
from .smtp import close, open_smtp, send

log = logging.getLogger(__name__)
T = TypeVar("T")


class EmailConnector(Connector[EmailConfig], TicketSource):
    config_model: ClassVar[type[ConnectorConfig]] = EmailConfig
    title: ClassVar[str] = "Email: a team mailbox over IMAP (in) and SMTP (out)"

    def __init__(self, config: EmailConfig, context: ConnectorContext) -> None:
        super().__init__(config, context)
        self._session: ImapSession | None = None
        # One IMAP conversation at a time: the session's selected folder is shared state.
        self._lock = threading.Lock()

    # --- checking -----------------------------------------------------------------------------

    async def check(self) -> str:
        config = self.config
        selected = await self._imap(lambda session: session.select(config.mailbox))
        client = await open_smtp(config, self._smtp_hint())
        await close(client)
        mode = f"moved to '{config.processed_folder}'" if config.processed_folder else "flagged"
        return (
            f"IMAP {config.imap_host}:{config.imap_port} accepts {config.login_user} "
            f"(mailbox '{config.mailbox}', UIDVALIDITY {selected.uidvalidity}, processed mail "
            f"{mode}); SMTP {config.smtp_host}:{config.smtp_port} ({config.smtp_security}) "
            f"accepts {config.smtp_login_user}"
        )

    # --- inbound ------------------------------------------------------------------------------

    async def pull_new(self, since: datetime | None = None) -> list[Ticket]:
        """Email arrives as messages through ``pull`` (the desk matches them to tickets); there
        is no list of tickets in a mailbox to return here."""
        return []

    async def pull(self, cursor: str | None) -> Pulled:
        prior = MailboxCursor.decode(cursor)
        return await self._imap(lambda session: self._pull(session, prior))

    def _pull(self, session: ImapSession, prior: MailboxCursor | None) -> Pulled:
        config = self.config
        selected = session.select(config.mailbox)
        last = 0
        if prior is not None and prior.uidvalidity == selected.uidvalidity:
            last = prior.last_uid
            marked = session.mark_processed_up_to(last)
            if marked:
                log.info("email: marked %d stored message(s) processed", marked)
        elif prior is not None:
            log.warning(
                "email: mailbox '%s' changed UIDVALIDITY (%d -> %d): reading it again; "
                "messages already stored are recognised by their Message-ID",
                visible(config.mailbox),
                prior.uidvalidity,
                selected.uidvalidity,
            )
        waiting = session.unprocessed_after(last)[: config.max_messages_per_pull]
        messages: list[InboundMessage] = []
        reached = last
        for start in range(0, len(waiting), config.fetch_batch):
            batch = waiting[start : start + config.fetch_batch]
            try:
                for fetched in session.fetch(batch):
                    message = self._read(session, fetched.uid, fetched.raw, fetched.received)
                    if message is not None:
                        messages.append(message)
                    reached = fetched.uid
                reached = max(reached, batch[-1])  # UIDs expunged meanwhile are passed too
            except ImapConnectionLost as error:
                if reached == last:
                    raise  # nothing read: the pull failed as a whole
                log.warning(
                    "email: the IMAP connection dropped after UID %d (%s); the next pull "
                    "goes on from there",
                    reached,
                    visible(str(error)),
                )
                self._forget_session()
                break
        cursor = MailboxCursor(uidvalidity=selected.uidvalidity, last_uid=reached)
        return Pulled(messages=messages, cursor=cursor.encode())

    def _read(
        self, session: ImapSession, uid: int, raw: bytes, received: datetime | None
    ) -> InboundMessage | None:
        config = self.config
        read = read_mail(raw, config.address, received)
        if read.message is not None:
            return read.message
        if read.skipped:
            log.info(
                "email: skipped UID %d %s: %s",
                uid,
                visible(read.message_id),
                visible(read.skipped),
            )
            return None
        try:
            session.move([uid], config.quarantine_folder)  # a lost connection: next pull
        except ImapRefused as error:
            log.error(
                "email: UID %d %s cannot be read (%s) and could not be moved to '%s' (%s): "
                "left in the mailbox and passed over",
                uid,
                visible(read.message_id),
                visible(read.malformed),
                visible(config.quarantine_folder),
                visible(str(error)),
            )
            return None
        log.warning(
            "email: quarantined UID %d %s in '%s': %s",
            uid,
            visible(read.message_id),
            visible(config.quarantine_folder),
            visible(read.malformed),
        )
        return None

    async def wait_for_mail(self, cursor: str | None, timeout: float) -> bool:
        """Wait until mail newer than ``cursor`` is in the mailbox (True) or ``timeout`` seconds
        pass (False): a sync loop may await this between pulls instead of sleeping, so mail
        arrives as it lands (IMAP IDLE). Mail already waiting returns at once; a server without
        IDLE is polled once at the end. Uses its own connection, so pulls and deliveries on
        this connector never wait behind it."""
        prior = MailboxCursor.decode(cursor)
        return await asyncio.to_thread(self._wait_for_mail, prior, timeout)

    def _wait_for_mail(self, prior: MailboxCursor | None, timeout: float) -> bool:
        config = self.config
        try:
            session = ImapSession.open(config)
        except (ImapConnectionLost, ImapRefused) as error:
            raise ConnectorUnavailableError(
                f"email: cannot wait for mail at {self._imap_where()}: {visible(str(error))}"
            ) from None
        try:
            selected = session.select(config.mailbox)
            last = prior.last_uid if prior and prior.uidvalidity == selected.uidvalidity else 0
            if session.unprocessed_after(last):
                return True
            if not session.supports_idle():
                time.sleep(timeout)
                selected = session.select(config.mailbox)
                return bool(session.unprocessed_after(last))
            return session.wait_for_new_mail(timeout)
        except (ImapConnectionLost, ImapRefused) as error:
            raise ConnectorUnavailableError(
                f"email: waiting for mail at {self._imap_where()} failed: {visible(str(error))}"
            ) from None
        finally:
            session.close()

    # --- outbound -----------------------------------------------------------------------------

    async def deliver(self, reply: OutboundReply) -> Delivered:
        config = self.config
        try:
            message = compose(reply, config)
        except (ValueError, TypeError) as error:
            raise DeliveryError(
                f"the reply cannot be written as an email: {error}", permanent=True
            ) from None
        client = await open_smtp(config, self._smtp_hint())
        try:
            await send(client, message, config.address, reply.to_email.strip())
        finally:
            await close(client)
        message_id = bracketed(reply.message_id)
        if config.save_sent_copy:
            raw = bytes(message)
            try:
                await self._imap(lambda session: session.append_sent(raw))
            except ConnectorError as error:
                # The customer has the reply: a missing copy is logged, never a failed delivery.
                log.warning(
                    "email: reply %s was sent but its copy could not be filed in '%s': %s",
                    visible(message_id),
                    visible(config.sent_folder),
                    error,
                )
        return Delivered(message_id=reply.message_id, external_id=message_id)

    async def find_delivered(self, reply: OutboundReply) -> Delivered | None:
        message_id = bracketed(reply.message_id)
        found = await self._imap(
            lambda session: session.find_in(self.config.sent_folder, message_id)
        )
        return Delivered(message_id=reply.message_id, external_id=message_id) if found else None

    # --- the IMAP session -----------------------------------------------------------------------

    async def _imap(self, work: Callable[[ImapSession], T]) -> T:
        return await asyncio.to_thread(self._in_session, work)

    def _in_session(self, work: Callable[[ImapSession], T]) -> T:
        """Run ``work`` on the open session (opened, or reopened once if it went stale)."""
        with self._lock:
            for attempt in (1, 2):
                fresh = self._session is None
                try:
                    session = self._open_session()
                    return work(session)
                except ImapConnectionLost as error:
                    self._forget_session()
                    if fresh or attempt == 2:
                        raise ConnectorUnavailableError(
                            f"email: cannot reach the IMAP server at {self._imap_where()}: "
                            f"{error} (check imap_host, imap_port and imap_ssl)"
                        ) from None
                    # A session idle since the last call may have been closed by the server.
                except ImapLoginRefused as error:
                    raise ConnectorAuthError(
                        f"email: the IMAP server at {self._imap_where()} refused "
                        f"'{self.config.login_user}': {error} (check imap_user and "
                        f"{hint(self.context, 'imap_password')})"
                    ) from None
                except ImapRefused as error:
                    raise ConnectorError(
                        f"email: the IMAP server at {self._imap_where()} said no: "
                        f"{visible(str(error))} (check mailbox, processed_folder, "
                        "quarantine_folder and sent_folder)"
                    ) from None
            raise AssertionError("unreachable")

    def _open_session(self) -> ImapSession:
        if self._session is None:
            self._session = ImapSession.open(self.config)
        return self._session

    def _forget_session(self) -> None:
        if self._session is not None:
            self._session.close()
            self._session = None

    async def aclose(self) -> None:
        def forget() -> None:
            with self._lock:
                self._forget_session()

        await asyncio.to_thread(forget)

    def _imap_where(self) -> str:
        return f"{self.config.imap_host}:{self.config.imap_port}"

    def _smtp_hint(self) -> str:
        field = "smtp_password" if self.config.smtp_password is not None else "imap_password"
        return hint(self.context, field)
