"""The domain vocabulary: every layer (store, connectors, co-pilot, TUI) speaks these models."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Annotated, Any, Protocol

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator


def utcnow() -> datetime:
    return datetime.now(UTC)


class Model(BaseModel):
    """Base for domain models: unknown fields are errors, so typos never pass silently."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class Author(StrEnum):
    CUSTOMER = "customer"
    AGENT = "agent"
    AI = "ai"
    NOTE = "note"  # internal note: never shown to the customer


class Status(StrEnum):
    NEW = "new"
    OPEN = "open"
    PENDING = "pending"  # waiting on the customer
    ESCALATED = "escalated"
    SOLVED = "solved"
    CLOSED = "closed"

    @property
    def is_open(self) -> bool:
        return self in OPEN_STATUSES


OPEN_STATUSES = frozenset({Status.NEW, Status.OPEN, Status.PENDING, Status.ESCALATED})


class Priority(StrEnum):
    URGENT = "urgent"
    HIGH = "high"
    NORMAL = "normal"
    LOW = "low"

    @property
    def rank(self) -> int:
        """Sort key: urgent first."""
        return PRIORITY_ORDER.index(self)


PRIORITY_ORDER = (Priority.URGENT, Priority.HIGH, Priority.NORMAL, Priority.LOW)


class Channel(StrEnum):
    EMAIL = "email"
    CHAT = "chat"
    WEB = "web"
    PHONE = "phone"
    API = "api"


class Sentiment(StrEnum):
    POSITIVE = "positive"
    NEUTRAL = "neutral"
    NEGATIVE = "negative"
    ANGRY = "angry"


class Tier(StrEnum):
    FREE = "free"
    STARTER = "starter"
    PRO = "pro"
    ENTERPRISE = "enterprise"


class IntentSource(StrEnum):
    LABEL = "label"  # given with the ticket (import, history)
    PREDICTED = "predicted"  # the classifier's guess
    CORRECTION = "correction"  # an agent corrected it: the strongest training signal

    @property
    def is_human(self) -> bool:
        return self is not IntentSource.PREDICTED


_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def _valid_email(value: str) -> str:
    value = value.strip().lower()
    if not _EMAIL.match(value):
        raise ValueError(f"not an email address: {value!r}")
    return value


Email = Annotated[str, AfterValidator(_valid_email)]


class Customer(Model):
    id: str
    email: Email
    name: str = ""
    company: str = ""
    tier: Tier = Tier.FREE
    plan: str = ""
    created_at: datetime = Field(default_factory=utcnow)


class PageContext(Model):
    """What the customer was looking at when they wrote: sent by the in-app widget."""

    url: str = ""
    title: str = ""
    visible_state: str = ""  # what the page shows them, in their words or the widget's capture
    errors: list[str] = Field(default_factory=list)  # error banners and console errors
    steps_attempted: list[str] = Field(default_factory=list)
    # Browser, OS, viewport and language, as the widget read them ({"browser": "Chrome 120"}).
    environment: dict[str, str] = Field(default_factory=dict)
    # What the product passed with DeskPilot.setContext (account id, plan, feature flags).
    product_context: dict[str, str] = Field(default_factory=dict)
    # Who the widget's customer says they are when the product did not sign it: shown to the
    # agent as unverified, never matched to a customer's history ("Dana <dana@example.com>").
    unverified_identity: str = ""

    def is_empty(self) -> bool:
        return not (
            self.url
            or self.title
            or self.visible_state
            or self.errors
            or self.steps_attempted
            or self.environment
            or self.product_context
            or self.unverified_identity
        )


class Attachment(Model):
    """A file that came with a message: its bytes are kept in the workspace (``stored_as``,
    relative to its attachments folder), listed in the thread, and never opened or run."""

    name: str
    content_type: str = "application/octet-stream"
    size: int = Field(default=0, ge=0)
    stored_as: str = ""  # "" when only the metadata is known (an intake post)


class Message(Model):
    author: Author
    body: str
    at: datetime = Field(default_factory=utcnow)
    author_name: str = ""
    # The channel's own id for this message (an email Message-ID, a Zendesk comment id): how a
    # reply to it finds its ticket, and how a message pulled twice is recognised.
    external_id: str = ""
    channel: Channel | None = None  # None: the ticket's channel
    attachments: list[Attachment] = Field(default_factory=list)


