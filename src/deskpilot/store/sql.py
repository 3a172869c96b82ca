"""The store: every read and write of DeskPilot's data goes through ``Store``.

It is written against SQLAlchemy Core, so the same code serves the embedded SQLite workspace and
a team's PostgreSQL; dialect details stay inside this module and ``open_store``.
"""

from __future__ import annotations

import itertools
import json
import time
import uuid
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Engine

from deskpilot.errors import (
    ClaimError,
    NotFoundError,
    SchemaOutdatedError,
    SchemaTooNewError,
    StorageError,
)
from deskpilot.models import (
    ActionRecord,
    Attachment,
    Author,
    Channel,
    Claim,
    Customer,
    Draft,
    EditEvent,
    EditOutcome,
    EditRevision,
    IntentSource,
    Message,
    PageContext,
    Priority,
    QaScore,
    Status,
    Ticket,
    TicketSummary,
    Tier,
    TriageRecord,
    utcnow,
)
from deskpilot.store import migrations, schema
from deskpilot.url_secrets import mask_url_secrets

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
# What claim_next hands out unless told otherwise: tickets waiting on an agent.
CLAIMABLE_STATUSES = frozenset({Status.NEW, Status.OPEN})
# The PostgreSQL channel ticket changes are announced on.
QUEUE_CHANNEL = "deskpilot_queue"
# SQLite allows 32766 bound parameters; keep IN-lists and batches well below that.
BATCH = 500


@dataclass(frozen=True)
class QueueFilter:
    statuses: frozenset[Status] | None = None  # None: every status
    intent: str | None = None
    priority: Priority | None = None
    assignee: str | None = None
    unassigned: bool = False
    # "Give me the next ticket": only tickets nobody owns or this agent owns already.
    free_for: str | None = None
    customer_id: str | None = None
    # Breaching views: per priority, tickets created before this moment are (nearly) late.
    created_before: tuple[tuple[Priority, datetime], ...] | None = None
    ids: frozenset[str] | None = None  # restrict to these (e.g. fuzzy search results)
    tag: str | None = None  # e.g. "autopilot-review"


SORT_KEYS = (
    "priority",
    "age",
    "id",
    "status",
    "intent",
    "sentiment",
    "customer",
    "assignee",
    "subject",
    "updated",
)


@dataclass(frozen=True)
class ResolvedThread:
    ticket_id: str
    subject: str
    intent: str | None
    question: str  # the customer's first message
    replies: list[str]  # the agents' replies, in order


@dataclass(frozen=True)
class TicketFacts:
    """What team statistics need of one ticket, read for many tickets in one query."""

    id: str
    intent: str | None
    status: Status
    created_at: datetime
    updated_at: datetime
    csat: int | None
    first_reply_at: datetime | None  # the first agent reply
    customer_spoke_last: bool
    handoff_reason: str | None  # the triage's, when it recommended a human
    page: str | None  # the page the customer wrote from (page context title or URL)
    # What the lead's reports slice by and count (defaults keep hand-built facts short).
    priority: Priority = Priority.NORMAL
    channel: Channel = Channel.EMAIL
    tier: Tier | None = None
    assignee: str | None = None
    last_customer_at: datetime | None = None  # the customer's latest message


@dataclass(frozen=True)
class ReplyFact:
    """One agent reply, for counting replies per agent and per ticket."""

    ticket_id: str
    agent: str  # the message's author name ("" when the source did not say)
    at: datetime


@dataclass
class AddResult:
    added: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # ids already present


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


def open_store(url: str) -> Store:
    """Connect and check the schema version; refuse a newer one.

    An embedded SQLite workspace is upgraded on open. A team's PostgreSQL database is only
    checked: it is upgraded on purpose with ``migrate_database`` (``deskpilot migrate``), so no
    desk changes the schema under the others as a side effect of starting.
    """
    url = normalise_url(url)
    location = _describe(url)
    if _is_sqlite(url):
        _check_sqlite_file_read_only(url, location)
    engine = _create_engine(url)
    try:
        with engine.execution_options(sqlite_begin="IMMEDIATE").begin() as connection:
            found = migrations.read_version(connection)
            if found is not None and found > migrations.SCHEMA_VERSION:
                raise SchemaTooNewError(location, found, migrations.SCHEMA_VERSION)
            if engine.dialect.name == "sqlite":
                migrations.migrate(connection)
            elif found != migrations.SCHEMA_VERSION:
                raise SchemaOutdatedError(location, found, migrations.SCHEMA_VERSION)
    except StorageError:
        engine.dispose()
        raise
    except migrations.ForeignDatabaseError as error:
        engine.dispose()
        raise StorageError(_foreign_message(location, error)) from None
    except sa.exc.DatabaseError as error:
        engine.dispose()
        raise StorageError(_explain_database_error(location, error)) from None
    return Store(engine, location)


def migrate_database(url: str) -> tuple[int | None, int]:
    """Bring the database to the current schema; returns (version found, version now).

    Every step runs in one transaction; on PostgreSQL under an advisory lock, so two desks
    migrating at once take turns and the second finds nothing left to do.
    """
    url = normalise_url(url)
    location = _describe(url)
    if _is_sqlite(url):
        _check_sqlite_file_read_only(url, location)
    engine = _create_engine(url)
    try:
        with engine.execution_options(sqlite_begin="IMMEDIATE").begin() as connection:
            migrations.lock_for_migration(connection)
            found = migrations.read_version(connection)
            if found is not None and found > migrations.SCHEMA_VERSION:
                raise SchemaTooNewError(location, found, migrations.SCHEMA_VERSION)
            return migrations.migrate(connection)
    except migrations.ForeignDatabaseError as error:
        raise StorageError(_foreign_message(location, error)) from None
    except sa.exc.DatabaseError as error:
        raise StorageError(_explain_database_error(location, error)) from None
    finally:
        engine.dispose()


def normalise_url(url: str) -> str:
    """``postgresql://`` and ``postgres://`` mean psycopg 3 (SQLAlchemy 2.0 would pick
    psycopg2, which DeskPilot does not install); other URLs pass through unchanged."""
    try:
        parsed = sa.make_url(url)
    except sa.exc.ArgumentError:
        raise StorageError(
            f"'{url}' is not a database URL (sqlite:///PATH or postgresql://...)"
        ) from None
    if parsed.drivername in {"postgresql", "postgres"}:
        return parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    return url


def describe_url(url: str) -> str:
    """The database as messages name it: a SQLite path, or the URL without its password
    (in the user info or in the query, e.g. ``?sslpassword=``)."""
    return mask_url_secrets(_describe(normalise_url(url)))


