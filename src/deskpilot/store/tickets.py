"""Tickets and their threads: adding (with customers and messages), reading one, listing and
counting the queue, changing fields, appending messages, and the text fuzzy search runs over.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from deskpilot.errors import NotFoundError
from deskpilot.models import (
    Author,
    Customer,
    Message,
    Priority,
    Status,
    Ticket,
    TicketSummary,
    utcnow,
)
from deskpilot.store import schema
from deskpilot.store.base import StoreBase, existing_ids, insert_many, new_id
from deskpilot.store.customers import load_customer, save_customers
from deskpilot.store.filters import QueueFilter, conditions, ordering
from deskpilot.store.listening import notify
from deskpilot.store.rows import message_from_row, message_row, ticket_from_row, ticket_row
from deskpilot.store.snooze import SnoozeStore

UPDATABLE_TICKET_FIELDS = frozenset(
    {
        "status",
        "priority",
        "intent",
        "intent_confidence",
        "intent_source",
        "sentiment",
        "assignee",
        "tags",
        "csat",
    }
)


@dataclass
class AddResult:
    added: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # ids already present


# get_tickets' statements, built once: a draft reads two sets of tickets, and building and
# keying the statements anew each time was a third of the reads' CPU time (as was fetching the
# rows one by one instead of all at once).
_TICKETS_BY_ID = sa.select(schema.tickets).where(
    schema.tickets.c.id.in_(sa.bindparam("ids", expanding=True))
)
_CUSTOMERS_BY_ID = sa.select(schema.customers).where(
    schema.customers.c.id.in_(sa.bindparam("ids", expanding=True))
)
_THREADS_BY_TICKET = (
    sa.select(schema.messages)
    .where(schema.messages.c.ticket_id.in_(sa.bindparam("ids", expanding=True)))
    .order_by(schema.messages.c.ticket_id, schema.messages.c.seq)
)


class TicketsMixin(StoreBase):
    """Tickets, their messages, the queue's pages and counts."""

    def add_tickets(self, tickets: Iterable[Ticket], *, connector: str = "") -> AddResult:
        """Insert tickets (with their customers and messages) in one transaction.

        Ids already in the store are skipped, so importing the same file twice adds nothing.
        Customers are saved by id (the caller matched them by email first). ``connector``: the
        channel the messages came through (the channel sync's new tickets).
        """
        batch = list(tickets)
        result = AddResult()
        with self._write() as connection:
            existing = existing_ids(connection, schema.tickets, [t.id for t in batch])
            seen: set[str] = set()
            fresh = []
            for ticket in batch:
                if ticket.id in existing or ticket.id in seen:
                    result.skipped.append(ticket.id)
                else:
                    seen.add(ticket.id)
                    fresh.append(ticket)
            save_customers(connection, [t.customer for t in fresh], self.location)
            insert_many(connection, schema.tickets, [ticket_row(t) for t in fresh])
            insert_many(
                connection,
                schema.messages,
                [
                    message_row(t.id, seq, m, connector)
                    for t in fresh
                    for seq, m in enumerate(t.messages)
                ],
            )
            result.added = [t.id for t in fresh]
            if fresh:
                notify(connection, "added")
        return result

    def get_ticket(self, ticket_id: str) -> Ticket:
        with self._read() as connection:
            row = connection.execute(
                sa.select(schema.tickets).where(schema.tickets.c.id == ticket_id)
            ).one_or_none()
            if row is None:
                raise NotFoundError(f"no ticket with id '{ticket_id}' in {self.location}")
            customer = None
            if row.customer_id is not None:
                customer = load_customer(connection, row.customer_id)
            thread = connection.execute(
                sa.select(schema.messages)
                .where(schema.messages.c.ticket_id == ticket_id)
                .order_by(schema.messages.c.seq)
            ).all()
        return ticket_from_row(row, customer, [message_from_row(m) for m in thread])

    def get_tickets(self, ticket_ids: Iterable[str]) -> dict[str, Ticket]:
        """The tickets of these ids that exist, each as ``get_ticket`` reads it, in three
        queries whatever their number (a draft reads a dozen similar tickets)."""
        wanted = sorted(set(ticket_ids))
        if not wanted:
            return {}
        with self._read() as connection:
            rows = connection.execute(_TICKETS_BY_ID, {"ids": wanted}).all()
            customer_ids = sorted({row.customer_id for row in rows if row.customer_id})
            customers = {
                row.id: Customer.model_validate(row._asdict())
                for row in connection.execute(_CUSTOMERS_BY_ID, {"ids": customer_ids}).all()
            }
            threads: dict[str, list[Message]] = {}
            for message in connection.execute(_THREADS_BY_TICKET, {"ids": wanted}).all():
                threads.setdefault(message.ticket_id, []).append(message_from_row(message))
        return {
            row.id: ticket_from_row(
                row,
                customers[row.customer_id] if row.customer_id is not None else None,
                threads.get(row.id, []),
            )
            for row in rows
        }

    def list_queue(
        self,
        where: QueueFilter | None = None,
        *,
        limit: int | None = 100,
        offset: int = 0,
        sort: str = "priority",
        descending: bool = False,
    ) -> list[TicketSummary]:
        """Tickets matching ``where``, ordered by ``sort`` (one of SORT_KEYS); a page of them."""
        query = _queue_query(where, sort, descending).limit(limit).offset(offset)
        with self._read() as connection:
            rows = connection.execute(query).all()
        return [_summary(row) for row in rows]

    def first_page_and_count(
        self,
        where: QueueFilter,
        *,
        limit: int = 100,
        sort: str = "priority",
        descending: bool = False,
    ) -> tuple[list[TicketSummary], int]:
        """The first page of ``where`` and how many tickets it holds, read on one connection
        (a short first page is its own count): what a search keystroke waits for. Two plain
        statements, as a count over the page's window made SQLite sort the wide rows of every
        match (3-5 times slower on a search's 500 tickets)."""
        with self._read() as connection:
            rows = connection.execute(_queue_query(where, sort, descending).limit(limit)).all()
            if len(rows) < limit:
                return [_summary(row) for row in rows], len(rows)
            total = connection.execute(_count_query(where)).scalar_one()
        return [_summary(row) for row in rows], int(total)

    def count_tickets(self, where: QueueFilter | None = None) -> int:
        with self._read() as connection:
            return int(connection.execute(_count_query(where)).scalar_one())

    def count_by_status(self) -> dict[Status, int]:
        t = schema.tickets
        query = sa.select(t.c.status, sa.func.count()).group_by(t.c.status)
        with self._read() as connection:
            return {Status(status): count for status, count in connection.execute(query)}

    def update_ticket(self, ticket_id: str, **changes: Any) -> None:
        """Change ticket fields (status, priority, intent, assignee, ...) and touch updated_at."""
        unknown = set(changes) - UPDATABLE_TICKET_FIELDS
        if unknown:
            raise ValueError(f"cannot update ticket fields {sorted(unknown)}")
        values = {k: (v.value if hasattr(v, "value") else v) for k, v in changes.items()}
        if "priority" in changes:
            values["priority_rank"] = Priority(changes["priority"]).rank
        values["updated_at"] = utcnow()
        with self._write() as connection:
            updated = connection.execute(
                schema.tickets.update().where(schema.tickets.c.id == ticket_id).values(**values)
            )
            notify(connection, ticket_id)
        if updated.rowcount == 0:
            raise NotFoundError(f"no ticket with id '{ticket_id}' in {self.location}")

    def append_message(self, ticket_id: str, message: Message, *, connector: str = "") -> int:
        """Add a message at the end of the thread; returns its row id. ``connector``: the
        channel it came or goes through."""
        m, t = schema.messages, schema.tickets
        with self._write() as connection:
            # The ticket's row lock queues two desks appending to one thread on PostgreSQL
            # (SQLite's BEGIN IMMEDIATE already does): both would otherwise pick the same seq.
            found = connection.execute(
                sa.select(t.c.id).where(t.c.id == ticket_id).with_for_update()
            ).one_or_none()
            if found is None:
                raise NotFoundError(f"no ticket with id '{ticket_id}' in {self.location}")
            last = connection.execute(
                sa.select(sa.func.max(m.c.seq)).where(m.c.ticket_id == ticket_id)
            ).scalar_one()
            seq = -1 if last is None else last
            row = message_row(ticket_id, seq + 1, message, connector)
            try:
                inserted = connection.execute(m.insert().values(**row))
            except sa.exc.IntegrityError:
                raise NotFoundError(f"no ticket with id '{ticket_id}' in {self.location}") from None
            connection.execute(
                schema.tickets.update()
                .where(schema.tickets.c.id == ticket_id)
                .values(updated_at=message.at)
            )
            if message.author is Author.CUSTOMER:
                # Back from a snooze as of the message (a sender's clock ahead of ours must not
                # keep it asleep): snooze.py.
                SnoozeStore.wake_on_message(connection, ticket_id, min(message.at, utcnow()))
            notify(connection, ticket_id)
        return new_id(inserted)

    def search_corpus(self, where: QueueFilter | None = None) -> list[tuple[str, str]]:
        """(id, subject + first customer message + customer) of matching tickets, for fuzzy
        search as an agent types."""
        t, m, c = schema.tickets, schema.messages, schema.customers
        query = (
            sa.select(t.c.id, t.c.subject, m.c.body, c.c.name, c.c.email)
            .select_from(t)
            .outerjoin(c, t.c.customer_id == c.c.id)
            .outerjoin(m, sa.and_(m.c.ticket_id == t.c.id, m.c.seq == 0))
            .where(*conditions(where))
        )
        with self._read() as connection:
            return [
                (
                    row.id,
                    " ".join(
                        filter(None, (row.subject, (row.body or "")[:400], row.name, row.email))
                    ),
                )
                for row in connection.execute(query)
            ]

    def snoozed_until(self, where: QueueFilter | None = None) -> dict[str, datetime]:
        """When each snoozed ticket matching ``where`` comes back (asleep or not): a search
        corpus read once serves every moment's awake filter."""
        t = schema.tickets
        query = (
            sa.select(t.c.id, t.c.snoozed_until)
            .where(*conditions(where))
            .where(t.c.snoozed_until.is_not(None))
        )
        with self._read() as connection:
            return {row.id: row.snoozed_until for row in connection.execute(query)}


