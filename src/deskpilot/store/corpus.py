"""What learning reads across resolved tickets: questions and replies for the knowledge index,
approved replies for few-shot examples, and the human-labelled texts the intent model trains on.
Each is one query, streamed or batched, so 100k tickets take seconds.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

import sqlalchemy as sa

from deskpilot.models import Author, IntentSource, Status
from deskpilot.store import schema
from deskpilot.store.base import StoreBase


@dataclass(frozen=True)
class ResolvedThread:
    ticket_id: str
    subject: str
    intent: str | None
    question: str  # what the last reply answered (``answered_question``)
    replies: list[str]  # the agents' replies, in order


def answered_question(thread: Iterable[tuple[Author, str]]) -> str:
    """What a thread's last agent reply answered: the customer's messages just before it (in a
    conversation of several exchanges, its latest question, not its first), all of theirs
    when no agent wrote after them."""
    asked: list[str] = []
    current: list[str] = []
    for author, body in thread:
        if author is Author.AGENT:
            asked, current = current or asked, []
        elif author is Author.CUSTOMER:
            current.append(body)
    return "\n".join(asked or current)


class CorpusMixin(StoreBase):
    """Reads over many tickets for the knowledge index and the learners."""

    def answered_threads(
        self, statuses: Iterable[Status], batch: int = 5000
    ) -> Iterator[ResolvedThread]:
        """The question and agent replies of every ticket in these statuses, streamed in one
        query (the knowledge index reads 100k of them; one get_ticket each would take minutes)."""
        t, m = schema.tickets, schema.messages
        query = (
            sa.select(t.c.id, t.c.subject, t.c.intent, m.c.author, m.c.body)
            .join_from(t, m, m.c.ticket_id == t.c.id)
            .where(
                t.c.status.in_([Status(status).value for status in statuses]),
                m.c.author.in_([Author.CUSTOMER.value, Author.AGENT.value]),
            )
            .order_by(t.c.id, m.c.seq)
        )
        with self._read() as connection:
            rows = connection.execution_options(yield_per=batch).execute(query)
            for ticket_id, group in itertools.groupby(rows, key=lambda row: row.id):
                thread = list(group)
                yield ResolvedThread(
                    ticket_id=ticket_id,
                    subject=thread[0].subject,
                    intent=thread[0].intent,
                    question=answered_question((Author(r.author), r.body) for r in thread),
                    replies=[r.body for r in thread if r.author == Author.AGENT.value],
                )

    def approved_replies(self, intent: str, *, limit: int = 3, exclude: str = "") -> list[str]:
        """The replies agents sent on resolved tickets of this intent, best rated first: the
        few-shot examples and the local drafter's models."""
        # In two steps: ordering an intent's resolved tickets is cheap (ix_tickets_rated holds
        # them in this order), finding a ticket's last agent reply is a lookup per ticket, so
        # only the best few are looked up (one query joining the lookup to the 9,000 resolved
        # tickets of an intent took 30-150 ms).
        batch = max(8, limit * 4)  # a ticket without an agent reply is passed over
        found: list[str] = []
        with self._read() as connection:
            for offset in itertools.count(0, batch):
                page = {"intent": intent, "exclude": exclude, "batch": batch, "offset": offset}
                ids = connection.execute(_RANKED_RESOLVED, page).scalars().all()
                replies = _last_agent_replies(connection, ids) if ids else {}
                found += [replies[ticket_id] for ticket_id in ids if ticket_id in replies]
                if len(found) >= limit or len(ids) < batch:
                    break
        return found[:limit]

    def labelled_texts(self) -> list[tuple[str, str, str]]:
        """(subject, first customer message, intent) of every ticket a human labelled."""
        t, m = schema.tickets, schema.messages
        query = (
            sa.select(t.c.subject, m.c.body, t.c.intent)
            .select_from(_with_first_customer_message())
            .where(
                t.c.intent.is_not(None),
                t.c.intent_source.in_([IntentSource.LABEL.value, IntentSource.CORRECTION.value]),
            )
            .order_by(t.c.created_at, t.c.id)
        )
        with self._read() as connection:
            return [(row.subject, row.body, row.intent) for row in connection.execute(query)]

    def unlabelled_texts(self, limit: int) -> list[tuple[str, str]]:
        """(subject, first customer message) of the ``limit`` newest tickets no human labelled:
        what the intent model self-trains on (their intents, if any, are its own guesses)."""
        t, m = schema.tickets, schema.messages
        human = [IntentSource.LABEL.value, IntentSource.CORRECTION.value]
        query = (
            sa.select(t.c.subject, m.c.body)
            .select_from(_with_first_customer_message())
            .where(sa.or_(t.c.intent_source.is_(None), t.c.intent_source.not_in(human)))
            .order_by(t.c.created_at.desc(), t.c.id.desc())
            .limit(limit)
        )
        with self._read() as connection:
            return [(row.subject, row.body) for row in connection.execute(query)]


def _with_first_customer_message() -> sa.Join:
    """Tickets joined to their first customer message: what the intent classifier reads."""
    t, m = schema.tickets, schema.messages
    inner = m.alias("first")
    first_customer = (
        sa.select(sa.func.min(inner.c.seq))
        .where(inner.c.ticket_id == t.c.id, inner.c.author == Author.CUSTOMER.value)
        .correlate(t)
        .scalar_subquery()
    )
    return t.join(m, sa.and_(m.c.ticket_id == t.c.id, m.c.seq == first_customer))


def _ranked_resolved() -> sa.Select[str]:
    """An intent's resolved tickets whose reply may serve as a model, best rated first, a page
    of them (``intent``, ``exclude``, ``batch``, ``offset``)."""
    t = schema.tickets
    return (
        sa.select(t.c.id)
        .where(
            t.c.intent == sa.bindparam("intent"),
            # A reply an agent sent is approved, whether or not the customer confirmed it.
            t.c.status.in_([s.value for s in (Status.PENDING, Status.SOLVED, Status.CLOSED)]),
            t.c.id != sa.bindparam("exclude"),
            sa.or_(t.c.csat.is_(None), t.c.csat >= 4),
        )
        .order_by(t.c.csat.desc().nulls_last(), t.c.updated_at.desc(), t.c.id)
        .limit(sa.bindparam("batch"))
        .offset(sa.bindparam("offset"))
    )


def _last_agent_reply_of() -> sa.Select[str, str]:
    """Each of the tickets ``ids``' last message by an agent, for those that have one."""
    m = schema.messages
    last = (
        sa.select(m.c.ticket_id, sa.func.max(m.c.seq).label("seq"))
        .where(
            m.c.ticket_id.in_(sa.bindparam("ids", expanding=True)),
            m.c.author == Author.AGENT.value,
        )
        .group_by(m.c.ticket_id)
        .subquery()
    )
    return sa.select(m.c.ticket_id, m.c.body).join(
        last, sa.and_(m.c.ticket_id == last.c.ticket_id, m.c.seq == last.c.seq)
    )


# Built once: every draft reads its intent's approved replies, and building and keying these
# statements anew each time cost more than running them.
_RANKED_RESOLVED = _ranked_resolved()
_LAST_AGENT_REPLY = _last_agent_reply_of()


def _last_agent_replies(connection: sa.Connection, ticket_ids: Sequence[str]) -> dict[str, str]:
    """Each ticket's last message by an agent, for the tickets that have one."""
    rows = connection.execute(_LAST_AGENT_REPLY, {"ids": list(ticket_ids)}).all()
    return {row.ticket_id: row.body for row in rows}
