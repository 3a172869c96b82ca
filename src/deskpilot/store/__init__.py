"""Persistence behind one interface: ``open_store(url)`` returns a ``Store`` for any backend."""

from deskpilot.store.migrations import SCHEMA_VERSION
from deskpilot.store.sql import (
    AddResult,
    ChangeListener,
    QueueFilter,
    ReplyFact,
    ResolvedThread,
    Store,
    TicketFacts,
    migrate_database,
    open_store,
    sqlite_url,
)

__all__ = [
    "SCHEMA_VERSION",
    "AddResult",
    "ChangeListener",
    "QueueFilter",
    "ReplyFact",
    "ResolvedThread",
    "Store",
    "TicketFacts",
    "migrate_database",
    "open_store",
    "sqlite_url",
]
