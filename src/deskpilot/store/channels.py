"""What the channels persist: the outbox of replies on their way out, each ticket source's sync
cursor, and which tickets hold a customer message no agent has seen.

Kept apart from ``sql.py`` (one module per persisted concern); it works through the store's
connections, so a call made inside ``store.transaction()`` commits with the rest of it.

Delivering a reply exactly once rests on three things here: the entry is written in the same
transaction as the reply (``enqueue``); a worker takes an entry with a lease and a fresh token
(``claim_due``: ``FOR UPDATE SKIP LOCKED`` on PostgreSQL, a conditional UPDATE under SQLite's
single writer), so two workers never hold one entry; and every outcome is written only by the
token's holder. An entry left ``sending`` by a worker that died is taken up again once its lease
runs out, marked ``check_first``: the channel is asked whether it already has the reply before
anything is sent again.
"""

from __future__ import annotations

import uuid
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from deskpilot.connectors.models import Delivered, OutboundReply
from deskpilot.errors import DeskPilotError, NotFoundError
from deskpilot.store import schema

if TYPE_CHECKING:
    from deskpilot.store.sql import Store


class DeliveryState(StrEnum):
    QUEUED = "queued"  # waiting for its (next) try
    SENDING = "sending"  # a worker holds it now
    SENT = "sent"  # the channel accepted it
    FAILED = "failed"  # retrying cannot help (or we gave up): an agent decides


OUTSTANDING = (DeliveryState.QUEUED, DeliveryState.SENDING)
SYNC_LOCK_BASE = 0x73796E63_000000  # "sync": advisory lock keys apart from the migration's


@dataclass(frozen=True)
class OutboxEntry:
    id: int
    message_id: str
    ticket_id: str
    connector: str
    reply: OutboundReply
    state: DeliveryState
    attempts: int
    next_try: datetime | None
    last_error: str
    check_first: bool  # an earlier attempt's outcome is unknown: ask the channel first
    external_id: str
    created_at: datetime
    updated_at: datetime
    sent_at: datetime | None
    claim_token: str | None = None

    def describe(self) -> str:
        """One line for a thread: ``✓ sent``, ``… queued``, ``✗ failed: reason``."""
        if self.state is DeliveryState.SENT:
            return f"✓ sent via {self.connector}"
        if self.state is DeliveryState.FAILED:
            return f"✗ failed: {self.last_error or 'no reason given'}"
        retry = ""
        if self.attempts and self.next_try is not None:
            retry = f", try {self.attempts + 1} at {self.next_try:%H:%M} UTC"
        why = f" ({self.last_error})" if self.last_error else ""
        return f"… {self.state.value} via {self.connector}{retry}{why}"

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "message_id": self.message_id,
            "ticket_id": self.ticket_id,
            "connector": self.connector,
            "state": self.state.value,
            "attempts": self.attempts,
            "next_try": self.next_try.isoformat() if self.next_try else None,
            "last_error": self.last_error,
            "external_id": self.external_id,
            "to": self.reply.to_email,
            "created_at": self.created_at.isoformat(),
            "sent_at": self.sent_at.isoformat() if self.sent_at else None,
        }


@dataclass(frozen=True)
class SyncState:
    """How one ticket source's sync stands, for ``GET /health`` and ``deskpilot outbox``."""

    connector: str
    cursor: str | None
    last_sync_at: datetime | None
    last_ok_at: datetime | None
    last_error: str
    imported: int


