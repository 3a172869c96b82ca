"""Bug tickets: known bugs like the ticket's, filing a new one, linking a ticket to one.

The audit record is the link (``status.linked_bugs`` reads it, never message text); a note on
the ticket tells the team in the thread.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from deskpilot.actions.common import (
    Audited,
)
from deskpilot.actions.kit import ActionKit
from deskpilot.connectors.models import BugQuery, NewBug

if TYPE_CHECKING:
    from deskpilot.connectors.models import (
        BugCreated,
        BugMatch,
    )


async def similar_bugs(kit: ActionKit, ticket_id: str) -> list[BugMatch]:
    issues = kit.connectors.issues()
    ticket = await asyncio.to_thread(kit.ticket, ticket_id)
    return await issues.search_bugs(BugQuery.from_ticket(ticket), limit=3)


async def create_bug(kit: ActionKit, ticket_id: str, title: str, description: str) -> BugCreated:
    ticket = await asyncio.to_thread(kit.ticket, ticket_id)
    page = ticket.page_context
    new = NewBug(
        title=title.strip(),
        description=description.strip(),
        page_url=page.url if page else "",
        error_signature=page.errors[0] if page and page.errors else "",
        ticket_ids=[ticket_id],
    )
    async with Audited(kit, "create_bug", ticket_id, {"title": new.title}) as record:
        created = await kit.connectors.issues().create_bug(new)
        record["result"] = created.bug.id
    note = f"Filed bug {created.bug.id}: {created.bug.title} {created.url}".strip()
    await asyncio.to_thread(kit.add_note, ticket_id, note)
    return created


def link_bug(kit: ActionKit, ticket_id: str, bug_id: str, title: str) -> None:
    """Link the ticket to a known bug: the audit record is the link (``linked_bugs`` reads
    it); the note tells the team in the thread."""
    with kit.store.transaction():
        kit.add_note(ticket_id, f"Linked to known bug {bug_id}: {title}")
        kit.audit("link_bug", ticket_id, {"bug_id": bug_id, "title": title})


def bug_description(kit: ActionKit, ticket_id: str) -> str:
    """What an engineer needs, gathered from the ticket and its page context."""
    ticket = kit.ticket(ticket_id)
    lines = [
        f"Reported in {ticket.id} by {ticket.customer.email if ticket.customer else 'a customer'}.",
        "",
    ]
    lines.append(ticket.first_customer_message.strip())
    page = ticket.page_context
    if page and not page.is_empty():
        lines += ["", f"Page: {page.title} {page.url}".strip()]
        if page.visible_state:
            lines.append(f"They see: {page.visible_state}")
        lines += [f"Error: {error}" for error in page.errors]
        lines += [f"Tried: {step}" for step in page.steps_attempted]
    return "\n".join(lines)
