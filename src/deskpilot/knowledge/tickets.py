"""Answered tickets as knowledge: the customer's question and the reply an agent sent.

A reply an agent sent is an approved answer, so a ticket is indexed once it has one and waits
on the customer or is solved or closed; the customer coming back (reopening it) takes it out
again. Its document is the subject (title), the customer's question that the final agent reply
answered (in a conversation of several exchanges its latest, not its first) and that reply
(body), tagged with its intent.
"""

from __future__ import annotations

from deskpilot.knowledge.documents import (
    TICKET,
    IndexReport,
    KnowledgeDoc,
    Progress,
    markdown_to_text,
    no_progress,
)
from deskpilot.knowledge.index import KnowledgeIndex
from deskpilot.models import Author, Status, Ticket
from deskpilot.store import QueueFilter, Store
from deskpilot.store.corpus import answered_question

ANSWERED_STATUSES = frozenset({Status.PENDING, Status.SOLVED, Status.CLOSED})
TICKETS_ORIGIN = "store"  # tickets are synced from the workspace's store as one origin
READ_BATCH = 5000


def ticket_document(ticket: Ticket) -> KnowledgeDoc | None:
    """The ticket as knowledge, or None when it is open or was never answered."""
    if ticket.status not in ANSWERED_STATUSES:
        return None
    replies = [m.body for m in ticket.messages if m.author is Author.AGENT]
    question = answered_question((m.author, m.body) for m in ticket.messages)
    return _document(ticket.id, ticket.subject, ticket.intent, question, replies)


def upsert_ticket(index: KnowledgeIndex, ticket: Ticket) -> bool:
    """Index a ticket that was just resolved, or remove one that was reopened; True if indexed."""
    doc = ticket_document(ticket)
    if doc is None:
        index.delete([ticket.id], kind=TICKET)
        return False
    index.upsert([doc])
    return True


def index_answered_tickets(
    index: KnowledgeIndex, store: Store, progress: Progress | None = None
) -> IndexReport:
    """Sync the index with every answered ticket in the store."""
    report = progress or no_progress
    docs = answered_ticket_documents(store, report)
    result = index.sync(TICKET, TICKETS_ORIGIN, docs, progress=report)
    return IndexReport("answered tickets", result.indexed, result.unchanged, result.removed)


def answered_ticket_documents(store: Store, progress: Progress | None = None) -> list[KnowledgeDoc]:
    report = progress or no_progress
    total = store.count_tickets(QueueFilter(statuses=ANSWERED_STATUSES))
    docs = []
    for done, thread in enumerate(store.answered_threads(ANSWERED_STATUSES), start=1):
        doc = _document(
            thread.ticket_id, thread.subject, thread.intent, thread.question, thread.replies
        )
        if doc is not None:
            docs.append(doc)
        if done % READ_BATCH == 0:
            report("reading tickets", done, total)
    report("reading tickets", total, total)
    return docs


def _document(
    ticket_id: str, subject: str, intent: str | None, question: str, replies: list[str]
) -> KnowledgeDoc | None:
    if not replies:
        return None
    # Agents write replies in Markdown; its markup would garble snippets.
    parts = (markdown_to_text(question), markdown_to_text(replies[-1]))
    body = "\n\n".join(part for part in parts if part)
    return KnowledgeDoc(
        id=ticket_id,
        kind=TICKET,
        title=subject,
        body=body,
        tags=(intent.replace("_", " "),) if intent else (),
        origin=TICKETS_ORIGIN,
    )
