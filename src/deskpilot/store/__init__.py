"""Persistence behind one interface: ``open_store(url)`` returns a ``Store`` for any backend."""

from deskpilot.store.migrations import SCHEMA_VERSION
from deskpilot.store.sql import (
    AddResult,
    QueueFilter,
    ResolvedThread,
    Store,
    TicketFacts,
    open_store,
    sqlite_url,
)

__all__ = [
    "SCHEMA_VERSION",
    "AddResult",
    "QueueFilter",
    "ResolvedThread",
    "Store",
    "TicketFacts",
    "open_store",
    "sqlite_url",
]