class Ticket(Model):
    id: str
    subject: str
    messages: list[Message] = Field(default_factory=list)
    customer: Customer | None = None
    channel: Channel = Channel.EMAIL
    # The connector the conversation lives in ("email", "zendesk", "demo"), where replies go
    # back; "" for tickets from the intake endpoint or an import (answered by email when the
    # workspace has an email channel), and the conversation's id there (a Zendesk ticket id).
    source: str = ""
    external_id: str = ""
    status: Status = Status.NEW
    priority: Priority = Priority.NORMAL
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
    tags: list[str] = Field(default_factory=list)
    intent: str | None = None
    intent_confidence: float | None = Field(default=None, ge=0.0, le=1.0)
    intent_source: IntentSource | None = None
    sentiment: Sentiment | None = None
    assignee: str | None = None
    csat: int | None = Field(default=None, ge=1, le=5)
    page_context: PageContext | None = None
    # Snoozed: out of the open views until then; a time in the past means it came back (on
    # time or because the customer wrote) and no agent has opened it since.
    snoozed_until: datetime | None = None
    merged_into: str | None = None  # a duplicate merged into that ticket (its thread is there)

    @model_validator(mode="after")
    def _labelled_intent_has_a_source(self) -> Ticket:
        if self.intent is not None and self.intent_source is None:
            self.intent_source = IntentSource.LABEL
        return self

    @property
    def first_customer_message(self) -> str:
        for message in self.messages:
            if message.author is Author.CUSTOMER:
                return message.body
        return ""

    @property
    def latest_customer_text(self) -> str:
        """What the customer is asking now: their messages since the last agent reply (a
        follow-up answers the conversation, not the first message), else their first one."""
        since_reply: list[str] = []
        for message in reversed(self.messages):
            if message.author is Author.AGENT:
                break
            if message.author is Author.CUSTOMER:
                since_reply.insert(0, message.body)
        return "\n\n".join(since_reply) or self.first_customer_message

    @property
    def public_thread(self) -> list[Message]:
        """The conversation as the customer sees it (internal notes left out)."""
        return [m for m in self.messages if m.author is not Author.NOTE]

    @property
    def awaits_reply(self) -> bool:
        """The customer spoke last: the ticket waits on the desk (after a reply, the desk waits
        on the customer). Internal notes are not speaking; an empty thread awaits nothing."""
        spoken = self.public_thread
        return bool(spoken) and spoken[-1].author is Author.CUSTOMER


class Source(Model):
    """Where a fact in a draft came from, so the agent can check it."""

    kind: str  # "article", "ticket", "crm", "billing", "bug", "page"
    ref: str  # article slug, ticket id, connector record id
    title: str = ""
    score: float | None = None


class Draft(Model):
    ticket_id: str
    text: str
    sources: list[Source] = Field(default_factory=list)
    drafter: str  # "local", "model"
    model: str = ""
    prompt_version: str = ""
    confidence: float = Field(ge=0.0, le=1.0)
    handoff_reason: str | None = None  # set when the co-pilot recommends a human
    created_at: datetime = Field(default_factory=utcnow)


class EditOutcome(StrEnum):
    PENDING = "pending"  # the agent is still editing
    SENT_AS_IS = "sent_as_is"
    SENT_EDITED = "sent_edited"
    DISCARDED = "discarded"
    REGENERATED = "regenerated"
    ESCALATED = "escalated"
    REPLACED_BY_MACRO = "replaced_by_macro"


class EditEvent(Model):
    """One draft's life from shown to sent: the training signal the feedback loop learns from."""

    id: str
    ticket_id: str
    agent: str
    original_text: str
    current_text: str
    outcome: EditOutcome = EditOutcome.PENDING
    intent: str | None = None
    drafter: str = ""
    model: str = ""
    prompt_version: str = ""
    shown_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
    finished_at: datetime | None = None
    keystrokes: int = 0
    similarity: float | None = None
    edit_distance: float | None = None
    edit_class: str | None = None
    reason: str | None = None
    draft_id: int | None = None
    # word-level opcodes from the original to the final text: [tag, removed words, added words]
    diff: list[list[Any]] | None = None


class EditRevision(Model):
    """One autosaved state of an agent's edit of a draft."""

    event_id: str
    text: str
    keystrokes: int = 0
    at: datetime = Field(default_factory=utcnow)


class ActionRecord(Model):
    """One entry of the audit trail: who did what to which ticket, and how it went."""

    id: int | None = None
    ticket_id: str | None
    actor: str
    action: str  # "send", "refund", "reset_password", "escalate", "close", "import", ...
    params: dict[str, Any] = Field(default_factory=dict)
    ok: bool = True
    result: str = ""
    at: datetime = Field(default_factory=utcnow)


