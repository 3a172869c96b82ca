"""Row mapping: tickets and messages to table rows and back (the columns only the store knows,
such as the priority's rank and claims, stay out of the models).
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from deskpilot.models import Attachment, Author, Customer, Message, PageContext, Ticket


def ticket_row(ticket: Ticket) -> dict[str, Any]:
    return {
        "id": ticket.id,
        "subject": ticket.subject,
        "customer_id": ticket.customer.id if ticket.customer else None,
        "channel": ticket.channel.value,
        "status": ticket.status.value,
        "priority": ticket.priority.value,
        "priority_rank": ticket.priority.rank,
        "created_at": ticket.created_at,
        "updated_at": ticket.updated_at,
        "tags": ticket.tags,
        "intent": ticket.intent,
        "intent_confidence": ticket.intent_confidence,
        "intent_source": ticket.intent_source.value if ticket.intent_source else None,
        "sentiment": ticket.sentiment.value if ticket.sentiment else None,
        "assignee": ticket.assignee,
        "csat": ticket.csat,
        "page_context": ticket.page_context.model_dump(mode="json")
        if ticket.page_context
        else None,
        "source": ticket.source,
        "external_id": ticket.external_id,
    }


def message_row(ticket_id: str, seq: int, message: Message, connector: str = "") -> dict[str, Any]:
    return {
        "ticket_id": ticket_id,
        "seq": seq,
        "author": message.author.value,
        "author_name": message.author_name,
        "body": message.body,
        "at": message.at,
        "external_id": message.external_id,
        "connector": connector,
        "channel": message.channel.value if message.channel else None,
        "attachments": [a.model_dump(mode="json") for a in message.attachments] or None,
    }


def message_from_row(row: sa.Row[Any]) -> Message:
    return Message(
        author=Author(row.author),
        body=row.body,
        at=row.at,
        author_name=row.author_name,
        external_id=row.external_id or "",
        channel=row.channel,
        attachments=[Attachment.model_validate(a) for a in row.attachments or []],
    )


def ticket_from_row(row: sa.Row[Any], customer: Customer | None, thread: list[Message]) -> Ticket:
    data = row._asdict()
    data.pop("customer_id")
    data.pop("priority_rank")
    for local_column in ("claimed_by", "claim_token", "claimed_until", "unread_since"):
        data.pop(local_column)
    page = data.pop("page_context")
    return Ticket.model_validate(
        {
            **data,
            "customer": customer,
            "messages": thread,
            "page_context": PageContext.model_validate(page) if page else None,
        }
    )


def page_name(page_context: dict[str, Any] | None) -> str | None:
    if not page_context:
        return None
    return page_context.get("title") or page_context.get("url") or None
