"""The ticket interchange format: one JSON object (or CSV row) per ticket.

The same record shape is read by ``deskpilot import tickets`` and by every other intake path,
so a ticket exported from another tool looks the same wherever it enters DeskPilot.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from typing import Annotated

from pydantic import AfterValidator, Field, model_validator

from deskpilot.models import (
    Author,
    Channel,
    Customer,
    Message,
    Model,
    PageContext,
    Priority,
    Status,
    Ticket,
    Tier,
)


def _aware(value: datetime) -> datetime:
    """ISO 8601 without an offset is read as UTC."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


AwareDatetime = Annotated[datetime, AfterValidator(_aware)]
NonEmpty = Annotated[str, Field(min_length=1)]


class CustomerRecord(Model):
    email: str
    name: str = ""
    id: str | None = None
    company: str = ""
    tier: Tier = Tier.FREE
    plan: str = ""


class MessageRecord(Model):
    author: Author
    body: NonEmpty
    at: AwareDatetime | None = None
    author_name: str = ""


class TicketRecord(Model):
    subject: NonEmpty
    body: NonEmpty | None = None
    messages: list[MessageRecord] | None = Field(default=None, min_length=1)
    id: NonEmpty | None = None
    # An object for a new or known customer, or a string: an email, or the id of a stored one.
    customer: CustomerRecord | NonEmpty | None = None
    channel: Channel = Channel.EMAIL
    created_at: AwareDatetime | None = None
    status: Status | None = None
    priority: Priority = Priority.NORMAL
    intent: str | None = None
    reply: NonEmpty | None = None
    csat: int | None = Field(default=None, ge=1, le=5)
    page_context: PageContext | None = None
    tags: list[str] = Field(default_factory=list)
    assignee: str | None = None

    @model_validator(mode="after")
    def _one_first_message(self) -> TicketRecord:
        if self.body is None and self.messages is None:
            raise ValueError("needs 'body' (the customer's first message) or 'messages'")
        if self.body is not None and self.messages is not None:
            raise ValueError("give either 'body' or 'messages', not both")
        return self

    @property
    def customer_id_reference(self) -> str | None:
        """A bare customer id (not an email) that must already be in the store."""
        if isinstance(self.customer, str) and "@" not in self.customer:
            return self.customer
        return None

    def to_ticket(self, *, now: datetime, known_customer: Customer | None = None) -> Ticket:
        created = self.created_at or self._first_message_time() or now
        thread = self._thread(created)
        customer = known_customer or self._customer(created)
        last_at = max(m.at for m in thread)
        status = self.status or (Status.SOLVED if self.reply else Status.NEW)
        return Ticket(
            id=self.id or self._derived_id(created, customer),
            subject=self.subject,
            messages=thread,
            customer=customer,
            channel=self.channel,
            status=status,
            priority=self.priority,
            created_at=created,
            updated_at=last_at,
            tags=self.tags,
            intent=self.intent,
            csat=self.csat,
            page_context=self.page_context,
            assignee=self.assignee,
        )

    def _first_message_time(self) -> datetime | None:
        return self.messages[0].at if self.messages else None

    def _thread(self, created: datetime) -> list[Message]:
        if self.messages is not None:
            thread: list[Message] = []
            at = created
            for record in self.messages:
                # Messages without a time keep their order, a second apart.
                at = record.at or at + timedelta(seconds=1 if thread else 0)
                thread.append(
                    Message(
                        author=record.author,
                        body=record.body,
                        at=at,
                        author_name=record.author_name,
                    )
                )
        else:
            assert self.body is not None
            thread = [Message(author=Author.CUSTOMER, body=self.body, at=created)]
        if self.reply:
            reply_at = max(m.at for m in thread) + timedelta(seconds=1)
            thread.append(Message(author=Author.AGENT, body=self.reply, at=reply_at))
        return thread

    def _customer(self, created: datetime) -> Customer | None:
        if self.customer is None:
            return None
        if isinstance(self.customer, str):
            return Customer(
                id=customer_id_for(self.customer), email=self.customer, created_at=created
            )
        data = self.customer.model_dump()
        data["id"] = data["id"] or customer_id_for(self.customer.email)
        return Customer(**data, created_at=created)

    def _derived_id(self, created: datetime, customer: Customer | None) -> str:
        """Tickets without an id get one from their content, so a re-import matches them."""
        first = self.body if self.body is not None else self.messages[0].body  # type: ignore[index]
        key = "\x1f".join(
            [self.subject, first, created.isoformat(), customer.email if customer else ""]
        )
        return "T-" + hashlib.sha1(key.encode()).hexdigest()[:12]


def customer_id_for(email: str) -> str:
    return "C-" + hashlib.sha1(email.strip().lower().encode()).hexdigest()[:10]


FIELDS: tuple[str, ...] = tuple(TicketRecord.model_fields)
