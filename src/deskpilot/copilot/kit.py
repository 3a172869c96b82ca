"""What drafting works with, handed down by the desk: never the desk itself.

The co-pilot reads the ticket and its triage from the store, the customer's records through the
connectors, articles and answered tickets from the index, and writes through the model endpoint
when there is one. The desk builds a ``DraftKit`` per draft; the index and the endpoint are
opened on first use (both cost start-up time), so they are passed as callables.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from deskpilot.config import Settings
from deskpilot.connectors.registry import ConnectorRegistry
from deskpilot.models import Ticket
from deskpilot.store import Store

if TYPE_CHECKING:  # tantivy and openai load when the desk first opens them, not before
    from deskpilot.copilot.model_drafter import ModelDrafter
    from deskpilot.knowledge.index import KnowledgeIndex


@dataclass(frozen=True)
class DraftKit:
    store: Store
    connectors: ConnectorRegistry
    knowledge: Callable[[], KnowledgeIndex]
    model_drafter: Callable[[], ModelDrafter | None]  # None: the local drafter only
    settings: Settings
    agent: str  # who the draft is written for (signs it; their refund limit in the brief)
    clock: Callable[[], datetime]
    articles_dir: Path  # the help-centre articles' full text

    def ticket(self, ticket_id: str) -> Ticket:
        return self.store.get_ticket(ticket_id)
