"""What connectors take and return beyond the domain vocabulary of ``deskpilot.models``.

These are the results of actions (a refund, a filed bug, a posted hand-off) and the queries a
connector answers; they stay here until another layer needs them as domain vocabulary.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import Field, field_validator

from deskpilot.models import (
    Attachment,
    Author,
    Bug,
    Model,
    Status,
    Ticket,
    TicketSummary,
    utcnow,
)


class CustomerHistory(Model):
    """A customer's past tickets, newest first."""

    customer_id: str
    tickets: list[TicketSummary] = Field(default_factory=list)


class RefundResult(Model):
    refund_id: str
    invoice_id: str
    amount: float = Field(gt=0)
    currency: str = "USD"
    reason: str = ""
    idempotency_key: str
    status: Literal["succeeded", "pending", "failed"] = "succeeded"
    created_at: datetime = Field(default_factory=utcnow)
    # True when this key was seen before and the earlier refund is returned, not a new one.
    replayed: bool = False


AccountSetting = Literal["billing_email", "plan", "seats"]


class SettingChanged(Model):
    """An account setting changed through the connector that owns it: old and new value as
    that system stores them (an email, a plan id, a seat count)."""

    customer_id: str
    setting: AccountSetting
    old_value: str
    new_value: str
    reference: str = ""  # the system's id for the change (a subscription item, a request id)
    idempotency_key: str = ""
    at: datetime = Field(default_factory=utcnow)
    replayed: bool = False  # the same idempotency key again: the first change, not a second


class CancellationPreview(Model):
    """What cancelling a subscription would do, before it is done: when it ends, and the
    credit for unused time when it ends now."""

    customer_id: str  # the billing system's id
    plan_id: str
    at_period_end: bool
    ends_on: date
    credit: float = 0.0  # unused time credited when it ends now; 0 at the period's end
    currency: str = "USD"


class SubscriptionCanceled(Model):
    """A subscription cancelled through the billing connector (now, or at the period's end)."""

    customer_id: str
    at_period_end: bool
    ends_on: date
    credit: float = 0.0
    currency: str = "USD"
    reference: str = ""  # the system's id for the cancellation
    idempotency_key: str = ""
    replayed: bool = False  # the same key again: the first cancellation, not a second


class BugQuery(Model):
    """What a customer's report says about a possible bug: any of the three may be empty."""

    text: str = ""
    page_url: str = ""
    errors: list[str] = Field(default_factory=list)

    @classmethod
    def from_ticket(cls, ticket: Ticket) -> BugQuery:
        page = ticket.page_context
        return cls(
            text=f"{ticket.subject}\n{ticket.first_customer_message}".strip(),
            page_url=page.url if page else "",
            errors=list(page.errors) if page else [],
        )

    def is_empty(self) -> bool:
        return not (
            self.text.strip() or self.page_url.strip() or any(e.strip() for e in self.errors)
        )


class BugMatch(Model):
    bug: Bug
    score: float = Field(ge=0.0, le=1.0)
    matched_on: list[Literal["text", "page", "error"]] = Field(default_factory=list)


class NewBug(Model):
    """A bug an agent files from a ticket."""

    title: str = Field(min_length=1)
    description: str = ""
    page_url: str = ""
    error_signature: str = ""
    ticket_ids: list[str] = Field(default_factory=list)

    @field_validator("title")
    @classmethod
    def _title_not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("a bug needs a title")
        return value.strip()


class BugCreated(Model):
    bug: Bug
    url: str = ""


class PasswordResetResult(Model):
    email: str
    sent: bool
    reference: str = ""  # the identity system's id for the reset, for the audit trail
    detail: str = ""


class AccountUnlockResult(Model):
    email: str
    unlocked: bool
    reference: str = ""
    detail: str = ""