def _is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


def _check_sqlite_file_read_only(url: str, location: str) -> None:
    """Look at an existing file without changing a byte (switching to WAL would), so a
    corrupted, foreign or newer database is refused exactly as it was found."""
    path = sa.make_url(url).database
    if not path or not Path(path).exists():
        return
    probe = sa.create_engine(f"sqlite:///file:{path}?mode=ro&uri=true")
    try:
        with probe.connect() as connection:
            found = migrations.read_version(connection)
    except migrations.ForeignDatabaseError as error:
        raise StorageError(_foreign_message(location, error)) from None
    except sa.exc.DatabaseError as error:
        raise StorageError(_explain_database_error(location, error)) from None
    finally:
        probe.dispose()
    if found is not None and found > migrations.SCHEMA_VERSION:
        raise SchemaTooNewError(location, found, migrations.SCHEMA_VERSION)


def _foreign_message(location: str, error: Exception) -> str:
    return (
        f"{location}: not a DeskPilot database: {error}; point --workspace at another "
        "folder, or move this file away"
    )


def _create_engine(url: str) -> Engine:
    if _is_sqlite(url):
        engine = sa.create_engine(url, connect_args={"timeout": 30})
        event.listen(engine, "connect", _configure_sqlite)
        event.listen(engine, "begin", _begin_sqlite)
        return engine
    try:
        return sa.create_engine(url, pool_pre_ping=True)
    except ModuleNotFoundError as error:
        raise StorageError(
            f"{_describe(url)}: the database driver is not installed ({error.name}); "
            "install DeskPilot with PostgreSQL support: pip install 'deskpilot[postgres]'"
        ) from None


def _configure_sqlite(dbapi_connection: Any, _record: Any) -> None:
    # The sqlite3 module only opens transactions before DML, so reads and DDL would escape
    # them; take BEGIN over (see _begin_sqlite) so every transaction really is one.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    # WAL lets the TUI read while a worker writes; NORMAL sync is durable across process
    # crashes (only a power loss can drop the last commits).
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def _begin_sqlite(connection: sa.Connection) -> None:
    # Writers take the write lock up front (IMMEDIATE): two writers then queue on the busy
    # timeout instead of one failing when it upgrades a read lock.
    mode = connection.get_execution_options().get("sqlite_begin", "DEFERRED")
    connection.exec_driver_sql(f"BEGIN {mode}")


def _describe(url: str) -> str:
    return sa.make_url(url).render_as_string(hide_password=True).removeprefix("sqlite:///")


def _explain_database_error(location: str, error: sa.exc.DBAPIError) -> str:
    detail = str(error.orig) if error.orig else str(error)
    detail = " ".join(detail.split())  # PostgreSQL adds DETAIL and HINT lines: keep one line
    if "not a database" in detail or "malformed" in detail:
        return (
            f"{location}: the database file is corrupted or not a DeskPilot database "
            f"({detail}); restore it from a backup, or move it away to start a fresh workspace"
        )
    if "readonly" in detail or "unable to open" in detail:
        return f"{location}: cannot write the database ({detail}); check the folder's permissions"
    return f"{location}: database error: {detail}"


