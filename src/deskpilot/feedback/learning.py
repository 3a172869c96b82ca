"""The loop that closes: what the desk learns from its agents' work.

* A reply an agent sends becomes an exemplar at once: the ticket enters the knowledge index
  with the question and that reply, so the next similar ticket's draft can build on it.
* Edit events teach which sources mislead: a source behind drafts that agents rewrite is
  demoted in retrieval, one behind drafts sent as they were is trusted.
* Intent corrections retrain the classifier (the next triage trains it afresh when the model
  is stale; ``learn`` does it at once).

``learn`` runs all of it from scratch; the desk calls ``remember_sent_reply`` and
``remember_edit`` on every send, so the loop also turns while agents work.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from deskpilot.feedback.measures import ACCEPTED_AS_IS, REWRITTEN_BELOW
from deskpilot.models import EditEvent, EditOutcome
from deskpilot.store import Store

if TYPE_CHECKING:  # tantivy loads when the desk first opens the index, not before
    from deskpilot.knowledge import KnowledgeIndex

MISLEADING_REASONS = frozenset({"wrong facts", "outdated article"})
SENT = frozenset({EditOutcome.SENT_AS_IS, EditOutcome.SENT_EDITED})
# A source needs this many drafts behind it before its record moves its ranking.
MIN_EVIDENCE = 3


@dataclass(frozen=True)
class LearnReport:
    exemplars: int  # answered tickets now in the knowledge index
    judged_sources: int  # sources with a learned record
    misleading_sources: list[str]  # demoted in retrieval
    intents_retrained: bool

    def __str__(self) -> str:
        demoted = ", ".join(self.misleading_sources[:5]) or "none"
        return (
            f"{self.exemplars} answered tickets are exemplars; {self.judged_sources} sources "
            f"judged, demoted: {demoted}; classifier "
            + ("retrained" if self.intents_retrained else "already up to date")
        )


def remember_sent_reply(index: KnowledgeIndex, store: Store, ticket_id: str) -> None:
    """The sent reply becomes retrievable for similar tickets straight away."""
    from deskpilot.knowledge import upsert_ticket  # start-up time: tantivy

    upsert_ticket(index, store.get_ticket(ticket_id))


def remember_edit(store: Store, event: EditEvent) -> None:
    """One finished edit's evidence about the sources its draft stood on, counted at once."""
    deltas = source_tallies(store, [event])
    if deltas:
        store.add_source_feedback(deltas)


def source_tallies(store: Store, events: Iterable[EditEvent]) -> dict[str, tuple[int, int, int]]:
    """source id -> (sent drafts built on it, sent as they were, rewritten or blamed)."""
    used: Counter[str] = Counter()
    kept: Counter[str] = Counter()
    misled: Counter[str] = Counter()
    for event in events:
        if event.outcome not in SENT or event.draft_id is None or event.similarity is None:
            continue
        draft = store.get_draft(event.draft_id)
        if draft is None:
            continue
        blamed = event.similarity < REWRITTEN_BELOW or event.reason in MISLEADING_REASONS
        for source in draft.sources:
            key = source_key(source.kind, source.ref)
            used[key] += 1
            kept[key] += event.similarity >= ACCEPTED_AS_IS
            misled[key] += blamed
    return {key: (used[key], kept[key], misled[key]) for key in used}


def source_key(kind: str, ref: str) -> str:
    return f"{kind}:{ref}"


def trust(record: tuple[int, int, int] | None) -> float:
    """A multiplier for a source's retrieval score: 1.0 until there is evidence, down to 0.4 for
    a source whose drafts are always rewritten, up to 1.2 for one whose drafts go out as is."""
    if record is None:
        return 1.0
    used, kept, misled = record
    if used < MIN_EVIDENCE:
        return 1.0
    return 1.0 + 0.2 * kept / used - 0.6 * misled / used


def learn(index: KnowledgeIndex, store: Store, retrain_if_stale: Callable[[], bool]) -> LearnReport:
    """Everything the loop learns, at once (``deskpilot learn``); ``retrain_if_stale`` retrains
    the intent classifier when it has no model and says whether it did."""
    from deskpilot.knowledge import index_answered_tickets  # start-up time: tantivy
    from deskpilot.knowledge.documents import TICKET

    index_answered_tickets(index, store)
    tallies = source_tallies(store, store.list_edit_events())
    store.save_source_feedback(tallies)
    misleading = sorted(key for key, record in tallies.items() if trust(record) < 0.8)
    retrained = retrain_if_stale()
    return LearnReport(
        exemplars=index.count(TICKET),
        judged_sources=len(tallies),
        misleading_sources=misleading,
        intents_retrained=retrained,
    )
