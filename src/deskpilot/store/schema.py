"""The tables, as SQLAlchemy Core metadata: one definition for SQLite and PostgreSQL.

This module describes the *current* schema; ``migrations.py`` says how each version got here.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect


class UtcDateTime(sa.types.TypeDecorator[datetime]):
    """Aware UTC datetimes in, aware UTC datetimes out, on every backend."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: DeskPilot stores aware UTC times only")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)  # type: ignore[no-any-return]
        return value.astimezone(UTC)  # type: ignore[no-any-return]


metadata = sa.MetaData()


def serial_id() -> sa.Column[int]:
    return sa.Column("id", sa.Integer, primary_key=True, autoincrement=True)


def ticket_ref() -> sa.Column[str]:
    """The owning ticket: deleting a ticket deletes what hangs off it."""
    return sa.Column(
        "ticket_id", sa.String(64), sa.ForeignKey("tickets.id", ondelete="CASCADE"), nullable=False
    )


meta = sa.Table(
    "meta",
    metadata,
    sa.Column("key", sa.String(64), primary_key=True),
    sa.Column("value", sa.Text, nullable=False),
)

customers = sa.Table(
    "customers",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("email", sa.String(320), nullable=False, unique=True),
    sa.Column("name", sa.Text, nullable=False, default=""),
    sa.Column("company", sa.Text, nullable=False, default=""),
    sa.Column("tier", sa.String(16), nullable=False),
    sa.Column("plan", sa.String(64), nullable=False, default=""),
    sa.Column("created_at", UtcDateTime, nullable=False),
)

