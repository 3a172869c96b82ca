"""Resolved tickets as knowledge: the customer's question and the reply that settled it.

A ticket is indexed once it is solved or closed and has an agent reply; reopening it takes it
out again. Its document is the subject (title), the first customer message and the final agent
reply (body), tagged with its intent.
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

RESOLVED_STATUSES = frozenset({Status.SOLVED, Status.CLOSED})
TICKETS_ORIGIN = "store"  # tickets are synced from the workspace's store as one origin
READ_BATCH = 5000


def ticket_document(ticket: Ticket) -> KnowledgeDoc | None:
    """The ticket as knowledge, or None when it is unresolved or was never answered."""
    if ticket.status not in RESOLVED_STATUSES:
        return None
    replies = [m.body for m in ticket.messages if m.author is Author.AGENT]
    return _document(
        ticket.id, ticket.subject, ticket.intent, ticket.first_customer_message, replies
    )


def upsert_ticket(index: KnowledgeIndex, ticket: Ticket) -> bool:
    """Index a ticket that was just resolved, or remove one that was reopened; True if indexed."""
    doc = ticket_document(ticket)
    if doc is None:
        index.delete([ticket.id], kind=TICKET)
        return False
    index.upsert([doc])
    return True


def index_resolved_tickets(
    index: KnowledgeIndex, store: Store, progress: Progress | None = None
) -> IndexReport:
    """Sync the index with every resolved ticket in the store."""
    report = progress or no_progress
    docs = resolved_ticket_documents(store, report)
    result = index.sync(TICKET, TICKETS_ORIGIN, docs, progress=report)
    return IndexReport("resolved tickets", result.indexed, result.unchanged, result.removed)


def resolved_ticket_documents(store: Store, progress: Progress | None = None) -> list[KnowledgeDoc]:
    report = progress or no_progress
    total = store.count_tickets(QueueFilter(statuses=RESOLVED_STATUSES))
    docs = []
    for done, thread in enumerate(store.resolved_threads(), start=1):
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
