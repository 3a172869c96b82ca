"""What snoozing and merging persist: until when a ticket sleeps, and which ticket a duplicate's
thread moved into.

A mixin of ``Store`` (one module per persisted concern); it works through the store's
connections, so a call made inside ``store.transaction()`` commits with the rest of it.

A snooze is one column, ``tickets.snoozed_until``. While it lies ahead the ticket is out of the
queue views (``QueueFilter.awake_at``); once it has passed (its time came, or a customer message
set it to the message's time) the ticket is back and shown marked until an agent opens it,
which clears it. Waking on a customer message happens in ``append_message``, the one place every
message goes through (the channel sync, the web widget, a follow-up typed in), so no route into a
ticket can leave it asleep.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from deskpilot.errors import DeskPilotError, NotFoundError
from deskpilot.models import Author, Status
from deskpilot.store import schema

# A merged ticket's link is followed this many times at most (a chain of merges).
MAX_MERGE_HOPS = 8


@dataclass(frozen=True)
class RecentTicket:
    """One of a customer's tickets, as duplicate detection compares them."""

    id: str
    subject: str
    status: Status
    created_at: datetime
    first_message: str  # the customer's first message ("" if none)


@dataclass(frozen=True)
class MovedThread:
    moved: int  # messages that moved from the source into the target
    unread_since: datetime | None  # the source's unread marker, carried over


