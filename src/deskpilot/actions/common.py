"""What every action shares: its refusal, the audited before-and-after, idempotency keys.

Each action is recorded as requested before it runs and with its result after, so a crash in
between still leaves a trace (``Audited``); a retried request carries the same idempotency key
(``idempotency_key``), so the system behind the connector carries it out once.

The actions are coroutines (their connectors are async clients bound to the running loop),
but the store is not: each store read and write they make (the ticket, the audit trail, the
note) runs in a thread with ``asyncio.to_thread``, in the order it always did, so that the
event loop (the TUI's keys) never waits on the database.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from typing import TYPE_CHECKING, Any

from deskpilot.actions.kit import ActionKit
from deskpilot.errors import DeskPilotError
from deskpilot.url_secrets import UrlSecretsFilter

if TYPE_CHECKING:
    pass


log = logging.getLogger("deskpilot.actions")
log.addFilter(UrlSecretsFilter())  # errors it logs may quote a URL with its key


class ActionRefused(DeskPilotError):
    """The desk will not carry the action out (a limit, a value that cannot apply, no
    customer); nothing changed."""


def problem_text(error: Exception) -> str:
    return str(error) if isinstance(error, DeskPilotError) else f"{type(error).__name__}: {error}"


def customer_email(kit: ActionKit, ticket_id: str) -> str:
    customer = kit.ticket(ticket_id).customer
    if customer is None:
        raise ActionRefused(f"{ticket_id} has no customer to act for")
    return customer.email


def idempotency_key(*parts: str) -> str:
    """An idempotency key derived from the request: the same request again is the same key."""
    digest = hashlib.sha256("|".join(parts).encode()).hexdigest()
    return f"deskpilot-{digest[:32]}"


class Audited:
    """Audit an action as requested, then with its outcome (ok or the error): ``async with``,
    each record written off the event loop."""

    def __init__(self, kit: ActionKit, action: str, ticket_id: str, params: dict[str, Any]) -> None:
        self.kit, self.action, self.ticket_id, self.params = kit, action, ticket_id, params
        self.record: dict[str, str] = {"result": ""}

    async def __aenter__(self) -> dict[str, str]:
        await asyncio.to_thread(
            self.kit.audit, f"{self.action}.requested", self.ticket_id, self.params
        )
        return self.record

    async def __aexit__(self, kind: object, error: BaseException | None, _tb: object) -> None:
        audit = self.kit.audit
        if error is None:
            result = self.record["result"]
            await asyncio.to_thread(audit, self.action, self.ticket_id, self.params, result=result)
        else:
            said = problem_text(error) if isinstance(error, Exception) else str(error)
            await asyncio.to_thread(
                audit, self.action, self.ticket_id, self.params, ok=False, result=said
            )
