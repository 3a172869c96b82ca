"""Persistence behind one interface: ``open_store(url)`` returns a ``Store`` for any backend."""

from deskpilot.store.corpus import ResolvedThread
from deskpilot.store.engine import describe_url, migrate_database, normalise_url, sqlite_url
from deskpilot.store.filters import SORT_KEYS, QueueFilter
from deskpilot.store.listening import ChangeListener
from deskpilot.store.migrations import SCHEMA_VERSION
from deskpilot.store.sql import Store, open_store
from deskpilot.store.statistics import ReplyFact, TicketFacts
from deskpilot.store.tickets import AddResult

__all__ = [
    "SCHEMA_VERSION",
    "SORT_KEYS",
    "AddResult",
    "ChangeListener",
    "QueueFilter",
    "ReplyFact",
    "ResolvedThread",
    "Store",
    "TicketFacts",
    "describe_url",
    "migrate_database",
    "normalise_url",
    "open_store",
    "sqlite_url",
]
