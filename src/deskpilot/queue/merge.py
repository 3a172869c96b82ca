"""Duplicates and merging: the same customer writing about the same thing twice (a second email
instead of a reply, the widget and email at once) becomes one conversation.

Duplicate detection compares a ticket with the customer's other tickets created within
``[duplicates] days`` of it: the subject and first message, as sets of content words, scored
with rapidfuzz's token-set ratio (word order and repeated words do not matter; a short message
whose words all appear in the other scores high). Suggestions at or above ``min_similarity``
are shown in the ticket screen; the agent decides.

Merging moves the source's whole thread (messages, and the replies in the outbox that went with
them) into the target in time order, closes the source with a note linking to the target,
writes a note on the target, and audits the merge on both tickets, all in one transaction.
Later messages on the source's conversation (an email reply, a connector's ticket id) follow
the link to the target.

The logic takes narrow collaborators (the store, an audit callable, the time now), never the
desk; ``Desk.merge`` and ``Desk.duplicates`` are the doors.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from rapidfuzz import fuzz

from deskpilot.errors import DeskPilotError
from deskpilot.models import Author, Message, Status, Ticket
from deskpilot.store.snooze import MovedThread, RecentTicket

WORD = re.compile(r"[a-z0-9][a-z0-9'-]+")
STOPWORDS = frozenset(
    """the and for you your with this that have has from are was were our can not but
    its it's i'm hi hello dear thanks thank please regards best just any all get got
    there their they them what when where which how who why been will would could should""".split()  # noqa: SIM905
)
FIRST_MESSAGE_CHARS = 600  # enough to tell two requests apart; the rest is signatures and quotes
MAX_SUGGESTIONS = 3

Audit = Callable[..., Any]


@dataclass(frozen=True)
class Duplicate:
    ticket_id: str
    subject: str
    status: Status
    created_at: datetime
    similarity: float  # 0-1

    def describe(self) -> str:
        return f"{self.ticket_id} ({self.status.value}, {self.similarity:.0%} alike)"


@dataclass(frozen=True)
class MergeResult:
    source: str
    target: str
    moved: int  # messages moved into the target


class MergeStore(Protocol):
    def get_ticket(self, ticket_id: str) -> Ticket: ...

    def recent_tickets(
        self, customer_id: str, since: datetime, *, exclude: str, limit: int = 50
    ) -> list[RecentTicket]: ...

    def move_thread(self, source_id: str, target_id: str, now: datetime) -> MovedThread: ...

    def append_message(self, ticket_id: str, message: Message, *, connector: str = "") -> int: ...

    def update_ticket(self, ticket_id: str, **changes: Any) -> None: ...


def comparable_text(subject: str, first_message: str) -> str:
    words = WORD.findall(f"{subject} {first_message[:FIRST_MESSAGE_CHARS]}".lower())
    return " ".join(w for w in words if w not in STOPWORDS)


def similarity(a: str, b: str) -> float:
    """How alike two comparable texts are, 0-1."""
    if not a or not b:
        return 0.0
    return float(fuzz.token_set_ratio(a, b)) / 100.0


def find_duplicates(
    store: MergeStore, ticket: Ticket, *, days: int, min_similarity: float
) -> list[Duplicate]:
    """The customer's other tickets within ``days`` of this one that read alike, best first."""
    if ticket.customer is None or ticket.merged_into:
        return []
    window = timedelta(days=days)
    mine = comparable_text(ticket.subject, ticket.first_customer_message)
    found = []
    for other in store.recent_tickets(
        ticket.customer.id, ticket.created_at - window, exclude=ticket.id
    ):
        if other.created_at > ticket.created_at + window:
            continue
        score = similarity(mine, comparable_text(other.subject, other.first_message))
        if score >= min_similarity:
            found.append(Duplicate(other.id, other.subject, other.status, other.created_at, score))
    found.sort(key=lambda d: (-d.similarity, d.created_at, d.ticket_id))
    return found[:MAX_SUGGESTIONS]


def merge(
    store: MergeStore,
    audit: Audit,
    source_id: str,
    target_id: str,
    *,
    agent: str,
    now: datetime,
) -> MergeResult:
    """Move ``source_id``'s thread into ``target_id`` and close the source with a link; the
    caller runs it in one transaction (and checks neither ticket is someone else's)."""
    source_id, target_id = source_id.strip(), target_id.strip()
    if source_id == target_id:
        raise DeskPilotError(f"{source_id} cannot be merged into itself")
    source, target = store.get_ticket(source_id), store.get_ticket(target_id)
    if target.merged_into:
        raise DeskPilotError(
            f"{target_id} was merged into {target.merged_into}; merge into that one instead"
        )
    if (
        source.customer is not None
        and target.customer is not None
        and source.customer.id != target.customer.id
    ):
        raise DeskPilotError(
            f"{source_id} and {target_id} belong to different customers "
            f"({source.customer.email}, {target.customer.email}); only one customer's tickets merge"
        )
    moved = store.move_thread(source_id, target_id, now).moved
    store.append_message(
        source_id,
        Message(
            author=Author.NOTE,
            author_name=agent,
            at=now,
            body=f"Merged into {target_id}: the conversation ({moved} messages) continues there.",
        ),
    )
    store.append_message(
        target_id,
        Message(
            author=Author.NOTE,
            author_name=agent,
            at=now,
            body=f"Merged {source_id} (\u201c{source.subject}\u201d) into this ticket: "
            f"{moved} messages moved here, in time order.",
        ),
    )
    store.update_ticket(source_id, status=Status.CLOSED)
    if target.status in (Status.SOLVED, Status.CLOSED) and source.status.is_open:
        store.update_ticket(target_id, status=Status.OPEN)  # the open question now lives here
    audit("merge", source_id, {"into": target_id, "moved": moved, "was": source.status.value})
    audit("merge", target_id, {"from": source_id, "moved": moved})
    return MergeResult(source_id, target_id, moved)
