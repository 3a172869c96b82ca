"""Knowing when the queue changed underneath a desk: tickets that arrived from ``deskpilot
serve``, an import or another agent's desk.

The TUI asks a ``QueueWatcher`` whether anything changed and refreshes only when it did. The
one here polls the store's queue marker (newest ``updated_at`` and the ticket count, both
answered from indexes); a PostgreSQL desk can put LISTEN/NOTIFY behind the same two methods
without the TUI changing.
"""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from datetime import datetime

from deskpilot.store import Store

Marker = tuple[datetime | None, int]


class QueueWatcher(ABC):
    """Answers "did any ticket arrive or change since I last asked?" (blocking: call it from a
    worker thread, never the UI thread)."""

    # True when ``changed`` waits for a change (up to a bound) instead of looking once: a view
    # may then ask again as soon as it has an answer, rather than on its next tick.
    blocks = False

    @abstractmethod
    def changed(self) -> bool:
        """True once for every batch of changes since the previous call (or since creation)."""

    def close(self) -> None:  # noqa: B027 (optional: a listening connection closes here)
        """Release what the watcher holds; the polling watcher holds nothing."""


class PollingQueueWatcher(QueueWatcher):
    """Compares the store's queue marker with the one it saw last."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._seen: Marker = store.queue_marker()

    def changed(self) -> bool:
        marker = self._store.queue_marker()
        if marker == self._seen:
            return False
        self._seen = marker
        return True


class NotifyQueueWatcher(QueueWatcher):
    """PostgreSQL: waits on a LISTEN connection of its own for the NOTIFY every ticket write
    sends, so a change wakes the desk within milliseconds and an idle desk queries nothing.

    ``changed`` blocks up to ``wait_seconds``; notifications that arrive between two calls wait
    in the connection, so none is missed.
    """

    blocks = True

    def __init__(self, store: Store, wait_seconds: float) -> None:
        self._listener = store.change_listener()
        self._wait = wait_seconds
        self._waiting = threading.Lock()
        self._closing = threading.Lock()
        self._closed = False
        self._released = False

    def changed(self) -> bool:
        with self._waiting:
            woke = False if self._closed else self._listener.wait(self._wait)
        if self._closed:
            self._release()  # close() came while this thread was waiting
        return woke

    def close(self) -> None:
        # Never block the UI thread on a wait in progress: that waiter releases on its way out.
        self._closed = True
        if self._waiting.acquire(blocking=False):
            self._waiting.release()
            self._release()

    def _release(self) -> None:
        with self._closing:
            if not self._released:
                self._released = True
                self._listener.close()