tickets = sa.Table(
    "tickets",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("subject", sa.Text, nullable=False),
    sa.Column("customer_id", sa.String(64), sa.ForeignKey("customers.id"), nullable=True),
    sa.Column("channel", sa.String(16), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("priority", sa.String(16), nullable=False),
    # urgent=0 .. low=3: the queue sorts by it without a CASE over strings
    sa.Column("priority_rank", sa.SmallInteger, nullable=False),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("updated_at", UtcDateTime, nullable=False),
    sa.Column("tags", sa.JSON, nullable=False),
    sa.Column("intent", sa.String(64), nullable=True),
    sa.Column("intent_confidence", sa.Float, nullable=True),
    sa.Column("sentiment", sa.String(16), nullable=True),
    sa.Column("assignee", sa.String(128), nullable=True),
    # label / predicted / correction: only human labels train the classifier (added in v3)
    sa.Column("intent_source", sa.String(16), nullable=True),
    sa.Column("csat", sa.SmallInteger, nullable=True),
    sa.Column("page_context", sa.JSON, nullable=True),
    # v5, team mode: the agent working the ticket now, until when (a lease they renew while they
    # work; once it runs out anyone may take the ticket), and a fresh token per claim, so a desk
    # whose lease was taken over cannot act on the strength of its old claim.
    sa.Column("claimed_by", sa.String(128), nullable=True),
    sa.Column("claim_token", sa.String(36), nullable=True),
    sa.Column("claimed_until", UtcDateTime, nullable=True),
    # v6, channels: the connector the conversation lives in and its id there (see
    # Ticket.source), and since when a customer message waits unread (NULL: the agent has seen
    # everything; set by the channel sync, cleared when an agent opens the ticket).
    sa.Column("source", sa.String(64), nullable=False, server_default=""),
    sa.Column("external_id", sa.String(255), nullable=False, server_default=""),
    sa.Column("unread_since", UtcDateTime, nullable=True),
    # v8, snooze and merge: until when the ticket is out of the open views (a time in the past
    # means it came back and is marked so until an agent opens it; a customer message brings it
    # back at once), and the ticket a duplicate was merged into (its thread lives there now).
    sa.Column("snoozed_until", UtcDateTime, nullable=True),
    sa.Column("merged_into", sa.String(64), nullable=True),
)
# The queue's sort order; walking it and skipping solved tickets beats sorting every open one.
sa.Index("ix_tickets_queue", tickets.c.priority_rank, tickets.c.created_at, tickets.c.id)
sa.Index("ix_tickets_customer", tickets.c.customer_id)
sa.Index("ix_tickets_intent", tickets.c.intent)
# A desk polls max(updated_at) to notice tickets another desk or the intake endpoint changed (v4).
sa.Index("ix_tickets_updated_at", tickets.c.updated_at)
# "Being handled by" and a desk's own claims (v5).
sa.Index("ix_tickets_claimed_by", tickets.c.claimed_by)
# A pulled message names its conversation by the connector's own id (v6).
sa.Index("ix_tickets_source_external", tickets.c.source, tickets.c.external_id)
# Duplicate detection reads a customer's recent tickets (v8).
sa.Index("ix_tickets_customer_created", tickets.c.customer_id, tickets.c.created_at)
# An intent's approved replies, best rated first (store/corpus.py ``approved_replies``, read by
# every draft): walked in this order from the index alone, instead of sorting the intent's
# 10,000 resolved tickets (30-80 ms a draft on the 100k demo) (v9). The same order on each
# engine: SQLite sorts NULL lowest (so DESC puts it last) and refuses NULLS LAST in an index;
# PostgreSQL needs it said.
sa.Index(
    "ix_tickets_rated",
    tickets.c.intent,
    tickets.c.csat.desc(),
    tickets.c.updated_at.desc(),
    tickets.c.id,
    tickets.c.status,
).ddl_if(dialect="sqlite")
sa.Index(
    "ix_tickets_rated_pg",
    tickets.c.intent,
    tickets.c.csat.desc().nulls_last(),
    tickets.c.updated_at.desc(),
    tickets.c.id,
    tickets.c.status,
).ddl_if(dialect="postgresql")

messages = sa.Table(
    "messages",
    metadata,
    serial_id(),
    ticket_ref(),
    sa.Column("seq", sa.Integer, nullable=False),
    sa.Column("author", sa.String(16), nullable=False),
    sa.Column("author_name", sa.Text, nullable=False, default=""),
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("at", UtcDateTime, nullable=False),
    # v6, channels: the channel's id for the message (an email Message-ID, a Zendesk comment
    # id; our own replies get their Message-ID when written), the connector it came or went
    # through ("" for messages typed into the desk or imported), its channel when it is not the
    # ticket's, and its attachments' metadata (the bytes live in the workspace's folder).
    sa.Column("external_id", sa.String(998), nullable=False, server_default=""),
    sa.Column("connector", sa.String(64), nullable=False, server_default=""),
    sa.Column("channel", sa.String(16), nullable=True),
    sa.Column("attachments", sa.JSON, nullable=True),
    sa.UniqueConstraint("ticket_id", "seq", name="uq_messages_ticket_seq"),
)
# Pulling twice stores nothing twice, and an answer finds the message it replies to (v6).
sa.Index("ix_messages_external", messages.c.external_id)

drafts = sa.Table(
    "drafts",
    metadata,
    serial_id(),
    ticket_ref(),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("sources", sa.JSON, nullable=False),
    sa.Column("drafter", sa.String(32), nullable=False),
    sa.Column("model", sa.String(128), nullable=False, default=""),
    sa.Column("prompt_version", sa.String(64), nullable=False, default=""),
    sa.Column("confidence", sa.Float, nullable=False),
    sa.Column("handoff_reason", sa.Text, nullable=True),
    sa.Column("created_at", UtcDateTime, nullable=False),
)
sa.Index("ix_drafts_ticket", drafts.c.ticket_id)

edit_events = sa.Table(
    "edit_events",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    ticket_ref(),
    sa.Column("agent", sa.String(128), nullable=False),
    sa.Column("original_text", sa.Text, nullable=False),
    sa.Column("current_text", sa.Text, nullable=False),
    sa.Column("outcome", sa.String(32), nullable=False),
    sa.Column("intent", sa.String(64), nullable=True),
    sa.Column("drafter", sa.String(32), nullable=False, default=""),
    sa.Column("model", sa.String(128), nullable=False, default=""),
    sa.Column("prompt_version", sa.String(64), nullable=False, default=""),
    sa.Column("shown_at", UtcDateTime, nullable=False),
    sa.Column("updated_at", UtcDateTime, nullable=False),
    sa.Column("finished_at", UtcDateTime, nullable=True),
    sa.Column("keystrokes", sa.Integer, nullable=False, default=0),
    sa.Column("similarity", sa.Float, nullable=True),
    sa.Column("edit_distance", sa.Float, nullable=True),
    sa.Column("edit_class", sa.String(32), nullable=True),
    sa.Column("reason", sa.String(64), nullable=True),
    # v4: the draft it started from (its sources are what learning credits or blames) and the
    # edit as opcodes from the original to the final text
    sa.Column("draft_id", sa.Integer, nullable=True),
    sa.Column("diff", sa.JSON, nullable=True),
)
sa.Index("ix_edit_events_ticket", edit_events.c.ticket_id)
sa.Index("ix_edit_events_outcome", edit_events.c.outcome)

# Each autosaved state of an agent's edit (v4): a killed desk reopens the newest one.
edit_revisions = sa.Table(
    "edit_revisions",
    metadata,
    serial_id(),
    sa.Column(
        "event_id",
        sa.String(64),
        sa.ForeignKey("edit_events.id", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("keystrokes", sa.Integer, nullable=False),
    sa.Column("at", UtcDateTime, nullable=False),
)
sa.Index("ix_edit_revisions_event", edit_revisions.c.event_id, edit_revisions.c.id)

# What the learning loop concluded about each knowledge source (v4): how often drafts built on it
# were sent as they were, and how often they were rewritten. Retrieval demotes sources that mislead.
source_feedback = sa.Table(
    "source_feedback",
    metadata,
    sa.Column("source_id", sa.String(200), primary_key=True),
    sa.Column("used", sa.Integer, nullable=False),
    sa.Column("kept", sa.Integer, nullable=False),
    sa.Column("misled", sa.Integer, nullable=False),
    sa.Column("updated_at", UtcDateTime, nullable=False),
)

actions = sa.Table(
    "actions",
    metadata,
    serial_id(),
    sa.Column("ticket_id", sa.String(64), nullable=True),
    sa.Column("actor", sa.String(128), nullable=False),
    sa.Column("action", sa.String(64), nullable=False),
    sa.Column("params", sa.JSON, nullable=False),
    sa.Column("ok", sa.Boolean, nullable=False),
    sa.Column("result", sa.Text, nullable=False, default=""),
    sa.Column("at", UtcDateTime, nullable=False),
)
sa.Index("ix_actions_ticket", actions.c.ticket_id)

triage = sa.Table(
    "triage",
    metadata,
    sa.Column(
        "ticket_id",
        sa.String(64),
        sa.ForeignKey("tickets.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("intent", sa.String(64), nullable=False),
    sa.Column("confidence", sa.Float, nullable=False),
    sa.Column("out_of_scope", sa.Boolean, nullable=False),
    sa.Column("alternatives", sa.JSON, nullable=False),
    sa.Column("sentiment", sa.String(16), nullable=False),
    sa.Column("signals", sa.JSON, nullable=False),
    sa.Column("evidence", sa.JSON, nullable=False),
    sa.Column("handoff", sa.Boolean, nullable=False),
    sa.Column("handoff_reason", sa.Text, nullable=False),
    sa.Column("at", UtcDateTime, nullable=False),
)

# v6: replies on their way to customers. A reply is written with its outbox entry in one
# transaction; the delivery worker claims due entries (a lease, so a crashed worker's entry is
# taken up again and reconciled with the channel before any resend) and records the outcome.
outbox = sa.Table(
    "outbox",
    metadata,
    serial_id(),
    # The reply's Message-ID, fixed when it was written: the same across every retry.
    sa.Column("message_id", sa.String(255), nullable=False, unique=True),
    ticket_ref(),
    sa.Column("connector", sa.String(64), nullable=False),
    sa.Column("payload", sa.JSON, nullable=False),  # the OutboundReply, as the channel gets it
    sa.Column("state", sa.String(16), nullable=False),  # queued, sending, sent, failed
    sa.Column("attempts", sa.Integer, nullable=False, default=0),
    sa.Column("next_try", UtcDateTime, nullable=True),
    sa.Column("last_error", sa.Text, nullable=False, default=""),
    # True after an attempt whose outcome is unknown: ask the channel before sending again.
    sa.Column("check_first", sa.Boolean, nullable=False, default=False),
    sa.Column("external_id", sa.String(255), nullable=False, default=""),  # the channel's id
    sa.Column("claim_token", sa.String(36), nullable=True),
    sa.Column("claimed_until", UtcDateTime, nullable=True),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("updated_at", UtcDateTime, nullable=False),
    sa.Column("sent_at", UtcDateTime, nullable=True),
)
sa.Index("ix_outbox_due", outbox.c.state, outbox.c.next_try)
sa.Index("ix_outbox_ticket", outbox.c.ticket_id)

# v6: each ticket source's sync: the cursor its next pull starts from (written in the same
# transaction as the messages it covers), and how the last syncs went, for GET /health.
channel_sync = sa.Table(
    "channel_sync",
    metadata,
    sa.Column("connector", sa.String(64), primary_key=True),
    sa.Column("cursor", sa.Text, nullable=True),
    sa.Column("last_sync_at", UtcDateTime, nullable=True),  # the last attempt
    sa.Column("last_ok_at", UtcDateTime, nullable=True),  # the last one that worked
    sa.Column("last_error", sa.Text, nullable=False, default=""),
    sa.Column("imported", sa.Integer, nullable=False, default=0),  # messages stored, ever
)

# Conversation quality (v7): one score per solved ticket over the published rubric
# (docs/qa-rubric.md), its points per criterion and the reasons, from the local scorer or a
# model (whose reasoning is kept).
qa_scores = sa.Table(
    "qa_scores",
    metadata,
    sa.Column(
        "ticket_id",
        sa.String(64),
        sa.ForeignKey("tickets.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("score", sa.SmallInteger, nullable=False),
    sa.Column("criteria", sa.JSON, nullable=False),
    sa.Column("reasons", sa.JSON, nullable=False),
    sa.Column("agent", sa.String(128), nullable=True),
    sa.Column("intent", sa.String(64), nullable=True),
    sa.Column("scorer", sa.String(32), nullable=False),
    sa.Column("reasoning", sa.Text, nullable=True),
    sa.Column("scored_at", UtcDateTime, nullable=False),
)

# Satisfaction surveys (v7): one unguessable token per solved ticket, the link the customer
# answers through (``/csat/<token>`` on ``deskpilot serve``), and the answer once given.
csat_surveys = sa.Table(
    "csat_surveys",
    metadata,
    sa.Column("token", sa.String(64), primary_key=True),
    ticket_ref(),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("answered_at", UtcDateTime, nullable=True),
    sa.Column("score", sa.SmallInteger, nullable=True),
    sa.Column("comment", sa.Text, nullable=True),
    # v8, surveys sent through the channel: when it is due (solving sets it, the delay later),
    # when it went into the outbox (once per ticket) and the outbox reply's Message-ID.
    sa.Column("due_at", UtcDateTime, nullable=True),
    sa.Column("queued_at", UtcDateTime, nullable=True),
    sa.Column("message_id", sa.String(255), nullable=True),
    sa.UniqueConstraint("ticket_id", name="uq_csat_surveys_ticket"),
)