class SnoozeStore:
    """Mixed into ``Store``; uses only its public connection helpers."""

    location: str

    if TYPE_CHECKING:

        def writing(self) -> AbstractContextManager[sa.Connection]: ...

        def reading(self) -> AbstractContextManager[sa.Connection]: ...

        def announce(self, connection: sa.Connection, payload: str) -> None: ...

    # --- snooze ------------------------------------------------------------------------------

    def set_snooze(self, ticket_id: str, until: datetime | None, now: datetime) -> None:
        """Snooze the ticket until ``until`` (None: wake it and clear the mark)."""
        t = schema.tickets
        with self.writing() as connection:
            updated = connection.execute(
                t.update().where(t.c.id == ticket_id).values(snoozed_until=until, updated_at=now)
            )
            if updated.rowcount == 0:
                raise NotFoundError(f"no ticket with id '{ticket_id}' in {self.location}")
            self.announce(connection, ticket_id)

    def clear_snooze_mark(self, ticket_id: str, now: datetime) -> bool:
        """An agent opened a ticket that came back from a snooze: the mark goes. A ticket still
        asleep (opened through its id) keeps sleeping. True if a mark was cleared."""
        t = schema.tickets
        with self.writing() as connection:
            updated = connection.execute(
                t.update()
                .where(t.c.id == ticket_id, t.c.snoozed_until <= now)
                .values(snoozed_until=None)
            )
            if updated.rowcount:
                self.announce(connection, ticket_id)
        return bool(updated.rowcount)

    @staticmethod
    def wake_on_message(connection: sa.Connection, ticket_id: str, at: datetime) -> None:
        """A customer wrote at ``at``: a ticket snoozed beyond it is back from then on."""
        t = schema.tickets
        connection.execute(
            t.update().where(t.c.id == ticket_id, t.c.snoozed_until > at).values(snoozed_until=at)
        )

    def snoozed(self, now: datetime) -> list[tuple[str, datetime]]:
        """Tickets asleep now and when each comes back, soonest first."""
        t = schema.tickets
        with self.reading() as connection:
            rows = connection.execute(
                sa.select(t.c.id, t.c.snoozed_until)
                .where(t.c.snoozed_until > now)
                .order_by(t.c.snoozed_until, t.c.id)
            ).all()
        return [(row.id, row.snoozed_until) for row in rows]

    def next_wake(self, after: datetime) -> datetime | None:
        """When the next snoozed ticket comes back (the soonest snooze ending after ``after``)."""
        t = schema.tickets
        with self.reading() as connection:
            value: datetime | None = connection.execute(
                sa.select(sa.func.min(t.c.snoozed_until)).where(t.c.snoozed_until > after)
            ).scalar_one_or_none()
        if value is not None and value.tzinfo is None:  # min() loses the column's type on SQLite
            value = value.replace(tzinfo=UTC)
        return value

    # --- merge -------------------------------------------------------------------------------

    def merged_target(self, ticket_id: str) -> str:
        """Where a ticket's conversation lives now: itself, or the ticket it was merged into
        (followed along a chain of merges)."""
        t = schema.tickets
        current = ticket_id
        with self.reading() as connection:
            for _hop in range(MAX_MERGE_HOPS):
                target = connection.execute(
                    sa.select(t.c.merged_into).where(t.c.id == current)
                ).scalar_one_or_none()
                if not target:
                    break
                current = str(target)
        return current

    def recent_tickets(
        self, customer_id: str, since: datetime, *, exclude: str, limit: int = 50
    ) -> list[RecentTicket]:
        """The customer's tickets created since ``since`` (not merged away), newest first."""
        t, m = schema.tickets, schema.messages
        first = (
            sa.select(m.c.body)
            .where(m.c.ticket_id == t.c.id, m.c.author == Author.CUSTOMER.value)
            .order_by(m.c.seq)
            .limit(1)
            .scalar_subquery()
        )
        query = (
            sa.select(t.c.id, t.c.subject, t.c.status, t.c.created_at, first.label("first"))
            .where(
                t.c.customer_id == customer_id,
                t.c.created_at >= since,
                t.c.id != exclude,
                t.c.merged_into.is_(None),
            )
            .order_by(t.c.created_at.desc(), t.c.id)
            .limit(limit)
        )
        with self.reading() as connection:
            rows = connection.execute(query).all()
        return [
            RecentTicket(row.id, row.subject, Status(row.status), row.created_at, row.first or "")
            for row in rows
        ]

    def move_thread(self, source_id: str, target_id: str, now: datetime) -> MovedThread:
        """Move every message of ``source_id`` into ``target_id``'s thread, in time order, and
        link the source to the target (``merged_into``). The caller closes the source and
        writes the notes, in the same transaction."""
        if source_id == target_id:
            raise DeskPilotError(f"{source_id} cannot be merged into itself")
        t, m = schema.tickets, schema.messages
        with self.writing() as connection:
            # Both rows locked in a fixed order: two merges of the same pair queue, never
            # deadlock (SQLite's BEGIN IMMEDIATE already serialises writers).
            rows = {
                row.id: row
                for row in connection.execute(
                    sa.select(t.c.id, t.c.merged_into, t.c.unread_since)
                    .where(t.c.id.in_(sorted({source_id, target_id})))
                    .order_by(t.c.id)
                    .with_for_update()
                )
            }
            for ticket_id in (source_id, target_id):
                if ticket_id not in rows:
                    raise NotFoundError(f"no ticket with id '{ticket_id}' in {self.location}")
                if rows[ticket_id].merged_into:
                    raise DeskPilotError(
                        f"{ticket_id} was merged into {rows[ticket_id].merged_into} already"
                    )
            thread = list(_thread_rows(connection, target_id, 0)) + list(
                _thread_rows(connection, source_id, 1)
            )
            # Time order; at a tie the target's message first, then each thread's own order.
            thread.sort(key=lambda row: (row[1], row[2], row[3]))
            # Two passes keep (ticket_id, seq) unique throughout: first to negative numbers no
            # message holds, then back to 0, 1, 2...
            for position, (row_id, *_rest) in enumerate(thread):
                connection.execute(
                    m.update()
                    .where(m.c.id == row_id)
                    .values(ticket_id=target_id, seq=-1 - position)
                )
            connection.execute(
                m.update().where(m.c.ticket_id == target_id).values(seq=-1 - m.c.seq)
            )
            # The replies that went out with the moved messages follow them: their delivery shows
            # in the target's thread, and an answer to one finds the target.
            connection.execute(
                schema.outbox.update()
                .where(schema.outbox.c.ticket_id == source_id)
                .values(ticket_id=target_id)
            )
            # Its conversation is scored on the target from now on.
            q = schema.qa_scores
            connection.execute(q.delete().where(q.c.ticket_id == source_id))
            connection.execute(
                t.update()
                .where(t.c.id == source_id)
                .values(merged_into=target_id, snoozed_until=None, updated_at=now)
            )
            source_unread = rows[source_id].unread_since
            target_values: dict[str, Any] = {"updated_at": now}
            if source_unread is not None and (
                rows[target_id].unread_since is None or source_unread < rows[target_id].unread_since
            ):
                target_values["unread_since"] = source_unread
            connection.execute(t.update().where(t.c.id == target_id).values(**target_values))
            self.announce(connection, source_id)
            self.announce(connection, target_id)
        moved = sum(1 for row in thread if row[2] == 1)
        return MovedThread(moved=moved, unread_since=source_unread)


def _thread_rows(
    connection: sa.Connection, ticket_id: str, origin: int
) -> Iterator[tuple[int, datetime, int, int]]:
    m = schema.messages
    for row in connection.execute(
        sa.select(m.c.id, m.c.at, m.c.seq).where(m.c.ticket_id == ticket_id).order_by(m.c.seq)
    ):
        yield (row.id, row.at, origin, row.seq)
