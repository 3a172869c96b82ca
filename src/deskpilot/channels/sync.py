"""Inbound: pull what each ticket source received and file every message under its ticket.

A pull's messages and the cursor after them are stored in one transaction, so a crash either
keeps both or neither, and the next pull starts where the stored messages end. A message whose
external id the desk already holds is skipped (pulling twice stores nothing twice).

Each message finds its ticket, in order, by the channel's conversation id
(``ticket_external_id``), by the messages it answers (``in_reply_to``: our replies' Message-IDs
and the channel's ids), by a ``[T-000123]`` tag in its subject; otherwise it starts a new ticket,
its customer matched by email (and created when unknown). A customer's message on a pending,
solved or closed ticket reopens it (audited as ``reopen``); every customer message re-triages its
ticket and marks it unread. A reply an agent wrote in the help desk itself (author AGENT) is
stored as an agent message and changes nothing else.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import ValidationError

from deskpilot.connectors.capabilities import TicketSource
from deskpilot.connectors.errors import NotSupportedError
from deskpilot.connectors.models import InboundAttachment, InboundMessage, Pulled
from deskpilot.intake.records import customer_id_for
from deskpilot.models import (
    ActionRecord,
    Attachment,
    Author,
    Channel,
    Customer,
    Message,
    Status,
    Ticket,
)
from deskpilot.store import Store
from deskpilot.store.channels import ChannelStore
from deskpilot.terminal_text import visible

if TYPE_CHECKING:
    from deskpilot.understand.triage import Triage

log = logging.getLogger("deskpilot.channels")

Audit = Callable[..., ActionRecord]
# A tag such as [T-000123] in a subject: the ticket id our replies put there.
TICKET_TAG = re.compile(r"\[([A-Za-z][\w.-]{0,63})\]")
REOPENED_FROM = frozenset({Status.PENDING, Status.SOLVED, Status.CLOSED})
MAX_PULLS_PER_SYNC = 20  # a source that pages: keep pulling while it brings messages
CHANNEL_OF = {"email": Channel.EMAIL}  # a new ticket's channel by connector; else the default


@dataclass
class SyncReport:
    connector: str
    pulled: int = 0
    imported: int = 0
    skipped: int = 0  # already held
    new_tickets: list[str] = field(default_factory=list)
    follow_ups: list[str] = field(default_factory=list)
    reopened: list[str] = field(default_factory=list)
    error: str = ""

    def add(self, other: SyncReport) -> None:
        self.pulled += other.pulled
        self.imported += other.imported
        self.skipped += other.skipped
        self.new_tickets += other.new_tickets
        self.follow_ups += other.follow_ups
        self.reopened += other.reopened

    def describe(self) -> str:
        if self.error:
            return f"{self.connector}: sync failed: {self.error}"
        parts = [_count(self.imported, "new message")]
        if self.new_tickets:
            parts.append(_count(len(self.new_tickets), "new ticket"))
        if self.follow_ups:
            parts.append(_count(len(self.follow_ups), "follow-up"))
        if self.reopened:
            parts.append(f"reopened {', '.join(sorted(set(self.reopened)))}")
        if self.skipped:
            parts.append(f"{self.skipped} already held")
        return f"{self.connector}: " + ", ".join(parts)


class Inbox:
    """Stores pulled messages under their tickets (blocking: run it in a thread)."""

    def __init__(
        self,
        store: Store,
        channels: ChannelStore,
        *,
        triage: Callable[[], Triage],
        attachments_dir: Path,
        audit: Audit,
        clock: Callable[[], datetime],
        logger: logging.Logger = log,
    ) -> None:
        self._store = store
        self._channels = channels
        self._triage = triage
        self._attachments_dir = attachments_dir
        self._audit = audit
        self._clock = clock
        self._log = logger

    def store_pulled(
        self, connector: str, pulled: Pulled, previous_cursor: str | None
    ) -> SyncReport:
        """Store one pull's messages and its cursor, all in one transaction."""
        report = SyncReport(connector, pulled=len(pulled.messages))
        triage = self._triage() if pulled.messages else None  # trained before the write lock
        touched: list[str] = []
        with self._store.transaction():
            self._channels.lock_sync(connector)
            known = self._channels.known_ids(connector, [m.external_id for m in pulled.messages])
            for inbound in pulled.messages:
                if inbound.external_id in known:
                    report.skipped += 1
                    continue
                known.add(inbound.external_id)
                ticket_id = self._file(connector, inbound, report)
                if inbound.author is Author.CUSTOMER:
                    touched.append(ticket_id)
                    self._channels.mark_unread(ticket_id, _aware(inbound.at))
                report.imported += 1
            if triage is not None and touched:
                tickets = [self._store.get_ticket(i) for i in dict.fromkeys(touched)]
                triage.run(self._store, [t for t in tickets if t.status.is_open])
            cursor = pulled.cursor or previous_cursor or ""
            self._channels.save_cursor(connector, cursor, report.imported, self._clock())
        return report

    def _file(self, connector: str, inbound: InboundMessage, report: SyncReport) -> str:
        ticket_id = self._match(connector, inbound)
        if ticket_id is None:
            ticket_id = self._new_ticket(connector, inbound)
            if ticket_id is not None:
                report.new_tickets.append(ticket_id)
                self._log.info(
                    "imported %s from %s: new ticket %s from %s",
                    visible(inbound.external_id, one_line=True),
                    connector,
                    ticket_id,
                    visible(inbound.from_email, one_line=True),
                )
                return ticket_id
            ticket_id = _derived_ticket_id(connector, inbound)  # already there: a follow-up
        self._follow_up(connector, ticket_id, inbound, report)
        return ticket_id

    def _match(self, connector: str, inbound: InboundMessage) -> str | None:
        channels = self._channels
        found = channels.ticket_for_conversation(connector, inbound.ticket_external_id)
        if found is None and inbound.in_reply_to:
            found = channels.ticket_for_replied(connector, inbound.in_reply_to)
        if found is None:
            tags: list[str] = TICKET_TAG.findall(inbound.subject)
            for tag in reversed(tags):
                if channels.ticket_exists(tag):
                    return tag
        return found

    def _new_ticket(self, connector: str, inbound: InboundMessage) -> str | None:
        """Start a ticket with this message; None if its id is taken already."""
        ticket_id = _derived_ticket_id(connector, inbound)
        customer = self._customer(inbound) if inbound.author is Author.CUSTOMER else None
        ticket = Ticket(
            id=ticket_id,
            subject=inbound.subject.strip() or "(no subject)",
            messages=[self._message(connector, ticket_id, inbound)],
            customer=customer,
            channel=CHANNEL_OF.get(connector, Channel.EMAIL),
            source=connector,
            external_id=inbound.ticket_external_id,
            status=Status.NEW,
            created_at=_aware(inbound.at),
            updated_at=_aware(inbound.at),
        )
        added = self._store.add_tickets([ticket], connector=connector).added
        if added:
            self._audit(
                "intake",
                ticket_id,
                {"source": connector, "external_id": inbound.external_id},
                actor=connector,
            )
        return ticket_id if added else None

    def _follow_up(
        self, connector: str, ticket_id: str, inbound: InboundMessage, report: SyncReport
    ) -> None:
        ticket_id = self._store.merged_target(ticket_id)  # a merged duplicate: its target
        message = self._message(connector, ticket_id, inbound)
        self._store.append_message(ticket_id, message, connector=connector)
        # On the audit trail as a message the widget takes in is (Desk.add_customer_message).
        self._audit(
            "customer_message" if inbound.author is Author.CUSTOMER else "agent_message",
            ticket_id,
            {"source": connector, "external_id": inbound.external_id, "chars": len(message.body)},
            actor=connector,
        )
        report.follow_ups.append(ticket_id)
        reopened = ""
        if inbound.author is Author.CUSTOMER:
            status = self._store.get_ticket(ticket_id).status
            if status in REOPENED_FROM:
                self._store.update_ticket(ticket_id, status=Status.OPEN)
                self._audit(
                    "reopen",
                    ticket_id,
                    {"from": status.value, "via": connector, "external_id": inbound.external_id},
                    actor=connector,
                )
                report.reopened.append(ticket_id)
                reopened = f", reopened from {status.value}"
        self._log.info(
            "imported %s from %s: %s on %s%s",
            visible(inbound.external_id, one_line=True),
            connector,
            "follow-up" if inbound.author is Author.CUSTOMER else "agent reply",
            ticket_id,
            reopened,
        )

    def _message(self, connector: str, ticket_id: str, inbound: InboundMessage) -> Message:
        return Message(
            author=inbound.author,
            body=inbound.body,
            at=_aware(inbound.at),
            author_name=inbound.from_name or inbound.from_email,
            external_id=inbound.external_id,
            attachments=[self._keep(ticket_id, attachment) for attachment in inbound.attachments],
        )

    def _customer(self, inbound: InboundMessage) -> Customer | None:
        email = inbound.from_email.strip().lower()
        known = self._store.find_customers_by_emails([email]).get(email)
        if known is not None:
            return known
        try:
            customer = Customer(
                id=customer_id_for(email),
                email=email,
                name=inbound.from_name.strip(),
                created_at=inbound.at,
            )
        except ValidationError:
            self._log.warning(
                "%s is not an email address: the ticket has no customer",
                visible(inbound.from_email, one_line=True),
            )
            return None
        self._store.add_customers([customer])
        return customer

    def _keep(self, ticket_id: str, attachment: InboundAttachment) -> Attachment:
        """Write the bytes into the workspace (never opened, never executable)."""
        folder = self._attachments_dir / _safe_name(ticket_id)
        folder.mkdir(parents=True, exist_ok=True)
        number = len(list(folder.iterdir())) + 1
        name = _safe_name(attachment.name) or "attachment"
        while True:
            path = folder / f"{number}-{name}"
            try:
                descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError:
                number += 1
                continue
            break
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(attachment.data)
        return Attachment(
            name=attachment.name,
            content_type=attachment.content_type,
            size=len(attachment.data) or attachment.size,
            stored_as=f"{folder.name}/{path.name}",
        )