class Handoff(Model):
    """A ticket handed to a human or another team, with the co-pilot's summary."""

    ticket_id: str
    summary: str = Field(min_length=1)
    reason: str = ""
    customer_email: str = ""
    agent: str = ""
    channel: str = ""  # empty: the connector's configured default channel


class HandoffPosted(Model):
    channel: str
    reference: str
    at: datetime = Field(default_factory=utcnow)


class TeamMessage(Model):
    """A message in the team's chat (found by ``Notify.search_messages``): what colleagues
    already said about a customer or a ticket."""

    channel: str
    text: str
    at: datetime
    author: str = ""
    permalink: str = ""


class ReplyPosted(Model):
    ticket_id: str
    reference: str
    at: datetime = Field(default_factory=utcnow)


class StatusUpdated(Model):
    ticket_id: str
    status: Status
    reference: str = ""
    at: datetime = Field(default_factory=utcnow)


class OrderItem(Model):
    sku: str
    name: str
    quantity: int = Field(1, ge=0)
    unit_price: float = 0.0


class Order(Model):
    """An order in a shop the support team serves (the ``orders`` capability)."""

    id: str
    customer_email: str
    status: str  # "pending", "paid", "shipped", "delivered", "cancelled", "returned", ...
    placed_at: datetime
    currency: str = "USD"
    total: float = 0.0
    items: list[OrderItem] = Field(default_factory=list)
    carrier: str = ""
    tracking_url: str = ""
    estimated_delivery: date | None = None


# --- channels: what a ticket source pulls in and delivers out --------------------------------


class InboundAttachment(Attachment):
    """An attachment as the channel received it, bytes included; the desk stores the bytes in
    the workspace and keeps the ``Attachment`` (with ``stored_as``) on the message."""

    data: bytes = b""


class InboundMessage(Model):
    """One message a channel received, before the desk matches it to a ticket.

    Matching, in order: ``ticket_external_id`` (a help desk's own conversation id), then any of
    ``in_reply_to`` (the external ids this message answers, nearest first: an email's
    In-Reply-To, then its References), then a ``[T-000123]`` tag in ``subject``; otherwise it
    starts a new ticket, its customer matched by ``from_email``. A message whose
    ``external_id`` the desk already holds is skipped, so pulling twice stores nothing twice.
    """

    external_id: str
    ticket_external_id: str = ""
    in_reply_to: list[str] = Field(default_factory=list)
    subject: str = ""
    from_email: str
    from_name: str = ""
    body: str  # the new text only: quoted history and signatures already stripped
    at: datetime = Field(default_factory=utcnow)
    author: Author = Author.CUSTOMER  # a help desk's agent replying outside DeskPilot: AGENT
    attachments: list[InboundAttachment] = Field(default_factory=list)


class Pulled(Model):
    """What one pull brought: the messages, in the order they arrived, and the cursor to give
    back on the next pull (opaque to the desk, which persists it per connector)."""

    messages: list[InboundMessage] = Field(default_factory=list)
    cursor: str = ""


class OutboundReply(Model):
    """An agent's reply on its way to the customer, as the outbox hands it to the channel.

    ``message_id`` is fixed when the reply is written and stays the same across retries: the
    channel sends it as the email's Message-ID (or records it with the comment), which is how
    ``find_delivered`` tells whether an attempt with an unknown outcome went through.
    """

    ticket_id: str
    ticket_external_id: str = ""
    message_id: str
    subject: str  # the ticket's subject; the channel adds "Re: " and the [T-...] tag
    to_email: str
    to_name: str = ""
    body: str  # the agent's text (Markdown); the channel renders it for its medium
    author_name: str = ""
    in_reply_to: str = ""  # the customer's last message's external id
    references: list[str] = Field(default_factory=list)  # the thread's external ids, oldest first


class Delivered(Model):
    """The channel accepted a reply: its id there (a comment id, the Message-ID)."""

    message_id: str
    external_id: str
    at: datetime = Field(default_factory=utcnow)
