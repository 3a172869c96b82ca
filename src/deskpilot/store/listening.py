"""Listening for changes: every write that changes the queue announces it (``notify``), and a
desk waits for the next change (LISTEN/NOTIFY on PostgreSQL, polling ``queue_marker`` on SQLite)
to refresh its queue without asking the database over and over.
"""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any, Protocol

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from deskpilot.store import schema
from deskpilot.store.base import StoreBase

# The PostgreSQL channel ticket changes are announced on.
QUEUE_CHANNEL = "deskpilot_queue"


def notify(connection: sa.Connection, payload: str) -> None:
    """Wake every desk listening on PostgreSQL when this transaction commits (a rolled back
    one sends nothing; PostgreSQL folds repeats within one transaction). SQLite desks poll
    ``queue_marker`` instead."""
    if connection.dialect.name == "postgresql":
        connection.execute(sa.select(sa.func.pg_notify(QUEUE_CHANNEL, payload[:200])))


class ListeningMixin(StoreBase):
    """Desks learn that the queue changed: PostgreSQL LISTEN/NOTIFY, or polling a marker on
    SQLite."""

    _listener: ChangeListener | None = None

    def queue_marker(self) -> tuple[datetime | None, int]:
        """Changes when any ticket is added or changed: a desk polls it to refresh its queue."""
        t = schema.tickets
        with self._read() as connection:
            newest = connection.execute(sa.select(sa.func.max(t.c.updated_at))).scalar_one()
            count = connection.execute(sa.select(sa.func.count()).select_from(t)).scalar_one()
        return newest, int(count)

    def announce(self, connection: sa.Connection, payload: str) -> None:
        """Tell listening desks the queue changed (when ``connection``'s transaction commits)."""
        notify(connection, payload)

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

    def close(self) -> None:
        if self._listener is not None:
            self._listener.close()
            self._listener = None
        super().close()


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
    def __init__(self, store: ListeningMixin, interval: float) -> None:
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