class Audit(Protocol):
    """Writes one entry of the audit trail (``Desk.audit``): what modules below the desk are
    handed so that nothing they change goes unrecorded."""

    def __call__(
        self,
        action: str,
        ticket_id: str | None,
        params: dict[str, Any],
        *,
        ok: bool = True,
        result: str = "",
        actor: str | None = None,
    ) -> ActionRecord: ...


# Records the CRM and billing connectors serve (the demo connectors read them from the workspace).


class CrmNote(Model):
    at: datetime
    author: str
    body: str


class CrmRecord(Model):
    customer_id: str
    company: str = ""
    tier: Tier = Tier.FREE
    account_owner: str = ""
    seats: int = 1
    signed_up: date | None = None
    lifetime_value: float = 0.0
    notes: list[CrmNote] = Field(default_factory=list)


class Plan(Model):
    id: str
    name: str
    monthly_price: float
    seats_included: int = 1


class InvoiceLine(Model):
    description: str
    amount: float  # may be negative (credit for unused time)
    quantity: int = 1
    period_start: date | None = None
    period_end: date | None = None
    proration: bool = False


class Invoice(Model):
    id: str
    customer_id: str
    number: str
    issued: date
    status: str  # "paid", "open", "failed", "refunded"
    currency: str = "USD"
    lines: list[InvoiceLine] = Field(default_factory=list)

    @property
    def total(self) -> float:
        return round(sum(line.amount * line.quantity for line in self.lines), 2)


class PlanChange(Model):
    customer_id: str
    at: date
    from_plan: str
    to_plan: str
    cycle_start: date
    cycle_end: date


class Subscription(Model):
    customer_id: str
    plan_id: str
    status: str  # "active", "past_due", "canceled", "trialing"
    cycle_start: date
    cycle_end: date
    seats: int = 1


class Bug(Model):
    id: str
    title: str
    status: str  # "open", "in_progress", "fixed"
    page_url: str = ""
    error_signature: str = ""
    workaround: str = ""
    created: date | None = None


class QaScore(Model):
    """A solved conversation's quality over the published rubric (docs/qa-rubric.md): 0-100,
    the points of each criterion and why points were lost."""

    ticket_id: str
    score: int = Field(ge=0, le=100)
    criteria: dict[str, int] = Field(default_factory=dict)  # criterion -> points (0-20)
    reasons: list[str] = Field(default_factory=list)
    agent: str | None = None  # who the solved ticket is credited to
    intent: str | None = None
    scorer: str = "local"  # "local", or "model:<name>"
    reasoning: str | None = None  # the model's, when a model scored it
    scored_at: datetime = Field(default_factory=utcnow)


class TriageRecord(Model):
    """What the understanding layer concluded about a ticket, and why."""

    ticket_id: str
    intent: str
    confidence: float = Field(ge=0.0, le=1.0)
    out_of_scope: bool = False
    alternatives: list[tuple[str, float]] = Field(default_factory=list)
    sentiment: Sentiment
    signals: list[str] = Field(default_factory=list)
    evidence: list[str] = Field(default_factory=list)
    handoff: bool = False
    handoff_reason: str = ""
    at: datetime = Field(default_factory=utcnow)


class TicketSummary(Model):
    """One queue row: what a list of tickets shows, without the thread."""

    id: str
    subject: str
    status: Status
    priority: Priority
    channel: Channel
    created_at: datetime
    updated_at: datetime
    intent: str | None = None
    intent_confidence: float | None = None
    sentiment: Sentiment | None = None
    assignee: str | None = None
    customer_id: str | None = None
    customer_name: str = ""
    customer_email: str = ""
    tier: Tier | None = None
    # Team mode: who is working the ticket, and until when their lease runs.
    claimed_by: str | None = None
    claimed_until: datetime | None = None
    # A customer message arrived through a channel that no agent has opened the ticket for.
    unread: bool = False
    snoozed_until: datetime | None = None  # in the past: back from a snooze, not yet opened

    def back_from_snooze(self, now: datetime) -> bool:
        """The ticket was snoozed and has come back (its time came, or the customer wrote)."""
        return self.snoozed_until is not None and self.snoozed_until <= now

    def handled_by_other(self, agent: str, now: datetime) -> str | None:
        """The other agent holding a live claim on this ticket, if any."""
        if self.claimed_by and self.claimed_by != agent and self.claimed_until:
            return self.claimed_by if self.claimed_until > now else None
        return None


class Claim(Model):
    """An agent's hold on a ticket: nobody else works it until ``until`` (a lease renewed while
    they work). ``token`` is new for every claim, so a desk whose lease ran out and was taken
    over can tell it no longer holds the ticket."""

    ticket_id: str
    agent: str
    token: str
    until: datetime