class Store:
    def __init__(self, engine: Engine, location: str) -> None:
        self._engine = engine
        self._writer = engine.execution_options(sqlite_begin="IMMEDIATE")
        self._active: ContextVar[sa.Connection | None] = ContextVar(
            f"deskpilot-store-{id(self)}", default=None
        )
        self.location = location
        self._listener: ChangeListener | None = None

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Every store call inside commits together, or (on an exception) none does."""
        if self._active.get() is not None:
            yield
            return
        with self._driver_errors(), self._writer.begin() as connection:
            token = self._active.set(connection)
            try:
                yield
            finally:
                self._active.reset(token)

    @contextmanager
    def _write(self) -> Iterator[sa.Connection]:
        active = self._active.get()
        if active is not None:
            yield active
            return
        with self._driver_errors(), self._writer.begin() as connection:
            yield connection

    @contextmanager
    def _read(self) -> Iterator[sa.Connection]:
        active = self._active.get()
        if active is not None:
            yield active
            return
        with self._driver_errors(), self._engine.connect() as connection:
            yield connection

    @contextmanager
    def _driver_errors(self) -> Iterator[None]:
        """Once open, a driver error (a database locked too long, a connection lost, a full
        disk) is a StorageError naming the database: callers such as the TUI's autosave handle
        DeskPilot errors and carry on, where a raw driver error would end the desk."""
        try:
            yield
        except sa.exc.DBAPIError as error:
            raise StorageError(_explain_database_error(self.location, error)) from error

    # The store's persisted concerns kept in modules of their own (``store/channels.py``) work
    # through these: the transaction in progress, else a connection of their own.

    def writing(self) -> AbstractContextManager[sa.Connection]:
        return self._write()

    def reading(self) -> AbstractContextManager[sa.Connection]:
        return self._read()

    def announce(self, connection: sa.Connection, payload: str) -> None:
        """Tell listening desks the queue changed (when ``connection``'s transaction commits)."""
        self._notify(connection, payload)

    def get_meta(self, key: str) -> str | None:
        with self._read() as connection:
            value = connection.execute(
                sa.select(schema.meta.c.value).where(schema.meta.c.key == key)
            ).scalar_one_or_none()
        return None if value is None else str(value)

    def set_meta(self, key: str, value: str) -> None:
        with self._write() as connection:
            migrations.write_meta(connection, key, value)

    def close(self) -> None:
        if self._listener is not None:
            self._listener.close()
            self._listener = None
        self._engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    @property
    def dialect(self) -> str:
        return self._engine.dialect.name

    @property
    def schema_version(self) -> int:
        with self._read() as connection:
            version = migrations.read_version(connection)
        assert version is not None
        return version

    # --- tickets -------------------------------------------------------------------------

    def add_tickets(self, tickets: Iterable[Ticket], *, connector: str = "") -> AddResult:
        """Insert tickets (with their customers and messages) in one transaction.

        Ids already in the store are skipped, so importing the same file twice adds nothing.
        Customers are saved by id (the caller matched them by email first). ``connector``: the
        channel the messages came through (the channel sync's new tickets).
        """
        batch = list(tickets)
        result = AddResult()
        with self._write() as connection:
            existing = self._existing_ids(connection, schema.tickets, [t.id for t in batch])
            seen: set[str] = set()
            fresh = []
            for ticket in batch:
                if ticket.id in existing or ticket.id in seen:
                    result.skipped.append(ticket.id)
                else:
                    seen.add(ticket.id)
                    fresh.append(ticket)
            self._save_customers(connection, [t.customer for t in fresh])
            self._insert_many(connection, schema.tickets, [_ticket_row(t) for t in fresh])
            self._insert_many(
                connection,
                schema.messages,
                [
                    _message_row(t.id, seq, m, connector)
                    for t in fresh
                    for seq, m in enumerate(t.messages)
                ],
            )
            result.added = [t.id for t in fresh]
            if fresh:
                self._notify(connection, "added")
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
                customer = self._customer(connection, row.customer_id)
            thread = connection.execute(
                sa.select(schema.messages)
                .where(schema.messages.c.ticket_id == ticket_id)
                .order_by(schema.messages.c.seq)
            ).all()
        return _ticket_from_row(row, customer, [_message_from_row(m) for m in thread])

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
        t, c = schema.tickets, schema.customers
        query = (
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
                t.c.unread_since.is_not(None).label("unread"),
                c.c.name.label("customer_name"),
                c.c.email.label("customer_email"),
                c.c.tier,
            )
            .select_from(t.outerjoin(c, t.c.customer_id == c.c.id))
            .where(*_conditions(where))
            .order_by(*_ordering(sort, descending))
            .limit(limit)
            .offset(offset)
        )
        with self._read() as connection:
            rows = connection.execute(query).all()
        return [
            TicketSummary(
                **{
                    **row._mapping,
                    "customer_name": row.customer_name or "",
                    "customer_email": row.customer_email or "",
                }
            )
            for row in rows
        ]

    def count_tickets(self, where: QueueFilter | None = None) -> int:
        query = sa.select(sa.func.count()).select_from(schema.tickets).where(*_conditions(where))
        with self._read() as connection:
            return int(connection.execute(query).scalar_one())

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
            self._notify(connection, ticket_id)
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
            row = _message_row(ticket_id, seq + 1, message, connector)
            try:
                inserted = connection.execute(m.insert().values(**row))
            except sa.exc.IntegrityError:
                raise NotFoundError(f"no ticket with id '{ticket_id}' in {self.location}") from None
            connection.execute(
                schema.tickets.update()
                .where(schema.tickets.c.id == ticket_id)
                .values(updated_at=message.at)
            )
            self._notify(connection, ticket_id)
        return _new_id(inserted)

    def answered_threads(
        self, statuses: Iterable[Status], batch: int = 5000
    ) -> Iterator[ResolvedThread]:
        """The question and agent replies of every ticket in these statuses, streamed in one
        query (the knowledge index reads 100k of them; one get_ticket each would take minutes)."""
        t, m = schema.tickets, schema.messages
        query = (
            sa.select(t.c.id, t.c.subject, t.c.intent, m.c.author, m.c.body)
            .join_from(t, m, m.c.ticket_id == t.c.id)
            .where(
                t.c.status.in_([Status(status).value for status in statuses]),
                m.c.author.in_([Author.CUSTOMER.value, Author.AGENT.value]),
            )
            .order_by(t.c.id, m.c.seq)
        )
        with self._read() as connection:
            rows = connection.execution_options(yield_per=batch).execute(query)
            for ticket_id, group in itertools.groupby(rows, key=lambda row: row.id):
                thread = list(group)
                yield ResolvedThread(
                    ticket_id=ticket_id,
                    subject=thread[0].subject,
                    intent=thread[0].intent,
                    question=next(
                        (r.body for r in thread if r.author == Author.CUSTOMER.value), ""
                    ),
                    replies=[r.body for r in thread if r.author == Author.AGENT.value],
                )

    def search_corpus(self, where: QueueFilter | None = None) -> list[tuple[str, str]]:
        """(id, subject + first customer message + customer) of matching tickets, for fuzzy
        search as an agent types."""
        t, m, c = schema.tickets, schema.messages, schema.customers
        query = (
            sa.select(t.c.id, t.c.subject, m.c.body, c.c.name, c.c.email)
            .select_from(t)
            .outerjoin(c, t.c.customer_id == c.c.id)
            .outerjoin(m, sa.and_(m.c.ticket_id == t.c.id, m.c.seq == 0))
            .where(*_conditions(where))
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

    def approved_replies(self, intent: str, *, limit: int = 3, exclude: str = "") -> list[str]:
        """The replies agents sent on resolved tickets of this intent, best rated first: the
        few-shot examples and the local drafter's models."""
        t, m = schema.tickets, schema.messages
        last_agent = (
            sa.select(sa.func.max(m.c.seq))
            .where(m.c.ticket_id == t.c.id, m.c.author == Author.AGENT.value)
            .correlate(t)
            .scalar_subquery()
        )
        reply = m.alias("reply")
        query = (
            sa.select(reply.c.body)
            .select_from(t)
            .join(reply, sa.and_(reply.c.ticket_id == t.c.id, reply.c.seq == last_agent))
            .where(
                t.c.intent == intent,
                # A reply an agent sent is approved, whether or not the customer confirmed it.
                t.c.status.in_([s.value for s in (Status.PENDING, Status.SOLVED, Status.CLOSED)]),
                t.c.id != exclude,
                sa.or_(t.c.csat.is_(None), t.c.csat >= 4),
            )
            .order_by(t.c.csat.desc().nulls_last(), t.c.updated_at.desc(), t.c.id)
            .limit(limit)
        )
        with self._read() as connection:
            return [row.body for row in connection.execute(query)]

    def labelled_texts(self) -> list[tuple[str, str, str]]:
        """(subject, first customer message, intent) of every ticket a human labelled."""
        t, m = schema.tickets, schema.messages
        inner = m.alias("first")
        first_customer = (
            sa.select(sa.func.min(inner.c.seq))
            .where(inner.c.ticket_id == t.c.id, inner.c.author == Author.CUSTOMER.value)
            .correlate(t)
            .scalar_subquery()
        )
        query = (
            sa.select(t.c.subject, m.c.body, t.c.intent)
            .select_from(t)
            .join(m, sa.and_(m.c.ticket_id == t.c.id, m.c.seq == first_customer))
            .where(
                t.c.intent.is_not(None),
                t.c.intent_source.in_([IntentSource.LABEL.value, IntentSource.CORRECTION.value]),
            )
            .order_by(t.c.created_at, t.c.id)
        )
        with self._read() as connection:
            return [(row.subject, row.body, row.intent) for row in connection.execute(query)]

    def save_triages(self, records: Iterable[TriageRecord]) -> None:
        """Store triages; a ticket takes the predicted intent unless a human labelled it."""
        t, tr = schema.tickets, schema.triage
        human = [IntentSource.LABEL.value, IntentSource.CORRECTION.value]
        rows = [{**r.model_dump(mode="json"), "at": r.at} for r in records]
        with self._write() as connection:
            for chunk in _chunks(rows, BATCH):
                ids = [row["ticket_id"] for row in chunk]
                connection.execute(tr.delete().where(tr.c.ticket_id.in_(ids)))
                connection.execute(tr.insert(), chunk)
            for row in rows:
                connection.execute(
                    t.update().where(t.c.id == row["ticket_id"]).values(sentiment=row["sentiment"])
                )
                connection.execute(
                    t.update()
                    .where(
                        t.c.id == row["ticket_id"],
                        sa.or_(t.c.intent_source.is_(None), t.c.intent_source.not_in(human)),
                    )
                    .values(
                        intent=row["intent"],
                        intent_confidence=row["confidence"],
                        intent_source=IntentSource.PREDICTED.value,
                    )
                )
            if rows:
                self._notify(connection, "triaged")

    def get_triage(self, ticket_id: str) -> TriageRecord | None:
        tr = schema.triage
        with self._read() as connection:
            row = connection.execute(sa.select(tr).where(tr.c.ticket_id == ticket_id)).one_or_none()
        return TriageRecord.model_validate(row._asdict()) if row else None

    # --- customers -----------------------------------------------------------------------

    def add_customers(self, customers: Iterable[Customer]) -> None:
        """Insert new customers and update known ones (matched by id)."""
        with self._write() as connection:
            self._save_customers(connection, list(customers))

    def get_customer(self, customer_id: str) -> Customer:
        with self._read() as connection:
            return self._customer(connection, customer_id)

    def find_customer(self, customer_id: str) -> Customer | None:
        c = schema.customers
        with self._read() as connection:
            row = connection.execute(sa.select(c).where(c.c.id == customer_id)).one_or_none()
        return Customer.model_validate(row._asdict()) if row else None

    def find_customers_by_emails(self, emails: Sequence[str]) -> dict[str, Customer]:
        c = schema.customers
        found: dict[str, Customer] = {}
        with self._read() as connection:
            for chunk in _chunks(list(emails), BATCH):
                for row in connection.execute(sa.select(c).where(c.c.email.in_(chunk))):
                    found[row.email] = Customer.model_validate(row._asdict())
        return found

    def list_customers(self) -> list[Customer]:
        """Every customer, by id: the names the training export must redact."""
        c = schema.customers
        with self._read() as connection:
            rows = connection.execute(sa.select(c).order_by(c.c.id))
            return [Customer.model_validate(row._asdict()) for row in rows]

    def count_customers(self) -> int:
        with self._read() as connection:
            query = sa.select(sa.func.count()).select_from(schema.customers)
            return int(connection.execute(query).scalar_one())

    # --- drafts, edit events, audit trail ------------------------------------------------

    def save_draft(self, draft: Draft) -> int:
        row = draft.model_dump(mode="python")
        row["sources"] = [s.model_dump(mode="json") for s in draft.sources]
        with self._write() as connection:
            inserted = connection.execute(schema.drafts.insert().values(**row))
        return _new_id(inserted)

    def latest_draft(self, ticket_id: str) -> Draft | None:
        d = schema.drafts
        with self._read() as connection:
            row = connection.execute(
                sa.select(d).where(d.c.ticket_id == ticket_id).order_by(d.c.id.desc()).limit(1)
            ).one_or_none()
        if row is None:
            return None
        return Draft.model_validate({k: v for k, v in row._asdict().items() if k != "id"})

    def save_edit_event(self, edit: EditEvent) -> None:
        """Insert or update an edit event; each call is committed before it returns."""
        row = edit.model_dump(mode="python")
        e = schema.edit_events
        with self._write() as connection:
            updated = connection.execute(e.update().where(e.c.id == edit.id).values(**row))
            if updated.rowcount == 0:
                connection.execute(e.insert().values(**row))

    def get_edit_event(self, event_id: str) -> EditEvent:
        e = schema.edit_events
        with self._read() as connection:
            row = connection.execute(sa.select(e).where(e.c.id == event_id)).one_or_none()
        if row is None:
            raise NotFoundError(f"no edit event '{event_id}' in {self.location}")
        return EditEvent.model_validate(row._asdict())

    def list_edit_events(
        self, ticket_id: str | None = None, *, since: datetime | None = None
    ) -> list[EditEvent]:
        e = schema.edit_events
        query = sa.select(e).order_by(e.c.shown_at, e.c.id)
        if ticket_id is not None:
            query = query.where(e.c.ticket_id == ticket_id)
        if since is not None:
            query = query.where(e.c.shown_at >= since)
        with self._read() as connection:
            return [EditEvent.model_validate(row._asdict()) for row in connection.execute(query)]

    def pending_edit_event(self, ticket_id: str, agent: str) -> EditEvent | None:
        """The agent's unfinished edit of this ticket's draft, if a desk closed mid-edit."""
        e = schema.edit_events
        query = (
            sa.select(e)
            .where(
                e.c.ticket_id == ticket_id,
                e.c.agent == agent,
                e.c.outcome == EditOutcome.PENDING.value,
            )
            .order_by(e.c.updated_at.desc(), e.c.id.desc())
            .limit(1)
        )
        with self._read() as connection:
            row = connection.execute(query).one_or_none()
        return None if row is None else EditEvent.model_validate(row._asdict())

    def save_edit_revision(self, revision: EditRevision) -> None:
        """Append an autosaved state and bring its event's current text up to it, in one commit:
        a desk killed right after this returns reopens exactly this text."""
        e = schema.edit_events
        with self._write() as connection:
            # The event first: an unknown one is a NotFoundError, not a foreign key failure.
            updated = connection.execute(
                e.update()
                .where(e.c.id == revision.event_id)
                .values(
                    current_text=revision.text,
                    keystrokes=revision.keystrokes,
                    updated_at=revision.at,
                )
            )
            if updated.rowcount == 0:
                raise NotFoundError(f"no edit event '{revision.event_id}' in {self.location}")
            connection.execute(
                schema.edit_revisions.insert().values(**revision.model_dump(mode="python"))
            )

    def list_edit_revisions(self, event_id: str) -> list[EditRevision]:
        r = schema.edit_revisions
        query = sa.select(r).where(r.c.event_id == event_id).order_by(r.c.id)
        with self._read() as connection:
            return [
                EditRevision.model_validate({k: v for k, v in row._asdict().items() if k != "id"})
                for row in connection.execute(query)
            ]

    def get_draft(self, draft_id: int) -> Draft | None:
        d = schema.drafts
        with self._read() as connection:
            row = connection.execute(sa.select(d).where(d.c.id == draft_id)).one_or_none()
        if row is None:
            return None
        return Draft.model_validate({k: v for k, v in row._asdict().items() if k != "id"})

    def save_source_feedback(self, tallies: Mapping[str, tuple[int, int, int]]) -> None:
        """Replace the learned tallies: source id -> (drafts built on it, kept, misled)."""
        f = schema.source_feedback
        now = utcnow()
        rows = [
            {"source_id": key, "used": used, "kept": kept, "misled": misled, "updated_at": now}
            for key, (used, kept, misled) in tallies.items()
        ]
        with self._write() as connection:
            connection.execute(f.delete())
            for chunk in _chunks(rows, BATCH):
                connection.execute(f.insert(), chunk)

    def add_source_feedback(self, deltas: Mapping[str, tuple[int, int, int]]) -> None:
        """Add one edit's evidence to the tallies (learn() recomputes them from scratch)."""
        f = schema.source_feedback
        now = utcnow()
        with self._write() as connection:
            for key, (used, kept, misled) in deltas.items():
                updated = connection.execute(
                    f.update()
                    .where(f.c.source_id == key)
                    .values(
                        used=f.c.used + used,
                        kept=f.c.kept + kept,
                        misled=f.c.misled + misled,
                        updated_at=now,
                    )
                )
                if updated.rowcount == 0:
                    connection.execute(
                        f.insert().values(
                            source_id=key, used=used, kept=kept, misled=misled, updated_at=now
                        )
                    )

    def source_feedback(self) -> dict[str, tuple[int, int, int]]:
        f = schema.source_feedback
        with self._read() as connection:
            return {
                row.source_id: (row.used, row.kept, row.misled)
                for row in connection.execute(sa.select(f))
            }

    def ticket_facts(
        self, since: datetime | None = None, until: datetime | None = None
    ) -> list[TicketFacts]:
        """Every ticket created since ``since`` (or ever) and before ``until`` (or now), with
        its first reply and triage."""
        t, m, tr, c = schema.tickets, schema.messages, schema.triage, schema.customers
        first_reply = (
            sa.select(sa.func.min(m.c.at))
            .where(m.c.ticket_id == t.c.id, m.c.author == Author.AGENT.value)
            .correlate(t)
            .scalar_subquery()
        )
        last_customer = (
            sa.select(sa.func.max(m.c.at))
            .where(m.c.ticket_id == t.c.id, m.c.author == Author.CUSTOMER.value)
            .correlate(t)
            .scalar_subquery()
        )
        last_speaker = (
            sa.select(m.c.author)
            .where(m.c.ticket_id == t.c.id, m.c.author != Author.NOTE.value)
            .order_by(m.c.seq.desc())
            .limit(1)
            .correlate(t)
            .scalar_subquery()
        )
        query = (
            sa.select(
                t.c.id,
                t.c.intent,
                t.c.status,
                t.c.created_at,
                t.c.updated_at,
                t.c.csat,
                t.c.page_context,
                first_reply.label("first_reply_at"),
                last_speaker.label("last_speaker"),
                tr.c.handoff,
                tr.c.handoff_reason,
                t.c.priority,
                t.c.channel,
                t.c.assignee,
                c.c.tier,
                last_customer.label("last_customer_at"),
            )
            .select_from(
                t.outerjoin(tr, tr.c.ticket_id == t.c.id).outerjoin(c, c.c.id == t.c.customer_id)
            )
            .order_by(t.c.created_at, t.c.id)
        )
        if since is not None:
            query = query.where(t.c.created_at >= since)
        if until is not None:
            query = query.where(t.c.created_at < until)
        with self._read() as connection:
            rows = connection.execute(query).all()
        return [
            TicketFacts(
                id=row.id,
                intent=row.intent,
                status=Status(row.status),
                created_at=row.created_at,
                updated_at=row.updated_at,
                csat=row.csat,
                first_reply_at=row.first_reply_at,
                customer_spoke_last=row.last_speaker == Author.CUSTOMER.value,
                handoff_reason=row.handoff_reason if row.handoff else None,
                page=_page_name(row.page_context),
                priority=Priority(row.priority),
                channel=Channel(row.channel),
                tier=Tier(row.tier) if row.tier else None,
                assignee=row.assignee,
                last_customer_at=row.last_customer_at,
            )
            for row in rows
        ]

    def agent_replies(
        self, since: datetime | None = None, until: datetime | None = None
    ) -> list[ReplyFact]:
        """Every agent reply on the tickets created in the period, oldest first."""
        t, m = schema.tickets, schema.messages
        query = (
            sa.select(m.c.ticket_id, m.c.author_name, m.c.at)
            .select_from(m.join(t, t.c.id == m.c.ticket_id))
            .where(m.c.author == Author.AGENT.value)
            .order_by(m.c.at, m.c.id)
        )
        if since is not None:
            query = query.where(t.c.created_at >= since)
        if until is not None:
            query = query.where(t.c.created_at < until)
        with self._read() as connection:
            return [
                ReplyFact(r.ticket_id, r.author_name or "", r.at) for r in connection.execute(query)
            ]

    def drafts_by_id(self, ids: Iterable[int]) -> dict[int, Draft]:
        d = schema.drafts
        found: dict[int, Draft] = {}
        with self._read() as connection:
            for chunk in _chunks(sorted(set(ids)), BATCH):
                for row in connection.execute(sa.select(d).where(d.c.id.in_(chunk))):
                    values = row._asdict()
                    draft_id = values.pop("id")
                    found[draft_id] = Draft.model_validate(values)
        return found

    def queue_marker(self) -> tuple[datetime | None, int]:
        """Changes when any ticket is added or changed: a desk polls it to refresh its queue."""
        t = schema.tickets
        with self._read() as connection:
            newest = connection.execute(sa.select(sa.func.max(t.c.updated_at))).scalar_one()
            count = connection.execute(sa.select(sa.func.count()).select_from(t)).scalar_one()
        return newest, int(count)

    # --- team mode: claims ----------------------------------------------------------------

    def claim(
        self, ticket_id: str, agent: str, *, lease: timedelta, now: datetime | None = None
    ) -> Claim:
        """Take the ticket for ``agent`` until ``now + lease``, or refuse (ClaimError) while
        another agent's lease runs. Claiming a ticket one already holds renews it."""
        now = now or utcnow()
        t = schema.tickets
        with self._write() as connection:
            row = connection.execute(
                sa.select(t.c.claimed_by, t.c.claim_token, t.c.claimed_until)
                .where(t.c.id == ticket_id)
                .with_for_update()
            ).one_or_none()
            if row is None:
                raise NotFoundError(f"no ticket with id '{ticket_id}' in {self.location}")
            live = row.claimed_until is not None and row.claimed_until > now
            if live and row.claimed_by != agent:
                raise _held_by(ticket_id, row.claimed_by, row.claimed_until)
            token = row.claim_token if live and row.claim_token else str(uuid.uuid4())
            claim = Claim(ticket_id=ticket_id, agent=agent, token=token, until=now + lease)
            self._write_claim(connection, claim, announce=not live)
        return claim

    def claim_next(
        self,
        agent: str,
        *,
        lease: timedelta,
        where: QueueFilter | None = None,
        now: datetime | None = None,
    ) -> Claim | None:
        """Claim the first ticket in queue order that nobody holds (new or open ones unless
        ``where`` says otherwise); None when there is none.

        PostgreSQL: ``FOR UPDATE SKIP LOCKED``, so desks claiming at once each lock a different
        row instead of queueing on the first. SQLite: writers are serialised (BEGIN IMMEDIATE).
        Either way the UPDATE re-checks that the ticket is still free.
        """
        now = now or utcnow()
        t = schema.tickets
        where = where or QueueFilter(statuses=CLAIMABLE_STATUSES)
        free = sa.or_(t.c.claimed_until.is_(None), t.c.claimed_until <= now)
        query = (
            sa.select(t.c.id)
            .where(*_conditions(where), free)
            .order_by(*_ordering("priority", False))
            .limit(1)
            .with_for_update(skip_locked=True)
        )
        with self._write() as connection:
            while True:
                ticket_id = connection.execute(query).scalar_one_or_none()
                if ticket_id is None:
                    return None
                claim = Claim(
                    ticket_id=ticket_id, agent=agent, token=str(uuid.uuid4()), until=now + lease
                )
                if self._write_claim(connection, claim, announce=True, only_if=free):
                    return claim

    def renew_claim(self, claim: Claim, *, lease: timedelta, now: datetime | None = None) -> Claim:
        """Extend the lease while the agent works; ClaimError if someone took the ticket."""
        now = now or utcnow()
        t = schema.tickets
        renewed = claim.model_copy(update={"until": now + lease})
        with self._write() as connection:
            updated = connection.execute(
                t.update()
                .where(t.c.id == claim.ticket_id, t.c.claim_token == claim.token)
                .values(claimed_until=renewed.until)
            )
            if updated.rowcount == 0:
                raise self._lost(connection, claim)
        return renewed

    def check_claim(self, claim: Claim) -> None:
        """Inside a transaction: lock the ticket and make sure ``claim`` still holds it, so
        whatever the transaction writes next is done by the agent who holds the ticket.

        A lease that ran out without anyone taking the ticket still holds (the token would
        have changed otherwise)."""
        t = schema.tickets
        with self._write() as connection:
            token = connection.execute(
                sa.select(t.c.claim_token).where(t.c.id == claim.ticket_id).with_for_update()
            ).scalar_one_or_none()
            if token != claim.token:
                raise self._lost(connection, claim)

    def release_claim(self, claim: Claim) -> bool:
        """Let the ticket go (after sending, closing, or leaving it); False if it was not held
        by this claim any more."""
        t = schema.tickets
        with self._write() as connection:
            updated = connection.execute(
                t.update()
                .where(t.c.id == claim.ticket_id, t.c.claim_token == claim.token)
                .values(claimed_by=None, claim_token=None, claimed_until=None, updated_at=utcnow())
            )
            if updated.rowcount:
                self._notify(connection, claim.ticket_id)
        return bool(updated.rowcount)

    def claim_holder(self, ticket_id: str, *, now: datetime | None = None) -> Claim | None:
        """The live claim on the ticket, whoever holds it; None when it is free."""
        now = now or utcnow()
        t = schema.tickets
        with self._read() as connection:
            row = connection.execute(
                sa.select(t.c.claimed_by, t.c.claim_token, t.c.claimed_until).where(
                    t.c.id == ticket_id
                )
            ).one_or_none()
        if row is None:
            raise NotFoundError(f"no ticket with id '{ticket_id}' in {self.location}")
        if row.claimed_until is None or row.claimed_until <= now:
            return None
        return Claim(
            ticket_id=ticket_id,
            agent=row.claimed_by,
            token=row.claim_token,
            until=row.claimed_until,
        )

    def _write_claim(
        self,
        connection: sa.Connection,
        claim: Claim,
        *,
        announce: bool,
        only_if: sa.ColumnElement[bool] | None = None,
    ) -> bool:
        t = schema.tickets
        values: dict[str, Any] = {
            "claimed_by": claim.agent,
            "claim_token": claim.token,
            "claimed_until": claim.until,
        }
        if announce:
            values["updated_at"] = utcnow()  # other desks' queues show who took it
        conditions = [t.c.id == claim.ticket_id] + ([only_if] if only_if is not None else [])
        updated = connection.execute(t.update().where(*conditions).values(**values))
        if updated.rowcount and announce:
            self._notify(connection, claim.ticket_id)
        return bool(updated.rowcount)

    def _lost(self, connection: sa.Connection, claim: Claim) -> ClaimError:
        t = schema.tickets
        row = connection.execute(
            sa.select(t.c.claimed_by, t.c.claimed_until).where(t.c.id == claim.ticket_id)
        ).one_or_none()
        if row is None:
            return ClaimError(
                f"{claim.ticket_id} no longer exists in {self.location}", claim.ticket_id, None
            )
        holder = row.claimed_by if row.claimed_by != claim.agent else None
        taken = f"{row.claimed_by} took it over" if holder else "it was released"
        return ClaimError(
            f"your claim on {claim.ticket_id} lapsed and {taken}; nothing was done: "
            "reopen the ticket to see what changed",
            claim.ticket_id,
            holder,
        )

    # --- team mode: live queue ------------------------------------------------------------

    def _notify(self, connection: sa.Connection, payload: str) -> None:
        """Wake every desk listening on PostgreSQL when this transaction commits (a rolled back
        one sends nothing; PostgreSQL folds repeats within one transaction). SQLite desks poll
        ``queue_marker`` instead."""
        if connection.dialect.name == "postgresql":
            connection.execute(sa.select(sa.func.pg_notify(QUEUE_CHANNEL, payload[:200])))

    def change_listener(self, poll_interval: float = 0.5) -> ChangeListener:
        """A listener with its own connection whose ``wait(timeout)`` blocks until a ticket is
        added or changed (LISTEN/NOTIFY on PostgreSQL, polling ``queue_marker`` on SQLite).
        One listener per thread; close it when done."""
        if self.dialect == "postgresql":
            return _NotifyListener(self._engine)
        return _PollingListener(self, poll_interval)

    def wait_for_change(self, timeout: float) -> bool:
        """Block up to ``timeout`` seconds for a change to the queue since the previous call
        (the first call starts listening); True if one came. For one watcher thread; more
        watchers each take their own ``change_listener()``."""
        if self._listener is None:
            self._listener = self.change_listener()
        return self._listener.wait(timeout)

    def record_action(self, record: ActionRecord) -> ActionRecord:
        row = record.model_dump(mode="python", exclude={"id"})
        row["params"] = json.loads(json.dumps(record.params, default=str))
        with self._write() as connection:
            inserted = connection.execute(schema.actions.insert().values(**row))
        return record.model_copy(update={"id": _new_id(inserted)})

    def list_actions(
        self,
        ticket_id: str | None = None,
        *,
        action: str | None = None,
        since: datetime | None = None,
    ) -> list[ActionRecord]:
        a = schema.actions
        query = sa.select(a).order_by(a.c.id)
        if ticket_id is not None:
            query = query.where(a.c.ticket_id == ticket_id)
        if action is not None:
            query = query.where(a.c.action == action)
        if since is not None:
            query = query.where(a.c.at >= since)
        with self._read() as connection:
            return [ActionRecord.model_validate(row._asdict()) for row in connection.execute(query)]

    # --- conversation quality ------------------------------------------------------------

    def save_qa_score(self, score: QaScore) -> None:
        """Store a ticket's QA score, replacing an earlier one."""
        q = schema.qa_scores
        row = score.model_dump(mode="python")
        with self._write() as connection:
            connection.execute(q.delete().where(q.c.ticket_id == score.ticket_id))
            connection.execute(q.insert().values(**row))

    def qa_scores(self) -> list[QaScore]:
        q = schema.qa_scores
        with self._read() as connection:
            rows = connection.execute(sa.select(q).order_by(q.c.ticket_id)).all()
        return [QaScore.model_validate(row._asdict()) for row in rows]

    # --- satisfaction surveys ------------------------------------------------------------

    def csat_token(self, ticket_id: str, new_token: str, now: datetime) -> str:
        """The ticket's survey token: the one it has, or ``new_token`` stored for it."""
        c = schema.csat_surveys
        with self._write() as connection:
            found = connection.execute(
                sa.select(c.c.token).where(c.c.ticket_id == ticket_id)
            ).scalar_one_or_none()
            if found is not None:
                return str(found)
            connection.execute(c.insert().values(token=new_token, ticket_id=ticket_id,
                                                 created_at=now))  # fmt: skip
        return new_token

    def answer_csat(self, token: str, score: int, comment: str | None, now: datetime) -> str | None:
        """Record a survey answer (a later answer replaces an earlier one) and put the score
        on the ticket; returns the ticket id, or None for an unknown token."""
        c = schema.csat_surveys
        with self._write() as connection:
            ticket_id = connection.execute(
                sa.select(c.c.ticket_id).where(c.c.token == token)
            ).scalar_one_or_none()
            if ticket_id is None:
                return None
            connection.execute(
                c.update()
                .where(c.c.token == token)
                .values(score=score, comment=comment, answered_at=now)
            )
            # updated_at stays: a score arriving days later does not move when the ticket was
            # resolved. Its QA score counts the CSAT, so it is scored again.
            connection.execute(
                schema.tickets.update().where(schema.tickets.c.id == ticket_id).values(csat=score)
            )
            q = schema.qa_scores
            connection.execute(q.delete().where(q.c.ticket_id == ticket_id))
        return str(ticket_id)

    # --- helpers -------------------------------------------------------------------------

    @staticmethod
    def _existing_ids(connection: sa.Connection, table: sa.Table, ids: Sequence[str]) -> set[str]:
        found: set[str] = set()
        for chunk in _chunks(list(dict.fromkeys(ids)), BATCH):
            found.update(
                connection.execute(sa.select(table.c.id).where(table.c.id.in_(chunk))).scalars()
            )
        return found

    @staticmethod
    def _insert_many(
        connection: sa.Connection, table: sa.Table, rows: list[dict[str, Any]]
    ) -> None:
        for chunk in _chunks(rows, 5000):
            connection.execute(table.insert(), chunk)

    def _save_customers(
        self, connection: sa.Connection, customers: Iterable[Customer | None]
    ) -> None:
        """Insert new customers and update known ones (by id); created_at never changes."""
        wanted = {c.id: c for c in customers if c is not None}
        if not wanted:
            return
        c = schema.customers
        known = self._existing_ids(connection, c, list(wanted))
        fresh = [cust.model_dump(mode="python") for i, cust in wanted.items() if i not in known]
        try:
            self._insert_many(connection, c, fresh)
        except sa.exc.IntegrityError as error:
            raise StorageError(
                f"{self.location}: customer email already taken: {error.orig}"
            ) from None
        for customer_id in known:
            row = wanted[customer_id].model_dump(mode="python", exclude={"id", "created_at"})
            connection.execute(c.update().where(c.c.id == customer_id).values(**row))

    @staticmethod
    def _customer(connection: sa.Connection, customer_id: str) -> Customer:
        c = schema.customers
        row = connection.execute(sa.select(c).where(c.c.id == customer_id)).one_or_none()
        if row is None:
            raise NotFoundError(f"no customer with id '{customer_id}'")
        return Customer.model_validate(row._asdict())


def _conditions(where: QueueFilter | None) -> list[sa.ColumnElement[bool]]:
    if where is None:
        return []
    t = schema.tickets
    conditions: list[sa.ColumnElement[bool]] = []
    if where.statuses is not None:
        conditions.append(t.c.status.in_(sorted(s.value for s in where.statuses)))
    if where.intent is not None:
        conditions.append(t.c.intent == where.intent)
    if where.priority is not None:
        conditions.append(t.c.priority == where.priority.value)
    if where.assignee is not None:
        conditions.append(t.c.assignee == where.assignee)
    if where.unassigned:
        conditions.append(t.c.assignee.is_(None))
    if where.free_for is not None:
        conditions.append(sa.or_(t.c.assignee.is_(None), t.c.assignee == where.free_for))
    if where.customer_id is not None:
        conditions.append(t.c.customer_id == where.customer_id)
    if where.created_before is not None:
        conditions.append(
            sa.or_(
                *(
                    sa.and_(t.c.priority == priority.value, t.c.created_at < moment)
                    for priority, moment in where.created_before
                )
            )
        )
    if where.ids is not None:
        conditions.append(t.c.id.in_(sorted(where.ids)))
    if where.tag is not None:
        # Tags are a JSON list; its text holds each tag quoted, on every backend.
        conditions.append(sa.cast(t.c.tags, sa.Text).contains(json.dumps(where.tag)))
    return conditions


def _ordering(sort: str, descending: bool) -> list[sa.ColumnElement[Any]]:
    t, c = schema.tickets, schema.customers
    columns: dict[str, list[sa.ColumnElement[Any]]] = {
        "priority": [t.c.priority_rank, t.c.created_at],
        "age": [t.c.created_at],
        "id": [],
        "status": [t.c.status, t.c.priority_rank, t.c.created_at],
        "intent": [t.c.intent, t.c.priority_rank, t.c.created_at],
        "sentiment": [t.c.sentiment, t.c.priority_rank, t.c.created_at],
        "customer": [c.c.name, c.c.email, t.c.created_at],
        "assignee": [t.c.assignee, t.c.priority_rank, t.c.created_at],
        "subject": [t.c.subject],
        "updated": [t.c.updated_at],
    }
    if sort not in columns:
        raise ValueError(f"cannot sort the queue by '{sort}'; choose one of {', '.join(SORT_KEYS)}")
    keys = [*columns[sort], t.c.id]  # the id makes every order total, so pages never overlap
    # Missing values (no intent yet, no customer) sort first ascending, last descending, on
    # every backend: SQLite's way, which PostgreSQL only follows when told.
    return [_nulls((key.desc() if descending else key.asc()), key, descending) for key in keys]


def _nulls(
    ordered: sa.UnaryExpression[Any], key: sa.ColumnElement[Any], descending: bool
) -> sa.ColumnElement[Any]:
    if not _nullable(key):
        return ordered  # NULLS FIRST/LAST on a NOT NULL column could cost the queue its index
    return ordered.nulls_last() if descending else ordered.nulls_first()


def _nullable(key: sa.ColumnElement[Any]) -> bool:
    return isinstance(key, sa.Column) and (
        key.nullable is True or key.table is schema.customers  # customers are outer-joined
    )


def _page_name(page_context: dict[str, Any] | None) -> str | None:
    if not page_context:
        return None
    return page_context.get("title") or page_context.get("url") or None


def _new_id(inserted: sa.CursorResult[Any]) -> int:
    key = inserted.inserted_primary_key
    assert key is not None
    return int(key[0])


def _chunks(items: list[Any], size: int) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _ticket_row(ticket: Ticket) -> dict[str, Any]:
    return {
        "id": ticket.id,
        "subject": ticket.subject,
        "customer_id": ticket.customer.id if ticket.customer else None,
        "channel": ticket.channel.value,
        "status": ticket.status.value,
        "priority": ticket.priority.value,
        "priority_rank": ticket.priority.rank,
        "created_at": ticket.created_at,
        "updated_at": ticket.updated_at,
        "tags": ticket.tags,
        "intent": ticket.intent,
        "intent_confidence": ticket.intent_confidence,
        "intent_source": ticket.intent_source.value if ticket.intent_source else None,
        "sentiment": ticket.sentiment.value if ticket.sentiment else None,
        "assignee": ticket.assignee,
        "csat": ticket.csat,
        "page_context": ticket.page_context.model_dump(mode="json")
        if ticket.page_context
        else None,
        "source": ticket.source,
        "external_id": ticket.external_id,
    }


def _message_row(ticket_id: str, seq: int, message: Message, connector: str = "") -> dict[str, Any]:
    return {
        "ticket_id": ticket_id,
        "seq": seq,
        "author": message.author.value,
        "author_name": message.author_name,
        "body": message.body,
        "at": message.at,
        "external_id": message.external_id,
        "connector": connector,
        "channel": message.channel.value if message.channel else None,
        "attachments": [a.model_dump(mode="json") for a in message.attachments] or None,
    }


def _message_from_row(row: sa.Row[Any]) -> Message:
    return Message(
        author=Author(row.author),
        body=row.body,
        at=row.at,
        author_name=row.author_name,
        external_id=row.external_id or "",
        channel=row.channel,
        attachments=[Attachment.model_validate(a) for a in row.attachments or []],
    )


def _ticket_from_row(row: sa.Row[Any], customer: Customer | None, thread: list[Message]) -> Ticket:
    data = row._asdict()
    data.pop("customer_id")
    data.pop("priority_rank")
    for local_column in ("claimed_by", "claim_token", "claimed_until", "unread_since"):
        data.pop(local_column)
    page = data.pop("page_context")
    return Ticket.model_validate(
        {
            **data,
            "customer": customer,
            "messages": thread,
            "page_context": PageContext.model_validate(page) if page else None,
        }
    )


def _held_by(ticket_id: str, agent: str, until: datetime) -> ClaimError:
    return ClaimError(
        f"{ticket_id} is being handled by {agent} (claimed until {until:%H:%M} UTC); "
        "pick another ticket",
        ticket_id,
        agent,
    )


class ChangeListener(Protocol):
    def wait(self, timeout: float) -> bool: ...

    def close(self) -> None: ...


class _NotifyListener:
    """LISTEN on a connection of its own (autocommit: notifications arrive between
    transactions only), waiting in the driver without polling the database."""

    def __init__(self, engine: Engine) -> None:
        self._connection = engine.raw_connection()
        driver: Any = self._connection.driver_connection
        driver.autocommit = True
        self._driver = driver
        self._driver.execute(f"LISTEN {QUEUE_CHANNEL}")

    def wait(self, timeout: float) -> bool:
        # Each notifies() generator holds the connection's lock until it finishes: never nest
        # them. The first ends after one notification; the second drains the rest of the burst
        # without waiting, so a burst of changes wakes the desk once.
        woke = any(True for _notify in self._driver.notifies(timeout=timeout, stop_after=1))
        if woke:
            for _more in self._driver.notifies(timeout=0.0):
                pass
        return woke

    def close(self) -> None:
        self._connection.invalidate()  # never hand a LISTENing connection back to the pool


class _PollingListener:
    def __init__(self, store: Store, interval: float) -> None:
        self._store = store
        self._interval = interval
        self._marker = store.queue_marker()

    def wait(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while True:
            marker = self._store.queue_marker()
            if marker != self._marker:
                self._marker = marker
                return True
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            time.sleep(min(self._interval, left))

    def close(self) -> None:
        pass
