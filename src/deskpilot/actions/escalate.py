"""Telling the team about an escalation: the hand-off summary to the ``notify`` connector.

The escalation itself is the desk's (a note, the status, the audit); this only reports it,
and never raises: the result says whether the team was told, and the audit trail why not.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import TYPE_CHECKING

from deskpilot.actions.common import (
    Audited,
    log,
    problem_text,
)
from deskpilot.actions.kit import ActionKit
from deskpilot.connectors.errors import (
    NoConnectorError,
)
from deskpilot.connectors.models import Handoff
from deskpilot.errors import DeskPilotError

if TYPE_CHECKING:
    from deskpilot.connectors.models import (
        HandoffPosted,
    )


@dataclass(frozen=True)
class Escalation:
    """How an escalation went. The ticket is escalated either way; ``posted`` says where the
    team was told, ``problem`` why it was not (empty when no notify connector is configured)."""

    ticket_id: str
    posted: HandoffPosted | None = None
    problem: str = ""

    @property
    def notified(self) -> bool:
        return self.posted is not None

    def describe(self) -> str:
        if self.posted is not None:
            return f"Escalated; the team was notified in {self.posted.channel}"
        if self.problem:
            return f"Escalated, but the team was not notified: {self.problem}"
        return "Escalated; no team channel is configured (notify), so tell them yourself"


async def notify_team(kit: ActionKit, ticket_id: str, summary: str) -> Escalation:
    """Post an escalated ticket's hand-off summary to the ``notify`` connector, audited before
    and after. Never raises: the escalation already happened, so a failure is reported in the
    result (and the audit trail) for the agent to pass on by other means."""
    try:
        notify = kit.connectors.notify()
    except NoConnectorError:
        return Escalation(ticket_id)  # nobody to tell: the note on the ticket is the hand-off
    except DeskPilotError as error:  # configured, but broken or ambiguous
        await asyncio.to_thread(
            kit.audit, "notify_handoff", ticket_id, {}, ok=False, result=str(error)
        )
        return Escalation(ticket_id, problem=str(error))
    ticket = await asyncio.to_thread(kit.ticket, ticket_id)
    triage = await asyncio.to_thread(kit.store.get_triage, ticket_id)
    params = {"connector": notify.context.name, "summary_chars": len(summary)}
    try:
        handoff = Handoff(
            ticket_id=ticket_id,
            summary=summary,
            reason=triage.handoff_reason if triage else "",
            customer_email=ticket.customer.email if ticket.customer else "",
            agent=kit.agent,
        )
        async with Audited(kit, "notify_handoff", ticket_id, params) as record:
            posted = await notify.post_handoff(handoff)
            record["result"] = f"{posted.channel} {posted.reference}".strip()
    except Exception as error:  # whatever the connector raised: the hand-off itself stands
        log.warning("hand-off of %s not posted: %s", ticket_id, error, exc_info=True)
        return Escalation(ticket_id, problem=problem_text(error))
    return Escalation(ticket_id, posted=posted)
