"""What an action works with, handed down by the desk: never the desk itself.

An action reads the ticket from the store, calls a connector, writes the audit trail before and
after, and leaves a note on the ticket; the desk builds an ``ActionKit`` for each call with its
own audited note and clock, so the actions below it need not (and cannot) reach the rest of it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from deskpilot.config import ActionSettings
from deskpilot.connectors.registry import ConnectorRegistry
from deskpilot.models import Audit, Ticket
from deskpilot.store import Store


@dataclass(frozen=True)
class ActionKit:
    store: Store
    connectors: ConnectorRegistry
    audit: Audit
    add_note: Callable[[str, str], None]  # the desk's note: claim-checked and audited
    agent: str  # who acts (the audit trail's actor, the refund limits' agent)
    settings: ActionSettings  # currency and refund limits
    clock: Callable[[], datetime]

    def ticket(self, ticket_id: str) -> Ticket:
        return self.store.get_ticket(ticket_id)