class ChannelSync:
    """Pulls each ticket source and hands what it brought to the inbox."""

    def __init__(
        self,
        inbox: Inbox,
        channels: ChannelStore,
        clock: Callable[[], datetime],
        logger: logging.Logger = log,
    ) -> None:
        self._inbox = inbox
        self._channels = channels
        self._clock = clock
        self._log = logger

    async def sync_all(self, sources: Mapping[str, TicketSource]) -> list[SyncReport]:
        """Sync every source; one failing never stops the others."""
        return [await self.sync(name, source) for name, source in sources.items()]

    async def sync(self, name: str, source: TicketSource) -> SyncReport:
        report = SyncReport(name)
        for _page in range(MAX_PULLS_PER_SYNC):
            cursor = await asyncio.to_thread(self._channels.cursor, name)
            try:
                pulled = await source.pull(cursor)
            except NotSupportedError:
                report.error = "this connector does not pull messages"
                break
            except Exception as error:  # any connector failure: record it, keep serving
                report.error = visible(f"{type(error).__name__}: {error}", one_line=True)
                await asyncio.to_thread(
                    self._channels.record_sync_failure, name, report.error, self._clock()
                )
                self._log.warning("sync of %s failed: %s", name, report.error)
                break
            page = await asyncio.to_thread(self._inbox.store_pulled, name, pulled, cursor)
            report.add(page)
            if not pulled.messages or (pulled.cursor or cursor) == cursor:
                break
        return report


def _aware(moment: datetime) -> datetime:
    """A channel's time without a zone is taken as UTC (the store keeps aware times only)."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" + ("" if number == 1 else "s")


def _derived_ticket_id(connector: str, inbound: InboundMessage) -> str:
    """The same conversation always gets the same id: a message pulled again (or a second
    message of a conversation not yet stored) never makes a second ticket."""
    key = inbound.ticket_external_id or inbound.external_id
    return "T-" + hashlib.sha1(f"{connector}\x1f{key}".encode()).hexdigest()[:12]


_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


def _safe_name(name: str) -> str:
    """A file name that cannot leave its folder or hide: no separators, no leading dots."""
    cleaned = _UNSAFE_NAME.sub("_", name).strip("._")
    return cleaned[-80:]
