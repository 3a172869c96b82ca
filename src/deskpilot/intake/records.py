"""The ticket interchange format: one JSON object (or CSV row) per ticket.

The same record shape is read by ``deskpilot import tickets`` and by every other intake path,
so a ticket exported from another tool looks the same wherever it enters DeskPilot.
"""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, Field, StringConstraints, model_validator

from deskpilot.models import (
    Attachment,
    Author,
    Channel,
    Customer,
    Email,
    Message,
    Model,
    PageContext,
    Priority,
    Status,
    Ticket,
    Tier,
)

# Tickets are dated within these years. The desk adds to dates (a message a second after
# the last, an SLA's hours), so a date near the calendar's end (9999-12-31) would overflow.
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(3000, 1, 1, tzinfo=UTC)
# C0 and C1 controls and DEL: never part of an id, and a newline in one forges log lines.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")


def _aware(value: datetime) -> datetime:
    """ISO 8601 without an offset is read as UTC."""
    try:
        value = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    except OverflowError:
        raise ValueError("date is out of range in UTC") from None
    if not EARLIEST <= value < LATEST:
        raise ValueError(f"date must be between {EARLIEST.year} and {LATEST.year - 1}")
    return value


def _no_nul(value: str) -> str:
    if "\x00" in value:
        raise ValueError("contains a NUL character")
    return value


def _no_controls(value: str) -> str:
    if _CONTROL.search(value):
        raise ValueError("contains a control character (a line break, tab, escape...)")
    return value


def _not_bool(value: Any) -> Any:
    if isinstance(value, bool):
        raise ValueError("must be a number, not true/false")
    return value


AwareDatetime = Annotated[datetime, AfterValidator(_aware)]
Text = Annotated[str, StringConstraints(strip_whitespace=True), AfterValidator(_no_nul)]
NonEmpty = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1), AfterValidator(_no_nul)
]
# Ids and labels are keys in the database: bounded so every backend stores them alike.
Key = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=64),
    AfterValidator(_no_controls),
]
Rating = Annotated[int, BeforeValidator(_not_bool), Field(ge=1, le=5)]


class CustomerRecord(Model):
    email: Email
    name: Text = ""
    id: Key | None = None
    company: Text = ""
    tier: Tier = Tier.FREE
    plan: Text = ""

    def given(self) -> dict[str, Any]:
        """Only the fields the file gave: a later line never blanks what an earlier one said."""
        return {name: getattr(self, name) for name in self.model_fields_set}


class AttachmentRecord(Model):
    """What is known of a file that came with a message: its metadata only. The bytes come
    through a channel connector, which sets where they are kept; a record never does."""

    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=255)]
    content_type: Annotated[str, StringConstraints(strip_whitespace=True, max_length=255)] = (
        "application/octet-stream"
    )
    size: Annotated[int, BeforeValidator(_not_bool), Field(ge=0)] = 0

    def to_attachment(self) -> Attachment:
        return Attachment(name=self.name, content_type=self.content_type, size=self.size)


class MessageRecord(Model):
    author: Author
    body: NonEmpty
    at: AwareDatetime | None = None
    author_name: Text = ""
    attachments: list[AttachmentRecord] = Field(default_factory=list)


class TicketRecord(Model):
    subject: NonEmpty
    body: NonEmpty | None = None
    messages: list[MessageRecord] | None = Field(default=None, min_length=1)
    id: Key | None = None
    # An object for a new or known customer, or a string: an email, or the id of a stored one.
    customer: CustomerRecord | NonEmpty | None = None
    channel: Channel = Channel.EMAIL
    created_at: AwareDatetime | None = None
    status: Status | None = None
    priority: Priority = Priority.NORMAL
    intent: Key | None = None
    reply: NonEmpty | None = None
    csat: Rating | None = None
    page_context: PageContext | None = None
    tags: list[NonEmpty] = Field(default_factory=list)
    assignee: Key | None = None
    attachments: list[AttachmentRecord] = Field(default_factory=list)  # with ``body``

    @model_validator(mode="after")
    def _one_first_message(self) -> TicketRecord:
        if self.body is None and self.messages is None:
            raise ValueError("needs 'body' (the customer's first message) or 'messages'")
        if self.body is not None and self.messages is not None:
            raise ValueError("give either 'body' or 'messages', not both")
        if self.attachments and self.messages is not None:
            raise ValueError("with 'messages', give each message its own 'attachments'")
        return self

    @property
    def customer_email(self) -> str | None:
        if isinstance(self.customer, CustomerRecord):
            return self.customer.email
        if isinstance(self.customer, str) and "@" in self.customer:
            return self.customer.strip().lower()
        return None

    @property
    def customer_id_reference(self) -> str | None:
        """A bare customer id (not an email) that must already be in the store."""
        if isinstance(self.customer, str) and "@" not in self.customer:
            return self.customer
        return None

    @property
    def first_body(self) -> str:
        return self.body if self.body is not None else self.messages[0].body  # type: ignore[index]

    def to_ticket(self, *, now: datetime, customer: Customer | None) -> Ticket:
        created = self.created_at or self._first_message_time() or now
        thread = self._thread(created)
        status = self.status or (Status.SOLVED if self.reply else Status.NEW)
        return Ticket(
            id=self.id or self.derived_id(),
            subject=self.subject,
            messages=thread,
            customer=customer,
            channel=self.channel,
            status=status,
            priority=self.priority,
            created_at=created,
            updated_at=max(m.at for m in thread),
            tags=self.tags,
            intent=self.intent,
            csat=self.csat,
            page_context=self.page_context,
            assignee=self.assignee,
        )

    def derived_id(self) -> str:
        """Tickets without an id get one from what the file says (never from the clock), so
        importing the same file again matches them."""
        parts = [
            self.subject,
            self.first_body,
            self.created_at.isoformat() if self.created_at else "",
            self.customer_email or self.customer_id_reference or "",
        ]
        return "T-" + hashlib.sha1("\x1f".join(parts).encode()).hexdigest()[:12]

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
                        attachments=[a.to_attachment() for a in record.attachments],
                    )
                )
        else:
            first = Message(
                author=Author.CUSTOMER,
                body=self.first_body,
                at=created,
                attachments=[a.to_attachment() for a in self.attachments],
            )
            thread = [first]
        if self.reply:
            reply_at = max(m.at for m in thread) + timedelta(seconds=1)
            thread.append(Message(author=Author.AGENT, body=self.reply, at=reply_at))
        return thread


def customer_id_for(email: str) -> str:
    return "C-" + hashlib.sha1(email.strip().lower().encode()).hexdigest()[:10]


FIELDS: tuple[str, ...] = tuple(TicketRecord.model_fields)
