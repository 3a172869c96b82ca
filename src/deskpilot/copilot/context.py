"""The draft context: everything DeskPilot knows about a ticket, each fact with its source.

Drafters (model or local) read only this object, so what a draft may say is exactly what is
here, and the TUI can show where every fact came from.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from pydantic import Field

from deskpilot.connectors.models import TeamMessage
from deskpilot.copilot.brief import CaseBrief
from deskpilot.models import (
    Bug,
    CrmRecord,
    Draft,
    Invoice,
    Model,
    PlanChange,
    Source,
    Subscription,
    Ticket,
    TriageRecord,
)


class Fact(Model):
    """One thing the draft may rely on, in words, with where it came from."""

    label: str  # e.g. "proration", "plan", "known bug"
    text: str  # e.g. "Upgraded from Starter to Pro on 2026-10-12 with 17 of 30 days left: $28.33"
    source: Source


class KnowledgeItem(Model):
    source: Source  # kind "article", "ticket" or "fact", ref = its id
    title: str
    snippet: str
    body: str = ""  # full text where the drafter may adapt it (an article, a sent reply)
    # Words that belong to another customer (their name, company): a reply holding them
    # cannot be adapted for this one.
    foreign_words: list[str] = Field(default_factory=list)
    # The other customer's company, whole ("Juniper Design Ltd"): adapting names this
    # customer's company in its place (``adapt._swap_names``); its words are in foreign_words.
    foreign_company: str = ""
    intent: str | None = None  # an answered ticket's intent
    question: str = ""  # an answered ticket's question (the customer's first message)
    # In a conversation of several exchanges, the team's message that question followed (""
    # at first contact): "thanks" after "try restarting it" is not "thanks" after "DM us".
    follows: str = ""
    conversation: str = ""  # all the customer said in it, when more than its question
    customer: str | None = None  # an answered ticket's customer (id), to tell whose details
    # An answered ticket's customer's address: its local part is their handle on a social
    # channel ("@115818"), which a reply to them names and a reply to this customer must not.
    customer_email: str = ""
    inbox: str = ""  # the inbox or brand that answered it (see copilot.adapt.inbox_of)
    answered_by: str = ""  # the agent who sent the reply
    answered_at: datetime | None = None
    # What agents' edits taught about drafts built on it: (used, kept as is, rewritten).
    feedback: tuple[int, int, int] | None = None


class DraftContext(Model):
    ticket: Ticket
    triage: TriageRecord | None = None
    crm: CrmRecord | None = None
    history: list[Ticket] = Field(default_factory=list)  # the customer's earlier tickets
    subscription: Subscription | None = None
    invoices: list[Invoice] = Field(default_factory=list)
    plan_changes: list[PlanChange] = Field(default_factory=list)
    bugs: list[Bug] = Field(default_factory=list)  # known bugs matching this ticket
    # What colleagues said about the customer in the team's chat: for the agent, not to quote.
    team_messages: list[TeamMessage] = Field(default_factory=list)
    facts: list[Fact] = Field(default_factory=list)  # computed, sourced statements
    knowledge: list[KnowledgeItem] = Field(default_factory=list)  # articles, product facts
    similar: list[KnowledgeItem] = Field(default_factory=list)  # answered tickets + sent replies
    # More answered tickets of the same kind: the local drafter picks the reply to build on.
    exemplars: list[KnowledgeItem] = Field(default_factory=list)
    examples: list[str] = Field(default_factory=list)  # approved replies for this intent
    problems: list[str] = Field(default_factory=list)  # sources that failed to load, and why
    brief: CaseBrief | None = None  # what the customer asks, gave, tried, and how long they waited

    @property
    def sources(self) -> list[Source]:
        seen: dict[tuple[str, str], Source] = {}
        for source in [f.source for f in self.facts] + [
            k.source for k in self.knowledge + self.similar
        ]:
            seen.setdefault((source.kind, source.ref), source)
        return list(seen.values())


# What a view hears while a draft is written, and what it gets (``Desk.draft_reply``).
OnChunk = Callable[[str], None]


@dataclass(frozen=True)
class Listener:
    """Where a view hears a draft being written. ``restart`` (clear what was shown) and
    ``status`` (a line about it) are for views that can take text back, like the TUI's
    editor; without them a slow model's draft is simply awaited."""

    chunk: OnChunk
    restart: Callable[[], None] | None = None
    status: Callable[[str], None] | None = None


@dataclass(frozen=True)
class DraftOutcome:
    draft: Draft
    context: DraftContext
    notice: str | None = None  # e.g. why the local drafter stood in for the model
    handoff_summary: str | None = None  # prepared when a human should take over
    draft_id: int | None = None  # the stored draft, which the agent's edit event points at
    confidence_basis: str = ""  # what the draft's confidence rests on, in words
