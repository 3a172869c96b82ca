"""Opening a database: URLs, the engine and its SQLite settings, the schema check on open, and
migrating on purpose; and the errors a user sees when a database cannot be opened.

Dialect details stay here; the store's concerns are written against SQLAlchemy Core.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Engine

from deskpilot.errors import SchemaOutdatedError, SchemaTooNewError, StorageError
from deskpilot.store import migrations
from deskpilot.url_secrets import mask_url_secrets


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


def open_engine(url: str) -> tuple[Engine, str]:
    """Connect and check the schema version; refuse a newer one. Returns the engine and the
    database as messages name it (``open_store`` builds the ``Store`` on them).

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
        raise StorageError(explain_database_error(location, error)) from None
    return engine, location


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
        raise StorageError(explain_database_error(location, error)) from None
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
        raise StorageError(explain_database_error(location, error)) from None
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


def explain_database_error(location: str, error: sa.exc.DBAPIError) -> str:
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