def _queue_query(where: QueueFilter | None, sort: str, descending: bool) -> sa.Select[Any]:
    t, c = schema.tickets, schema.customers
    return (
        sa.select(
            t.c.id,
            t.c.subject,
            t.c.status,
            t.c.priority,
            t.c.channel,
            t.c.created_at,
            t.c.updated_at,
            t.c.intent,
            t.c.intent_confidence,
            t.c.sentiment,
            t.c.assignee,
            t.c.customer_id,
            t.c.claimed_by,
            t.c.claimed_until,
            t.c.snoozed_until,
            t.c.unread_since.is_not(None).label("unread"),
            c.c.name.label("customer_name"),
            c.c.email.label("customer_email"),
            c.c.tier,
        )
        .select_from(t.outerjoin(c, t.c.customer_id == c.c.id))
        .where(*conditions(where))
        .order_by(*ordering(sort, descending))
    )


def _count_query(where: QueueFilter | None) -> sa.Select[Any]:
    return sa.select(sa.func.count()).select_from(schema.tickets).where(*conditions(where))


def _summary(row: sa.Row[Any]) -> TicketSummary:
    values = dict(row._mapping)
    values["customer_name"] = row.customer_name or ""
    values["customer_email"] = row.customer_email or ""
    return TicketSummary(**values)