class ChannelStore:
    def __init__(self, store: Store) -> None:
        self._store = store

    # --- the outbox: written with the reply ---------------------------------------------------

    def enqueue(self, reply: OutboundReply, connector: str, now: datetime) -> int:
        """Queue a reply for delivery through ``connector``; call it inside the transaction
        that writes the reply, so there is never one without the other."""
        o = schema.outbox
        with self._store.writing() as connection:
            inserted = connection.execute(
                o.insert().values(
                    message_id=reply.message_id,
                    ticket_id=reply.ticket_id,
                    connector=connector,
                    payload=reply.model_dump(mode="json"),
                    state=DeliveryState.QUEUED.value,
                    attempts=0,
                    next_try=now,
                    last_error="",
                    check_first=False,
                    external_id="",
                    created_at=now,
                    updated_at=now,
                )
            )
        key = inserted.inserted_primary_key
        assert key is not None
        return int(key[0])

    # --- the outbox: the delivery worker's side ------------------------------------------------

    def claim_due(
        self, now: datetime, lease: timedelta, limit: int = 10, *, message_id: str | None = None
    ) -> list[OutboxEntry]:
        """Take up to ``limit`` entries due now (queued ones whose time has come, and sending
        ones whose worker's lease ran out) for this worker until ``now + lease``; only the
        reply ``message_id`` when given."""
        o = schema.outbox
        due = sa.or_(
            sa.and_(
                o.c.state == DeliveryState.QUEUED.value,
                sa.or_(o.c.next_try.is_(None), o.c.next_try <= now),
            ),
            sa.and_(o.c.state == DeliveryState.SENDING.value, o.c.claimed_until <= now),
        )
        if message_id is not None:
            due = sa.and_(due, o.c.message_id == message_id)
        claimed: list[OutboxEntry] = []
        with self._store.writing() as connection:
            rows = connection.execute(
                sa.select(o)
                .where(due)
                .order_by(o.c.id)
                .limit(limit)
                .with_for_update(skip_locked=True)
            ).all()
            for row in rows:
                token = str(uuid.uuid4())
                # A worker died holding it: whether the channel got the reply is unknown.
                check_first = bool(row.check_first) or row.state == DeliveryState.SENDING.value
                taken = connection.execute(
                    o.update()
                    .where(o.c.id == row.id, due)  # re-checked: another worker may have won
                    .values(
                        state=DeliveryState.SENDING.value,
                        claim_token=token,
                        claimed_until=now + lease,
                        attempts=o.c.attempts + 1,
                        check_first=check_first,
                        updated_at=now,
                    )
                )
                if taken.rowcount:
                    entry = _entry(row)
                    claimed.append(
                        replace(
                            entry,
                            state=DeliveryState.SENDING,
                            claim_token=token,
                            attempts=entry.attempts + 1,
                            check_first=check_first,
                        )
                    )
        return claimed

    def mark_sent(self, entry: OutboxEntry, delivered: Delivered, now: datetime) -> bool:
        """The channel accepted the reply; False if this worker no longer held the entry."""
        return self._finish(
            entry,
            now,
            state=DeliveryState.SENT.value,
            external_id=delivered.external_id,
            sent_at=delivered.at,
            last_error="",
            check_first=False,
            next_try=None,
        )

    def mark_retry(
        self, entry: OutboxEntry, error: str, next_try: datetime, now: datetime, *, unknown: bool
    ) -> bool:
        """Try again at ``next_try``; ``unknown``: this attempt may have gone through."""
        return self._finish(
            entry,
            now,
            state=DeliveryState.QUEUED.value,
            last_error=error,
            next_try=next_try,
            check_first=entry.check_first or unknown,
        )

    def mark_failed(self, entry: OutboxEntry, reason: str, now: datetime) -> bool:
        return self._finish(
            entry, now, state=DeliveryState.FAILED.value, last_error=reason, next_try=None
        )

    def _finish(self, entry: OutboxEntry, now: datetime, **values: Any) -> bool:
        o = schema.outbox
        with self._store.writing() as connection:
            updated = connection.execute(
                o.update()
                .where(o.c.id == entry.id, o.c.claim_token == entry.claim_token)
                .values(claim_token=None, claimed_until=None, updated_at=now, **values)
            )
        return bool(updated.rowcount)

    # --- the outbox: what agents see and do ------------------------------------------------------

    def entries(
        self,
        *,
        states: Iterable[DeliveryState] | None = None,
        ticket_id: str | None = None,
        limit: int | None = None,
    ) -> list[OutboxEntry]:
        """Entries newest first, optionally of some states or one ticket."""
        o = schema.outbox
        query = sa.select(o).order_by(o.c.id.desc()).limit(limit)
        if states is not None:
            query = query.where(o.c.state.in_([DeliveryState(s).value for s in states]))
        if ticket_id is not None:
            query = query.where(o.c.ticket_id == ticket_id)
        with self._store.reading() as connection:
            return [_entry(row) for row in connection.execute(query)]

    def entry(self, key: str | int) -> OutboxEntry:
        """One entry by its number or its Message-ID."""
        o = schema.outbox
        text = str(key).strip()
        condition = o.c.id == int(text) if text.isdigit() else o.c.message_id == text
        with self._store.reading() as connection:
            row = connection.execute(sa.select(o).where(condition)).one_or_none()
        if row is None:
            raise NotFoundError(f"no reply '{text}' in the outbox of {self._store.location}")
        return _entry(row)

    def retry(self, key: str | int, now: datetime) -> OutboxEntry:
        """Queue a failed reply again, now, with a fresh set of attempts."""
        entry = self.entry(key)
        if entry.state is not DeliveryState.FAILED:
            raise DeskPilotError(
                f"reply {entry.id} on {entry.ticket_id} is {entry.state.value}, not failed; "
                "only a failed reply is retried by hand"
            )
        o = schema.outbox
        with self._store.writing() as connection:
            updated = connection.execute(
                o.update()
                .where(o.c.id == entry.id, o.c.state == DeliveryState.FAILED.value)
                .values(state=DeliveryState.QUEUED.value, attempts=0, next_try=now, updated_at=now)
            )
        if not updated.rowcount:
            raise DeskPilotError(f"reply {entry.id} changed meanwhile; look at the outbox again")
        return self.entry(entry.id)

    def counts(self) -> dict[str, dict[DeliveryState, int]]:
        """Per connector, how many entries are in each state."""
        o = schema.outbox
        query = sa.select(o.c.connector, o.c.state, sa.func.count()).group_by(
            o.c.connector, o.c.state
        )
        found: dict[str, dict[DeliveryState, int]] = {}
        with self._store.reading() as connection:
            for connector, state, count in connection.execute(query):
                found.setdefault(connector, {})[DeliveryState(state)] = int(count)
        return found

    # --- sync cursors ---------------------------------------------------------------------------

    def lock_sync(self, connector: str) -> None:
        """Inside a transaction: take this connector's sync for ourselves until it ends, so two
        processes storing the same pull take turns and the second finds the messages held.
        (SQLite writers already queue on BEGIN IMMEDIATE.)"""
        with self._store.writing() as connection:
            if connection.dialect.name == "postgresql":
                key = SYNC_LOCK_BASE + zlib.crc32(connector.encode()) % 1_000_000
                connection.execute(sa.select(sa.func.pg_advisory_xact_lock(key)))

    def cursor(self, connector: str) -> str | None:
        c = schema.channel_sync
        with self._store.reading() as connection:
            return connection.execute(
                sa.select(c.c.cursor).where(c.c.connector == connector)
            ).scalar_one_or_none()

    def save_cursor(self, connector: str, cursor: str, imported: int, now: datetime) -> None:
        """The next pull starts here; call it in the transaction that stored the messages."""
        self._upsert_sync(
            connector,
            cursor=cursor,
            last_sync_at=now,
            last_ok_at=now,
            last_error="",
            imported=schema.channel_sync.c.imported + imported,
        )

    def record_sync_failure(self, connector: str, error: str, now: datetime) -> None:
        self._upsert_sync(connector, last_sync_at=now, last_error=error[:500])

    def _upsert_sync(self, connector: str, **values: Any) -> None:
        c = schema.channel_sync
        with self._store.writing() as connection:
            exists = connection.execute(
                sa.select(c.c.connector).where(c.c.connector == connector).with_for_update()
            ).scalar_one_or_none()
            if exists is None:
                connection.execute(
                    c.insert().values(connector=connector, imported=0, last_error="")
                )
            connection.execute(c.update().where(c.c.connector == connector).values(**values))

    def sync_states(self) -> list[SyncState]:
        c = schema.channel_sync
        with self._store.reading() as connection:
            rows = connection.execute(sa.select(c).order_by(c.c.connector)).all()
        return [
            SyncState(
                connector=row.connector,
                cursor=row.cursor,
                last_sync_at=row.last_sync_at,
                last_ok_at=row.last_ok_at,
                last_error=row.last_error,
                imported=row.imported,
            )
            for row in rows
        ]

    # --- inbound: which ticket a pulled message belongs to ---------------------------------------

    def known_ids(self, connector: str, external_ids: Sequence[str]) -> set[str]:
        """Which of these external ids the desk already holds for this connector: stored
        messages, and replies it delivered (their Message-ID or the channel's id for them)."""
        wanted = [i for i in dict.fromkeys(external_ids) if i]
        if not wanted:
            return set()
        m, o = schema.messages, schema.outbox
        found: set[str] = set()
        with self._store.reading() as connection:
            found.update(
                connection.execute(
                    sa.select(m.c.external_id).where(
                        m.c.connector == connector, m.c.external_id.in_(wanted)
                    )
                ).scalars()
            )
            for column in (o.c.external_id, o.c.message_id):
                found.update(
                    connection.execute(
                        sa.select(column).where(o.c.connector == connector, column.in_(wanted))
                    ).scalars()
                )
        return found

    def ticket_for_conversation(self, connector: str, external_id: str) -> str | None:
        """The ticket holding this connector's conversation (a Zendesk ticket id)."""
        if not external_id:
            return None
        t = schema.tickets
        with self._store.reading() as connection:
            return connection.execute(
                sa.select(t.c.id)
                .where(t.c.source == connector, t.c.external_id == external_id)
                .order_by(t.c.created_at)
                .limit(1)
            ).scalar_one_or_none()

    def ticket_for_replied(self, connector: str, replied_to: Sequence[str]) -> str | None:
        """The ticket of the first of ``replied_to`` (nearest first) the desk knows: a message
        that came through this connector, or a reply that went out through it."""
        m, o = schema.messages, schema.outbox
        with self._store.reading() as connection:
            for external_id in replied_to:
                if not external_id:
                    continue
                found = connection.execute(
                    sa.select(m.c.ticket_id)
                    .where(m.c.connector == connector, m.c.external_id == external_id)
                    .limit(1)
                ).scalar_one_or_none()
                if found is None:
                    found = connection.execute(
                        sa.select(o.c.ticket_id)
                        .where(
                            o.c.connector == connector,
                            sa.or_(o.c.message_id == external_id, o.c.external_id == external_id),
                        )
                        .limit(1)
                    ).scalar_one_or_none()
                if found is not None:
                    return str(found)
        return None

    def ticket_exists(self, ticket_id: str) -> bool:
        t = schema.tickets
        with self._store.reading() as connection:
            found = connection.execute(sa.select(t.c.id).where(t.c.id == ticket_id))
            return found.scalar_one_or_none() is not None

    # --- unread -----------------------------------------------------------------------------------

    def mark_unread(self, ticket_id: str, at: datetime) -> None:
        """A customer message arrived that no agent has seen (the earliest such time stays)."""
        t = schema.tickets
        with self._store.writing() as connection:
            connection.execute(
                t.update()
                .where(t.c.id == ticket_id, t.c.unread_since.is_(None))
                .values(unread_since=at)
            )
            self._store.announce(connection, ticket_id)

    def mark_read(self, ticket_id: str) -> bool:
        """An agent opened the ticket; True if it held an unread message."""
        t = schema.tickets
        with self._store.writing() as connection:
            updated = connection.execute(
                t.update()
                .where(t.c.id == ticket_id, t.c.unread_since.is_not(None))
                .values(unread_since=None)
            )
            if updated.rowcount:
                self._store.announce(connection, ticket_id)
        return bool(updated.rowcount)

    def unread_since(self, ticket_id: str) -> datetime | None:
        t = schema.tickets
        with self._store.reading() as connection:
            value: datetime | None = connection.execute(
                sa.select(t.c.unread_since).where(t.c.id == ticket_id)
            ).scalar_one_or_none()
        return value


def _entry(row: sa.Row[Any]) -> OutboxEntry:
    return OutboxEntry(
        id=row.id,
        message_id=row.message_id,
        ticket_id=row.ticket_id,
        connector=row.connector,
        reply=OutboundReply.model_validate(row.payload),
        state=DeliveryState(row.state),
        attempts=row.attempts,
        next_try=row.next_try,
        last_error=row.last_error or "",
        check_first=bool(row.check_first),
        external_id=row.external_id or "",
        created_at=row.created_at,
        updated_at=row.updated_at,
        sent_at=row.sent_at,
        claim_token=row.claim_token,
    )
