"""Versioned, forward-only schema migrations.

A new database is created from the current metadata and stamped with ``SCHEMA_VERSION``.
An older database runs every step after its version, in order, in one transaction. A table is
created by the step that introduced it, from the current metadata; so a later step that changes
an existing table must be idempotent (e.g. add a column only if it is missing), because a table
created by an earlier step on an old database already has today's shape.
"""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa

from deskpilot.store import schema

Step = Callable[[sa.Connection], None]


def _create(*tables: sa.Table) -> Step:
    def step(connection: sa.Connection) -> None:
        for table in tables:
            table.create(connection, checkfirst=True)

    return step


def _add_column(table: sa.Table, column_name: str) -> Step:
    def step(connection: sa.Connection) -> None:
        present = {c["name"] for c in sa.inspect(connection).get_columns(table.name)}
        if column_name in present:
            return
        column = table.c[column_name]
        kind = column.type.compile(dialect=connection.dialect)
        # A NOT NULL column needs its server default to be added to a table with rows.
        default = column.server_default
        if isinstance(default, sa.DefaultClause) and isinstance(default.arg, str):
            literal = default.arg.replace("'", "''")
            kind += (
                f" NOT NULL DEFAULT '{literal}'" if not column.nullable else f" DEFAULT '{literal}'"
            )
        connection.execute(sa.text(f"ALTER TABLE {table.name} ADD COLUMN {column_name} {kind}"))

    return step


def _create_index(table: sa.Table, name: str) -> Step:
    def step(connection: sa.Connection) -> None:
        (index,) = (each for each in table.indexes if each.name == name)
        index.create(connection, checkfirst=True)

    return step


def _steps(*steps: Step) -> Step:
    def step(connection: sa.Connection) -> None:
        for each in steps:
            each(connection)

    return step


def _label_existing_intents(connection: sa.Connection) -> None:
    """Intents stored before v3 came with the tickets: they are human labels."""
    t = schema.tickets
    connection.execute(
        t.update()
        .where(t.c.intent.is_not(None), t.c.intent_source.is_(None))
        .values(intent_source="label")
    )


# Version N is reached by running STEPS[N - 1].
STEPS: tuple[Step, ...] = (
    _create(schema.meta, schema.customers, schema.tickets, schema.messages, schema.drafts),
    _create(schema.edit_events, schema.actions),
    _steps(
        _add_column(schema.tickets, "intent_source"),
        _label_existing_intents,
        _create(schema.triage),
    ),
    _steps(
        _add_column(schema.edit_events, "draft_id"),
        _add_column(schema.edit_events, "diff"),
        _create(schema.edit_revisions, schema.source_feedback),
        _create_index(schema.tickets, "ix_tickets_updated_at"),
    ),
    _steps(
        _add_column(schema.tickets, "claimed_by"),
        _add_column(schema.tickets, "claim_token"),
        _add_column(schema.tickets, "claimed_until"),
        _create_index(schema.tickets, "ix_tickets_claimed_by"),
    ),
    _steps(
        _add_column(schema.tickets, "source"),
        _add_column(schema.tickets, "external_id"),
        _add_column(schema.tickets, "unread_since"),
        _create_index(schema.tickets, "ix_tickets_source_external"),
        _add_column(schema.messages, "external_id"),
        _add_column(schema.messages, "connector"),
        _add_column(schema.messages, "channel"),
        _add_column(schema.messages, "attachments"),
        _create_index(schema.messages, "ix_messages_external"),
        _create(schema.outbox, schema.channel_sync),
    ),
    _create(schema.qa_scores, schema.csat_surveys),
    _steps(
        _add_column(schema.tickets, "snoozed_until"),
        _add_column(schema.tickets, "merged_into"),
        _create_index(schema.tickets, "ix_tickets_customer_created"),
        _add_column(schema.csat_surveys, "due_at"),
        _add_column(schema.csat_surveys, "queued_at"),
        _add_column(schema.csat_surveys, "message_id"),
    ),
    _steps(
        _create_index(schema.tickets, "ix_tickets_rated"),
        _create_index(schema.tickets, "ix_tickets_rated_pg"),
    ),
)
SCHEMA_VERSION = len(STEPS)
VERSION_KEY = "schema_version"


def read_version(connection: sa.Connection) -> int | None:
    """The stored schema version, or None for an empty database.

    A database that holds tables but no version is not DeskPilot's: it is refused, not changed.
    """
    tables = sa.inspect(connection).get_table_names()
    value = None
    if schema.meta.name in tables:
        value = connection.execute(
            sa.select(schema.meta.c.value).where(schema.meta.c.key == VERSION_KEY)
        ).scalar_one_or_none()
    if value is None:
        if tables:
            raise ForeignDatabaseError(
                f"holds tables ({', '.join(sorted(tables)[:5])}) but no DeskPilot schema version"
            )
        return None
    try:
        return int(value)
    except ValueError:
        raise ForeignDatabaseError(f"its schema version {value!r} is not a number") from None


class ForeignDatabaseError(Exception):
    """The database is not one DeskPilot made; the store turns this into a StorageError."""


def write_meta(connection: sa.Connection, key: str, value: str) -> None:
    table = schema.meta
    updated = connection.execute(table.update().where(table.c.key == key).values(value=value))
    if updated.rowcount == 0:
        connection.execute(table.insert().values(key=key, value=value))


def write_version(connection: sa.Connection, version: int) -> None:
    write_meta(connection, VERSION_KEY, str(version))


# Any fixed number: every DeskPilot migrating the same PostgreSQL database takes this lock.
ADVISORY_LOCK_KEY = 0x6465736B  # "desk"


def lock_for_migration(connection: sa.Connection) -> None:
    """On PostgreSQL, wait for any other desk migrating this database, until this transaction
    ends; the version is read after the lock, so the second desk finds the work done.
    (SQLite writers already queue on BEGIN IMMEDIATE.)"""
    if connection.dialect.name == "postgresql":
        connection.execute(sa.select(sa.func.pg_advisory_xact_lock(ADVISORY_LOCK_KEY)))


def migrate(connection: sa.Connection, target: int = SCHEMA_VERSION) -> tuple[int | None, int]:
    """Bring the database to ``target``; returns (version found, version now)."""
    lock_for_migration(connection)
    found = read_version(connection)
    if found is None:
        if target == SCHEMA_VERSION:
            schema.metadata.create_all(connection)
        else:
            for step in STEPS[:target]:
                step(connection)
        write_version(connection, target)
        return None, target
    for step in STEPS[found:target]:
        step(connection)
    if target > found:
        write_version(connection, target)
    return found, max(found, target)
