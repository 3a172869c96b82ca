"""What team statistics and reports read: per-ticket facts (first reply, who spoke last, triage,
page) and every agent reply, for many tickets in one query each.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from deskpilot.models import Author, Channel, Priority, Status, Tier
from deskpilot.store import schema
from deskpilot.store.base import StoreBase
from deskpilot.store.rows import page_name


@dataclass(frozen=True)
class TicketFacts:
    """What team statistics need of one ticket, read for many tickets in one query."""

    id: str
    intent: str | None
    status: Status
    created_at: datetime
    updated_at: datetime
    csat: int | None
    first_reply_at: datetime | None  # the first agent reply
    customer_spoke_last: bool
    handoff_reason: str | None  # the triage's, when it recommended a human
    page: str | None  # the page the customer wrote from (page context title or URL)
    # What the lead's reports slice by and count (defaults keep hand-built facts short).
    priority: Priority = Priority.NORMAL
    channel: Channel = Channel.EMAIL
    tier: Tier | None = None
    assignee: str | None = None
    last_customer_at: datetime | None = None  # the customer's latest message


@dataclass(frozen=True)
class ReplyFact:
    """One agent reply, for counting replies per agent and per ticket."""

    ticket_id: str
    agent: str  # the message's author name ("" when the source did not say)
    at: datetime


class StatisticsMixin(StoreBase):
    """Facts for statistics and reports."""

    def ticket_facts(
        self, since: datetime | None = None, until: datetime | None = None
    ) -> list[TicketFacts]:
        """Every ticket created since ``since`` (or ever) and before ``until`` (or now), with
        its first reply and triage; a duplicate merged into another is not a conversation of
        its own (its thread counts in the target)."""
        t, m, tr, c = schema.tickets, schema.messages, schema.triage, schema.customers
        first_reply = (
            sa.select(sa.func.min(m.c.at))
            .where(m.c.ticket_id == t.c.id, m.c.author == Author.AGENT.value)
            .correlate(t)
            .scalar_subquery()
        )
        last_customer = (
            sa.select(sa.func.max(m.c.at))
            .where(m.c.ticket_id == t.c.id, m.c.author == Author.CUSTOMER.value)
            .correlate(t)
            .scalar_subquery()
        )
        last_speaker = (
            sa.select(m.c.author)
            .where(m.c.ticket_id == t.c.id, m.c.author != Author.NOTE.value)
            .order_by(m.c.seq.desc())
            .limit(1)
            .correlate(t)
            .scalar_subquery()
        )
        query = (
            sa.select(
                t.c.id,
                t.c.intent,
                t.c.status,
                t.c.created_at,
                t.c.updated_at,
                t.c.csat,
                t.c.page_context,
                first_reply.label("first_reply_at"),
                last_speaker.label("last_speaker"),
                tr.c.handoff,
                tr.c.handoff_reason,
                t.c.priority,
                t.c.channel,
                t.c.assignee,
                c.c.tier,
                last_customer.label("last_customer_at"),
            )
            .select_from(
                t.outerjoin(tr, tr.c.ticket_id == t.c.id).outerjoin(c, c.c.id == t.c.customer_id)
            )
            .where(t.c.merged_into.is_(None))
            .order_by(t.c.created_at, t.c.id)
        )
        if since is not None:
            query = query.where(t.c.created_at >= since)
        if until is not None:
            query = query.where(t.c.created_at < until)
        with self._read() as connection:
            rows = connection.execute(query).all()
        return [
            TicketFacts(
                id=row.id,
                intent=row.intent,
                status=Status(row.status),
                created_at=row.created_at,
                updated_at=row.updated_at,
                csat=row.csat,
                first_reply_at=row.first_reply_at,
                customer_spoke_last=row.last_speaker == Author.CUSTOMER.value,
                handoff_reason=row.handoff_reason if row.handoff else None,
                page=page_name(row.page_context),
                priority=Priority(row.priority),
                channel=Channel(row.channel),
                tier=Tier(row.tier) if row.tier else None,
                assignee=row.assignee,
                last_customer_at=row.last_customer_at,
            )
            for row in rows
        ]

    def agent_replies(
        self, since: datetime | None = None, until: datetime | None = None
    ) -> list[ReplyFact]:
        """Every agent reply on the tickets created in the period, oldest first."""
        t, m = schema.tickets, schema.messages
        query = (
            sa.select(m.c.ticket_id, m.c.author_name, m.c.at)
            .select_from(m.join(t, t.c.id == m.c.ticket_id))
            .where(m.c.author == Author.AGENT.value)
            .order_by(m.c.at, m.c.id)
        )
        if since is not None:
            query = query.where(t.c.created_at >= since)
        if until is not None:
            query = query.where(t.c.created_at < until)
        with self._read() as connection:
            return [
                ReplyFact(r.ticket_id, r.author_name or "", r.at) for r in connection.execute(query)
            ]
