"""The store's shared base: the engine, a connection to read or write with, and the transaction
in progress.

Each persisted concern of the store (``tickets.py``, ``claims.py``, ...) is a mixin over
``StoreBase``, and ``sql.py`` composes them into ``Store``; the small helpers they all use
(batching, ids) live here too.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from contextvars import ContextVar
from typing import Any, Self

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from deskpilot.errors import StorageError
from deskpilot.store import migrations, schema
from deskpilot.store.engine import explain_database_error

# SQLite allows 32766 bound parameters; keep IN-lists and batches well below that.
BATCH = 500


class StoreBase:
    """The engine and its connections: what every concern of the store works through."""

    def __init__(self, engine: Engine, location: str) -> None:
        self._engine = engine
        self._writer = engine.execution_options(sqlite_begin="IMMEDIATE")
        self._active: ContextVar[sa.Connection | None] = ContextVar(
            f"deskpilot-store-{id(self)}", default=None
        )
        self.location = location

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
            raise StorageError(explain_database_error(self.location, error)) from error

    def writing(self) -> AbstractContextManager[sa.Connection]:
        return self._write()

    def reading(self) -> AbstractContextManager[sa.Connection]:
        return self._read()

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
        self._engine.dispose()

    def __enter__(self) -> Self:
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


def existing_ids(connection: sa.Connection, table: sa.Table, ids: Sequence[str]) -> set[str]:
    found: set[str] = set()
    for chunk in chunks(list(dict.fromkeys(ids)), BATCH):
        found.update(
            connection.execute(sa.select(table.c.id).where(table.c.id.in_(chunk))).scalars()
        )
    return found


def insert_many(connection: sa.Connection, table: sa.Table, rows: list[dict[str, Any]]) -> None:
    for chunk in chunks(rows, 5000):
        connection.execute(table.insert(), chunk)


def new_id(inserted: sa.CursorResult[Any]) -> int:
    key = inserted.inserted_primary_key
    assert key is not None
    return int(key[0])


def chunks(items: list[Any], size: int) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
